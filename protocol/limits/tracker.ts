/** Limits of the WebTorrent WebSocket tracker (signal-worker/core/tracker). Part of protocol/limits.ts: import from there. */
// ---- WebTorrent WebSocket tracker (JSON, the protocol of bittorrent-tracker's ws server) ----

/**
 * Largest tracker frame, in UTF-16 code units. An announce carries at most TRACKER_MAX_OFFERS
 * non-trickle SDP offers; WebTorrent clients send 5 (hard-coded in bittorrent-tracker's client),
 * each well under MAX_SDP_CHARS, so 5 × 16 KiB plus ids and JSON fits with room.
 */
export const MAX_TRACKER_MESSAGE_CHARS = 128 * 1024;

/**
 * Offers one announce may carry, and so the most peers it can be introduced to (numwant is
 * clamped to this). bittorrent-tracker's client never sends more than 5; its server allows 50,
 * which would let one message fan out 50 SDPs.
 */
export const TRACKER_MAX_OFFERS = 10;

/** `interval` told to clients, in seconds (bittorrent-tracker's ws default: 10 min / 5). */
export const TRACKER_ANNOUNCE_INTERVAL_S = 120;

/** `min interval` told to clients, in seconds: re-announcing faster gains a client nothing. */
export const TRACKER_MIN_ANNOUNCE_INTERVAL_S = 30;

/**
 * A peer not heard from (announce or answer) for this long is swept from its swarm: two missed
 * announces plus slack for a slow client. Also the idle timeout of a tracker connection, since a
 * connection silent that long has no live peer left.
 */
export const TRACKER_PEER_TTL_MS = (2 * TRACKER_ANNOUNCE_INTERVAL_S + 60) * 1000;

/** How often stale peers are swept. */
export const TRACKER_SWEEP_INTERVAL_MS = 30_000;

/** Peers in one torrent swarm; one more gets a `failure reason` (bittorrent-tracker's LRU holds 1000). */
export const TRACKER_MAX_PEERS_PER_SWARM = 1000;

/** Torrent swarms on one server; a new info_hash past this gets a `failure reason`. */
export const TRACKER_MAX_SWARMS = 10_000;

/**
 * Swarm memberships (info_hash × peer_id) one connection may hold. WebTorrent pools one socket
 * per announce URL for every torrent (and every client) in a page or process.
 */
export const TRACKER_MAX_MEMBERSHIPS_PER_CONNECTION = 256;

/** info_hashes in one scrape. */
export const TRACKER_MAX_SCRAPE_HASHES = 64;

/** info_hash, peer_id, to_peer_id and offer_id are 20 bytes sent as a JSON "binary string". */
// biome-ignore lint/suspicious/noControlCharactersInRegex: a binary id is any 20 bytes as latin1, control characters included
export const TRACKER_BINARY_ID_PATTERN = /^[\u0000-\u00ff]{20}$/;
