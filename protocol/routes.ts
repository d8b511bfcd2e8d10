/**
 * Every route the signaling app serves, by default, on its origin. The build writes them into
 * what it bakes (the bridge's signaling URL, the torrents' tracker) and the signaling app mounts
 * them, so the two cannot drift apart. Absolute paths, no trailing slash.
 */

/** The signaling WebSocket (protocol/signal-messages.ts). A bridge without `signal` config uses it on the page's origin. */
export const DEFAULT_SIGNAL_PATH = '/peer-connect/signal';

/** The WebTorrent tracker's WebSocket (protocol/tracker-messages.ts): the build's tracker when it is told none. */
export const DEFAULT_TRACKER_PATH = '/peer-connect/announce';

/** `GET` → swarm and peer counts (JSON). */
export const DEFAULT_HEALTH_PATH = '/peer-connect/health';

/**
 * The site owner's pages, answered only with the dashboard token (`--dashboard-token`,
 * PEER_CONNECT_DASHBOARD_TOKEN) and 404 on a server that has none: the dashboard (HTML; `/data`
 * its JSON, `/app.js` its script), the metrics in the Prometheus text format, and the P2P switch
 * (`GET` the modes, `POST` new ones).
 */
export const DEFAULT_DASHBOARD_PATH = '/peer-connect/dashboard';
export const DEFAULT_METRICS_PATH = '/peer-connect/metrics';
export const DEFAULT_P2P_PATH = '/peer-connect/p2p';
