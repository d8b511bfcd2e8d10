/** Limits of our signaling protocol (signal-worker/core/signal) and the patterns its ids follow. Part of protocol/limits.ts: import from there. */
// ---- signaling (WebSocket, JSON) ----

/** Largest signaling message, in UTF-16 code units of the JSON text. An SDP offer is ~1-3 KB. */
export const MAX_SIGNAL_MESSAGE_CHARS = 64 * 1024;

/** Hashes per `join`/`have` message; a peer with more sends several messages. */
export const MAX_HAVE_PER_MESSAGE = 512;

/** Distinct assets one peer may announce in total (bounds the server's index per connection). */
export const MAX_HAVE_PER_PEER = 4096;

/** Peers in one swarm on one server; a full swarm refuses new peers with `swarm-full`. */
export const MAX_PEERS_PER_SWARM = 2000;

/**
 * Open sockets on the signaling route of one server (one hub; on Cloudflare, one swarm's object).
 * One more is refused with 503 before the upgrade. Measured cost of an honest peer: ~20-33 KiB.
 */
export const MAX_SIGNAL_CONNECTIONS = 10_000;

/** Open signaling sockets from one client address; one more is refused with 503 before the upgrade. */
export const MAX_SIGNAL_CONNECTIONS_PER_ADDRESS = 256;

/** Swarms (sites) one server holds at once; a `join` that would open one more gets `server-full`. */
export const MAX_SIGNAL_SWARMS = 10_000;

/** Joined peers one server holds at once, all swarms together; one more `join` gets `server-full`. */
export const MAX_SIGNAL_PEERS = 10_000;

/**
 * Joined peers from one client address in one swarm: one visitor (or one NAT) cannot fill a site's
 * swarm. One more `join` gets `too-many-peers`.
 */
export const MAX_PEERS_PER_ADDRESS_IN_SWARM = 64;

/** Distinct asset hashes announced in one swarm (a site has at most this many assets in play). */
export const MAX_HASHES_PER_SWARM = 65_536;

/** Distinct (swarm, hash) pairs on one server; past it announcements get `server-full`. */
export const MAX_SIGNAL_HASHES = 262_144;

/** (peer, hash) announcements on one server, all peers together (~150 bytes each); past it `server-full`. */
export const MAX_SIGNAL_HAVE_ENTRIES = 1_000_000;

/**
 * SDP characters parked on one server, all peers' offers together (~64 MiB). Past it a new offer
 * is not parked: its holder is listed without one, and the requester offers itself.
 */
export const MAX_PARKED_OFFER_CHARS = 64 * 1024 * 1024;

/**
 * Bytes the runtime may hold queued for one socket (sent by us, not yet read by the client). A
 * relay to a socket past it is refused (`peer-busy` to the sender) and that socket is closed.
 */
export const MAX_SOCKET_BUFFERED_BYTES = 1024 * 1024;

/** The window over which offers handed from one holder to one requester are counted, in ms. */
export const OFFER_WINDOW_MS = 10_000;

/** Parked offers one holder hands one requester per OFFER_WINDOW_MS; past it the holder is listed without one. */
export const MAX_OFFERS_PER_HOLDER_PER_REQUESTER = 2;

/**
 * Offers a requester may take without answering them (an `answer` relayed back to the holder for
 * that connId clears one). Past it the requester gets holders without offers for OFFER_COOLDOWN_MS.
 */
export const MAX_UNANSWERED_OFFERS = 16;

/** How long a requester that took too many offers without answering gets none, in ms. */
export const OFFER_COOLDOWN_MS = 30_000;

/** Offers a peer may park on the server (each is a live RTCPeerConnection in the peer's tab). */
export const MAX_PARKED_OFFERS = 4;

/** Length of one SDP string (Chromium's non-trickle offers with host candidates are < 4 KB). */
export const MAX_SDP_CHARS = 16 * 1024;

/** Holders returned for one `want`; the bridge asks again if they all fail. */
export const MAX_PEERS_PER_WANT = 4;

/** Peer ids a `want` may exclude (already connected or banned ones). */
export const MAX_WANT_EXCLUDE = 64;

/** Messages per second per connection, averaged over a short window (token bucket). */
export const MAX_MESSAGES_PER_SECOND = 50;

/** Burst allowance of the token bucket above. */
export const MESSAGE_BURST = 100;

/** A connection that sends nothing for this long is closed; bridges ping every PING_INTERVAL_MS. */
export const IDLE_TIMEOUT_MS = 90_000;
export const PING_INTERVAL_MS = 30_000;

/** Length limits for ids. Peer ids are random, 16-64 URL-safe characters. */
export const PEER_ID_PATTERN = /^[A-Za-z0-9_-]{16,64}$/;
export const SWARM_ID_PATTERN = /^[A-Za-z0-9._:@-]{1,128}$/;
export const CONN_ID_PATTERN = /^[A-Za-z0-9_-]{8,64}$/;
export const HASH_PATTERN = /^[0-9a-f]{64}$/;

/**
 * Assets one signaling peer may be registered as fetching (a `want` with `fetching`), besides
 * its complete `have`s: the oldest is dropped past it. A fetcher is listed to others' `want`s
 * after the holders, and leaves the list once it announces the asset (`have`) or leaves.
 */
export const MAX_FETCHING_PER_PEER = 64;
