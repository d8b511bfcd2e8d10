/**
 * Every limit PeerConnect enforces, in one place, with the reason for its value.
 * The browser parts and the signaling server import these; options may lower them, never raise
 * them past what the protocol allows.
 */

/**
 * Piece size. 64 KiB: one piece is one data-channel message (Chromium's max message is 262144
 * bytes, and SCTP interleaving is poor above ~64 KiB), small enough that a stalled piece costs
 * little to refetch from the origin, large enough that per-piece hashes stay ~0.1% of the bytes.
 */
export const PIECE_SIZE = 64 * 1024;

/** Largest piece size a manifest may declare (one data-channel message, minus our frame header). */
export const MAX_PIECE_SIZE = 256 * 1024 - 16;

/** Largest asset a manifest may describe (2 GiB): piece indexes and offsets stay exact in doubles. */
export const MAX_ASSET_SIZE = 2 * 1024 * 1024 * 1024;

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

// ---- peer wire (data channel) ----

/** Largest control message on a data channel (JSON `have` batches dominate). */
export const MAX_WIRE_CONTROL_BYTES = 64 * 1024;

/** Requests a peer may have outstanding with us; more are refused with `nak`. */
export const MAX_REQUESTS_IN_FLIGHT_FROM_PEER = 16;

/**
 * Bytes an uploader lets queue on one data channel before it waits. 1 MiB keeps the SCTP pipe
 * full (at 64 KiB, simple-peer's default, one piece is on the wire at a time: 6 MB/s measured
 * here), and stays far under Chromium's 16 MiB send-buffer limit, past which send() throws.
 */
export const MAX_UPLOAD_BUFFERED_BYTES = 1024 * 1024;

/** How often a blocked uploader checks the channel's buffer again. */
export const UPLOAD_POLL_MS = 4;

/** Requests we keep outstanding with one peer (pipelining hides the round trip). */
export const PIECES_IN_FLIGHT_PER_PEER = 6;

/** Open peer connections per tab, parked offers included. */
export const MAX_CONNECTIONS = 8;

/**
 * Holders a tab asks to be introduced to when it joins, so it connects while the page loads:
 * each page view is a new tab identity, and without this its first asset waits for a `want`
 * round trip plus WebRTC set-up (~300 ms of a first visit here, see bench/first-visit.ts).
 */
export const INTRODUCE_ON_JOIN = 2;

/** Offers the bridge keeps parked on the server so a newcomer connects in one round trip. */
export const PARKED_OFFERS = 2;

/** A handed-out offer whose answer has not come back by then is dropped and replaced. */
export const OFFER_ANSWER_TIMEOUT_MS = 15_000;

/** WebRTC set-up (answer to open channel) must finish within this or the attempt is dropped. */
export const CONNECT_TIMEOUT_MS = 5_000;

// ---- a tab against hostile peers (page-bridge): budgets of links, uploads and connections ----

/**
 * Distinct assets one link may say it holds (`have`), in hashes. The same bound the signaling
 * server keeps per peer: a site with more assets than this is not one swarm's worth. One hash more
 * is a protocol violation: the peer is banned and unlinked (a 512-hash `have` flood otherwise
 * grows the tab's heap without end).
 */
export const MAX_HAVES_PER_LINK = MAX_HAVE_PER_PEER;

/**
 * Bytes a tab uploads to one peer (by peer id) in a page view. 32 MiB is many pages' worth of a
 * site's ordinary assets (media go through the torrent path); past it the peer is refused with
 * `nak over-budget` and fetches from the origin or other peers.
 */
export const UPLOAD_BYTES_PER_PEER = 32 * 1024 * 1024;

/** Bytes a tab uploads to all peers together in a page view; past it every request is refused `nak over-budget`. */
export const UPLOAD_BYTES_PER_PAGE_VIEW = 128 * 1024 * 1024;

/**
 * Upload rate to one peer, in bytes per second (token bucket, refilled on the Clock), and its
 * burst in bytes: a piece with no token left is refused `nak busy`, so the downloader asks another
 * holder or the origin instead of waiting on us.
 */
export const UPLOAD_RATE_PER_PEER_BYTES_PER_S = 4 * 1024 * 1024;
export const UPLOAD_BURST_PER_PEER_BYTES = 4 * 1024 * 1024;

/** Upload rate of the whole tab, in bytes per second, and its burst in bytes (token bucket). */
export const UPLOAD_RATE_PER_PAGE_VIEW_BYTES_PER_S = 8 * 1024 * 1024;
export const UPLOAD_BURST_PER_PAGE_VIEW_BYTES = 16 * 1024 * 1024;

/**
 * WebTorrent's upload rate in bytes per second (its throttle, `uploadLimit`), and the bytes it may
 * upload in a page view before the throttle is set to 0. A wire (one peer) past
 * TORRENT_UPLOAD_BYTES_PER_WIRE is destroyed.
 */
export const TORRENT_UPLOAD_RATE_BYTES_PER_S = 8 * 1024 * 1024;
export const TORRENT_UPLOAD_BYTES_PER_PAGE_VIEW = 256 * 1024 * 1024;
export const TORRENT_UPLOAD_BYTES_PER_WIRE = 64 * 1024 * 1024;

/**
 * Offers of ours that may be pending at once (RTCPeerConnections parked on the server, or taken
 * by a newcomer whose answer has not come): an offer taken and never answered holds one for
 * OFFER_ANSWER_TIMEOUT_MS. When it expires, or a link closes, the pool parks again up to
 * PARKED_OFFERS. A separate budget from MAX_PENDING_ANSWERS.
 */
export const MAX_PENDING_PARKED_OFFERS = 6;

/**
 * Connections being set up that we did not park: answers to others' offers (through `want`, an
 * introduction or the relay) and offers we send through the relay. A relayed offer past this is
 * ignored before any RTCPeerConnection is made.
 */
export const MAX_PENDING_ANSWERS = 6;

/**
 * RTCPeerConnections WebTorrent may have pending (made, neither connected nor closed) in a tab.
 * An offer from the tracker past this is dropped before its connection is made, so a tracker's
 * offer flood cannot use up the browser's connections (Chromium refuses past ~500 per renderer).
 */
export const TORRENT_MAX_PENDING_CONNECTIONS = 16;

/**
 * How long a link's delivered throughput is measured over (ms, on the Clock): bytes of pieces that
 * arrived within it, divided by the time within it that the link had requests in flight.
 */
export const THROUGHPUT_WINDOW_MS = 5_000;

/**
 * A link's throughput is a verdict only once it has had requests in flight this long (ms) within
 * the window: before that, its first pieces' time is mostly round trip and storage reads, and a
 * fast peer would look slow.
 */
export const THROUGHPUT_MIN_BUSY_MS = 1_000;

/**
 * How much later than the origin the holders must be expected to finish a response's rest before
 * it goes to the origin: the origin estimate is rough, and every byte a peer sends is one the
 * origin does not.
 */
export const SLOW_PEER_MARGIN = 1.5;

/**
 * What the bridge assumes of the origin when it decides a slow peer should hand the rest of a
 * response to the origin, in bytes per second and ms of latency, until the worker has reported a
 * response the origin alone served (then that measured rate, page-bridge/peer-score.ts).
 * Conservative (8 Mbit/s, a long first byte): a peer is bypassed only when even that origin
 * finishes first.
 */
export const ORIGIN_ASSUMED_BYTES_PER_S = 1024 * 1024;
export const ORIGIN_ASSUMED_LATENCY_MS = 500;

// ---- service worker deadlines ----

/**
 * How long the bridge waits for its signaling connection before answering a piece request
 * `no-peers` (half of this, page-bridge/piece-requests.ts). The worker itself no longer waits on
 * fixed deadlines: see the HEDGE_* limits below.
 */
export const BRIDGE_ACCEPT_TIMEOUT_MS = 1_500;

/**
 * Hedging (sw/hedge-policy.ts): the worker asks the origin for what peers have not delivered
 * after min(peers' measured first-piece time × HEDGE_MARGIN, the origin's measured time for the
 * whole request, never below the peers' own expected time), kept within [HEDGE_MIN_MS,
 * HEDGE_MAX_MS]; bytes other gathers still wait for from peers add to that expected time at the
 * peers' rate. Peers keep sending, and the first
 * verified copy of each piece wins. Before anything is measured, a first peer piece is assumed to
 * take HEDGE_PEER_FIRST_PIECE_MS (signaling round trip plus WebRTC set-up: 40-70 ms on loopback,
 * a few hundred across the internet) and peers to send HEDGE_PEER_BYTES_PER_MS (1 MB/s).
 */
export const HEDGE_MARGIN = 2;
/**
 * Floors measured on the shared 2-core machine under load (tests/e2e/offload.test.ts, gate 90%):
 * 300 ms and a 600 ms gap floor let one hedged image race the origin now and then (offload
 * 84.7%); 500 ms and 1 s passed 3 runs of 3 at 94.5%.
 */
export const HEDGE_MIN_MS = 500;
export const HEDGE_MAX_MS = 1_500;
export const HEDGE_PEER_FIRST_PIECE_MS = 300;
/**
 * The same, and a floor for what is measured, when the requesting page's bridge has not delivered
 * a peer piece yet (a page just navigated to: after its hello it still connects to signaling and
 * sets up WebRTC;
 * 330-350 ms on loopback in bench/RESULTS.md's page-speed navigations, more than 800 ms on a loaded
 * 2-core machine, where 800 here lost 8-10 points of tests/e2e/offload.test.ts). A floor because a
 * sample counts only what came before the hedge cut it off. A bridge that finds no holder answers
 * `no-peers` at once, so this wait only costs time when holders exist and are slow to reach.
 */
export const HEDGE_PEER_COLD_FIRST_PIECE_MS = 1_500;
export const HEDGE_PEER_BYTES_PER_MS = 1_000;
/**
 * A gap between two peer pieces longer than HEDGE_STALL_PIECES pieces at the peers' measured
 * rate (× HEDGE_MARGIN), and at least HEDGE_STALL_MIN_MS, hedges the rest to the origin.
 */
export const HEDGE_STALL_PIECES = 4;
/**
 * After a bridge answered `no-peers`, when no peer piece came for this long either, a request whose
 * page's bridge has not delivered peer pieces yet (a navigation) goes to the network at once
 * instead of waiting for that bridge to start (sw/hedge-policy.ts SourceSpeeds.expectNoPeers): the
 * swarm was just seen to hold nothing. After this long without a new `no-peers`, peers are asked again.
 */
export const NO_PEERS_MEMORY_MS = 10_000;
export const HEDGE_STALL_MIN_MS = 1_000;

/**
 * How long a request waits for its window's bridge to say hello (the bridge script is async and
 * may still be loading), before its hedge delay starts. Stylesheets, scripts and fonts never wait:
 * they go to the network at once (sw/hedge-policy.ts isCritical).
 */
export const BRIDGE_HELLO_TIMEOUT_MS = 1_000;

/**
 * Largest body of an origin refusal (401, 403, 404, 410, 5xx) the worker hands to the page as the
 * origin's own answer: it is read into memory first (see sw/origin-run.ts). Error pages are small.
 */
export const MAX_REFUSAL_BODY_BYTES = 1024 * 1024;

/**
 * How long the worker holds the requests of a page it saw navigated to (one of the build's own
 * pages) until the page names its build: its request for our script comes as the head is parsed,
 * a few ms after the first bytes; a page that never does (it has no script after all) waits once.
 */
export const PAGE_BUILD_TIMEOUT_MS = 1_000;

/**
 * Least time between two update checks the worker asks for itself (after a deploy is noticed).
 * Each is a request for the worker script; a burst of changed assets needs one.
 */
export const SELF_UPDATE_MIN_INTERVAL_MS = 10_000;

/**
 * How long a page that has just come under the worker's control waits for the worker's
 * `welcome` before putting its first-visit elements back: their requests must find the worker
 * knowing the page's build, or they go to the origin.
 */
export const WELCOME_TIMEOUT_MS = 1_000;

/**
 * The bridge's wait for one piece from one link (page-bridge/peer-link.ts) before it tries
 * another peer or answers `piece-failed`.
 */
export const PIECE_STALL_TIMEOUT_MS = 1_500;

/**
 * Pieces the worker gathers ahead for one response (4 MiB): the next window starts when half of
 * this one is read. Bounds a video response's memory in the worker to about two windows, and what
 * peers or the torrent are asked for to what the element is about to read.
 */
export const GATHER_WINDOW_PIECES = 64;

/** How long a first visit waits for the worker to take control before loading assets anyway. */
export const FIRST_VISIT_SWAP_TIMEOUT_MS = 4_000;

/**
 * `--first-visit auto` reloads a page on a first visit only when its markup names at least this
 * many bytes of manifest assets (and twice the page's own size): below it the second load of the
 * HTML and the worker's start-up cost more than peers can save. One piece.
 */
export const FIRST_VISIT_MIN_ASSET_BYTES = 64 * 1024;

/** The worker stores verified pieces in batches: at most this many per IndexedDB transaction... */
export const WRITE_BATCH_PIECES = 16;
/** ...and a piece waits at most this long for its batch (it is already on its way to the page). */
export const WRITE_BATCH_DELAY_MS = 30;

// ---- the worker's piece store (IndexedDB, sw/store) ----

/**
 * Bytes of verified pieces the worker keeps in IndexedDB before it evicts whole assets, least
 * recently used first (default of `--store-quota`). The piece store holds a site's ordinary
 * assets (images, fonts, scripts, styles; media and files from TORRENT_MIN_SIZE up go to the
 * torrent store), so 256 MiB keeps all of them for nearly every site: a returning visitor is
 * served, and seeds, from storage. With the torrent store's 512 MiB the origin stays under 1 GiB,
 * below what browsers grant an origin before they evict it whole (or, Safari, ask the user).
 */
export const PIECE_STORE_QUOTA_BYTES = 256 * 1024 * 1024;

/**
 * Bytes of verified piece-hash lists (protocol/piece-list.ts) the worker keeps in memory, least
 * recently used dropped first; IndexedDB keeps every list the manifest names. 4 MiB is the lists
 * of 8 GiB of assets (32 B per 64 KiB piece), or four 2 GiB videos.
 */
export const PIECE_LIST_MEMORY_BYTES = 4 * 1024 * 1024;

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

// ---- WebTorrent chunk store (IndexedDB, page-bridge/torrent-store) ----

/**
 * Bytes of torrent chunks one origin keeps in IndexedDB, across all its torrents, before the least
 * recently used chunks are evicted. 512 MiB holds a few typical site videos (5 min of 1080p at
 * 5 Mbit/s is ~190 MB), so a returning visitor seeds what it watched, while staying far below what
 * browsers grant an origin before they evict it whole (Chromium up to 60% of free disk, Firefox
 * 10% of disk or 10 GiB, Safari asks past ~1 GiB): a whole-origin eviction would also wipe the
 * worker's verified pieces. The bridge may pass a lower quota (e.g. from navigator.storage.estimate()).
 */
export const TORRENT_STORE_QUOTA_BYTES = 512 * 1024 * 1024;

/**
 * A `get` moves its chunk to the young end of the LRU at once in memory, but its use record is
 * written in batches at most this long after: one small write per second instead of one per read
 * while a video streams. A tab closed in between loses at most this much of the order, never data.
 */
export const TORRENT_LRU_FLUSH_MS = 1_000;

// ---- torrents made by the build (builder/make-torrent.ts) ----

/**
 * Default of `--torrent-min-size`: a file this large or larger gets a torrent whatever its type.
 * 8 MiB is above nearly every image, font, script and stylesheet, so ordinary assets keep the
 * piece path (one site swarm, connections already open); above it are downloads and media, which
 * take seconds even on a fast link, so joining a torrent's swarm (fetch the .torrent, one
 * announce, a WebRTC set-up: well under a second) costs little next to the transfer, and they
 * gain WebTorrent's many-peer, rarest-first download with the origin as web seed.
 */
export const TORRENT_MIN_SIZE = 8 * 1024 * 1024;

/**
 * Torrent piece length, smallest. A piece is the unit WebTorrent verifies (nothing of it plays
 * before all of it arrives), the size of one Range request to the web seed, and the least a seek
 * fetches: 64 KiB is 65-260 ms of video at 2-8 Mbit/s, so the first frame and a seek wait for
 * little. It equals PIECE_SIZE, and every length used is a power-of-two multiple of it, so a
 * torrent piece covers whole manifest pieces (the worker can check it with its own SHA-256s).
 * create-torrent's default (16 KiB) would mean one web-seed request per 16 KiB.
 */
export const TORRENT_MIN_PIECE_LENGTH = 64 * 1024;

/**
 * Pieces a torrent aims at: the piece length doubles from TORRENT_MIN_PIECE_LENGTH until the
 * file fits in this many. The .torrent (20 bytes of SHA-1 per piece) is fetched before playback
 * starts, so it stays ≤ 80 KiB: 64 KiB pieces up to 256 MiB, 256 KiB at 1 GiB, 512 KiB at the
 * 2 GiB asset limit (half a second of 8 Mbit/s video).
 */
export const TORRENT_TARGET_PIECES = 4096;

/** Largest torrent piece length the build makes or a manifest may declare. */
export const TORRENT_MAX_PIECE_LENGTH = 1024 * 1024;

/**
 * A torrent read waits this long for a first peer before using the web seed, unless the tracker
 * said no one else is in the swarm (then at once). Peers found by the tracker connect in one
 * round trip plus ICE on a LAN; longer would delay the first viewer's first frame for nothing.
 */
export const TORRENT_WEB_SEED_GRACE_MS = 700;
/** No byte from any wire for this long while reading: the web seed joins in. */
export const TORRENT_WEB_SEED_STALL_MS = 800;

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
