/** Usage reports, the dashboard and the remote switch (issue 15). Part of protocol/limits.ts: import from there. */
// ---- usage reports, the dashboard and the remote switch (issue 15) ----

/**
 * A bridge reports its counters' growth this often, and once more at `pagehide`: a minute's
 * chart point gets every open tab's bytes, and a visitor costs the server ~1-2 small messages a minute.
 */
export const REPORT_INTERVAL_MS = 45_000;

/**
 * Reports one connection may send: a bucket of REPORT_BURST, one back every REPORT_REFILL_MS.
 * The periodic report plus the one at `pagehide` fit; a client sending more has the extra ones
 * dropped (not fatal: `error report-dropped`), so one socket moves the totals at most 4 times a minute.
 */
export const REPORT_BURST = 3;
export const REPORT_REFILL_MS = 15_000;

/**
 * Largest byte count in one report field (1 TiB): more than a tab moves between two reports,
 * small enough that sums stay exact integers in doubles for millions of reports (the server also
 * saturates at Number.MAX_SAFE_INTEGER). Anything larger, negative or fractional is `malformed`.
 */
export const REPORT_MAX_BYTES = 2 ** 40;

/** Largest event count (failures, bad pieces, bans) in one report field. */
export const REPORT_MAX_COUNT = 1_000_000;

/** Assets one report names with their bytes from peers (the page's largest). */
export const REPORT_MAX_ASSETS = 16;

/** Longest asset path a report may name (shown on the dashboard as text, never markup). */
export const REPORT_MAX_PATH_CHARS = 256;

/** Points of a swarm's time series: one a minute for 24 hours. */
export const STATS_SERIES_MINUTES = 24 * 60;

/** Swarms the server keeps statistics for; reports for more are counted in no swarm (refusal `stats-full`). */
export const STATS_MAX_SWARMS = 256;

/** Assets each swarm ranks by bytes from peers (the dashboard's top list). */
export const STATS_TOP_ASSETS = 32;

/** A runtime that stores the statistics (a Durable Object) writes them at most this often. */
export const STATS_PERSIST_INTERVAL_MS = 60_000;

/** The dashboard polls its JSON this often. */
export const DASHBOARD_POLL_MS = 5_000;

/** Largest body of an authenticated `POST /peer-connect/p2p` (a JSON map of swarm → mode). */
export const MAX_P2P_CONFIG_CHARS = 64 * 1024;
