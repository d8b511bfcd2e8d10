/** Prefetch through peers (page-bridge/prefetch/, sw/prefetch.ts). Part of protocol/limits.ts: import from there. */
// ---- prefetch through peers (page-bridge/prefetch/, sw/prefetch.ts) ----

/**
 * Bytes one page view may prefetch from peers for the pages it links to (8 MiB), by default
 * (`--prefetch-budget` lowers or raises it per site, 0 turns prefetch off). About what a visitor's
 * next two or three pages of a photo site weigh: enough to make the likely next navigation local,
 * and little against the piece store's quota (PIECE_STORE_QUOTA_BYTES) whatever it guesses wrong.
 */
export const PREFETCH_BUDGET_BYTES = 8 * 1024 * 1024;

/**
 * Linked pages whose asset lists one page view fetches (each a small JSON file from the origin):
 * the first this many distinct pages of the build the document links to, in document order.
 */
export const PREFETCH_MAX_PAGES = 8;

/** Largest asset list the bridge reads (`peer-connect-pages/*.json`); a larger one is ignored. */
export const PREFETCH_LIST_MAX_BYTES = 256 * 1024;

/**
 * How long after the load event prefetch waits for the main thread to be idle
 * (`requestIdleCallback`'s `timeout`): a page that keeps it busy still prefetches, later.
 */
export const PREFETCH_IDLE_TIMEOUT_MS = 2_000;

/**
 * The worker's deadlines for one prefetched asset: from the request to the bridge's acceptance,
 * then between two pieces. Longer than a page request's (BRIDGE_ACCEPT_TIMEOUT_MS,
 * PIECE_STALL_TIMEOUT_MS): nobody waits on a prefetch, and it never falls back to the origin, so
 * a slow peer costs nothing but the wait.
 */
export const PREFETCH_ACCEPT_TIMEOUT_MS = 5_000;
export const PREFETCH_STALL_TIMEOUT_MS = 5_000;
