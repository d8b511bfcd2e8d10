/** The peer wire and a tab's budgets against hostile peers (page-bridge). Part of protocol/limits.ts: import from there. */
import { MAX_HAVE_PER_PEER } from './signaling.ts';

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

/**
 * The most queuing delay a link lets its uploads build up before it chokes new requests (ms): a
 * request that would wait longer behind the bytes already queued on its link (the channel's
 * buffer and the pieces read and waiting to be sent), at the rate that link was measured to
 * drain (page-bridge/schedule/upload-queue.ts), is refused at once with `nak choked`, and its
 * asker tries another peer for that piece. A deep queue delays every request in it, and a request
 * that times out there has spent the uploader's bytes all the same (once in a channel's buffer
 * they cannot be taken back). BEP 29 (uTP's LEDBAT) targets 100 ms for the same reason. Per
 * link, not per tab: links sharing an uplink each drain at their share, so a link's own delay is
 * the uplink's; and a tab-wide queue let one slow reader (a busy receiving page that leaves its
 * channel full) choke every link: the e2e crowd of five (tests/e2e/swarm.test.ts) then took
 * 0.55-0.72x the plain origin's bytes instead of 0.33-0.45x; per link, 0.25-0.36x. Swarm
 * simulator (bench/swarm-sim/), before -> with: N = 1,000 all at once 0.93x -> 0.64x the plain
 * origin's bytes, a Poisson stream 0.072x -> 0.046x, one after another unchanged.
 */
export const UPLOAD_QUEUE_TARGET_MS = 100;

/**
 * How long a requester leaves a peer that answered `nak choked` before asking it again (ms):
 * about a piece's time at a median upload, so it is asked again once its queue has drained.
 */
export const CHOKE_RETRY_MS = 50;

/** How often a blocked uploader checks the channel's buffer again. */
export const UPLOAD_POLL_MS = 4;

/** Requests one response keeps outstanding with one peer (pipelining hides the round trip). */
export const PIECES_IN_FLIGHT_PER_PEER = 6;

/**
 * Requests all of a tab's responses keep outstanding with one peer: the uploader queues this many
 * (MAX_REQUESTS_IN_FLIGHT_FROM_PEER). Larger than one response's share, so a page's later images
 * get their first piece asked at once instead of waiting behind a large one's pieces: a response
 * whose first piece waits past the worker's hedge delay goes to the origin (issue 13, measured
 * in tests/e2e/swarm.test.ts on a loaded machine).
 */
export const PIECES_IN_FLIGHT_PER_LINK = 16;

/**
 * The origin's extra whole copies for a crowd (page-bridge/schedule/origin-share.ts): the fetchers
 * of ranks 8, 16, 32, ... (a rank is how many visitors were already fetching the asset, and no one
 * held it whole, when the signaling server registered this one) take the whole asset from the
 * origin, besides the first. Each page's first fetcher alone seeds a crowd at its own upload rate
 * (a median 10 Mbit/s: 1.4 s for one copy of a 1.7 MB page), slower than the worker's hedge waits;
 * log2(N / 4) copies for N arriving together keep the origin's bytes per visitor at about
 * log2(N) / N. Swarm simulator, N = 1,000 all at once: 0.64x -> 0.45x the plain origin's bytes,
 * median completion 7.8 -> 4.9 s; N = 100: 0.64x -> 0.45x; Poisson and one after another unchanged
 * (a holder is named there, and ranks are not used). Below 8 a crowd of a few (the e2e's five)
 * takes no extra copy.
 */
export const ORIGIN_SEED_FIRST_RANK = 8;

/** Endgame (page-bridge/schedule/piece-picker.ts): the last pieces of a response may be asked of a second peer. */
export const ENDGAME_PIECES = 4;

/**
 * A link is closed to make room for a new one only once it has been idle this long (ms). A page
 * asks the server for each asset in turn and would otherwise close the links it opened for the
 * asset before, to peers fetching the same page, before they had told it anything (issue 13: a
 * swarm arriving together churned its links). The swarm simulator (bench/swarm-sim/) models the
 * pool with it; longer than the worker's longest hedge delay (HEDGE_MAX_MS) twice over.
 */
export const LINK_MIN_IDLE_BEFORE_CLOSE_MS = 4_000;

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

/**
 * How long a tab holds a peer's request for a piece of an asset it is fetching itself and has
 * not stored yet (page-bridge/fetching-now.ts), before it answers `nak missing` (ms). Shorter
 * than the asker's own wait for a piece (PIECE_STALL_TIMEOUT_MS), so the asker hears a refusal
 * and tries elsewhere rather than timing out.
 */
export const PIECE_HOLD_MS = 1_200;

/**
 * A tab counts as fetching an asset for this long after its worker last asked for it or stored a
 * piece of it (ms): long enough for a slow origin's next piece, short enough that a request it
 * will never answer is refused at once.
 */
export const FETCHING_MEMORY_MS = 10_000;

/** Assets a tab remembers fetching at once (the signaling server registers as many: MAX_FETCHING_PER_PEER). */
export const MAX_FETCHING_ASSETS = 64;

/**
 * Peers' requests a tab holds at once for pieces it is still fetching (fetching-now.ts): what
 * every link may queue (MAX_REQUESTS_IN_FLIGHT_FROM_PEER and the one being read). Past it a
 * request for a piece not stored yet is refused at once.
 */
export const MAX_HELD_REQUESTS = MAX_CONNECTIONS * (MAX_REQUESTS_IN_FLIGHT_FROM_PEER + 1);

/** Piece indexes in one `hp` (peer-wire.ts): a bitfield's worth of a large asset. */
export const MAX_HP_PIECES = 1024;

/** Assets a link keeps the other side's pieces of (`hp`), the oldest forgotten past it: a hint, not a promise. */
export const MAX_PARTIAL_PER_LINK = 64;

/**
 * Piece indexes a link keeps of the other side's `hp`, all its assets together; the oldest assets
 * are forgotten past it. Without it MAX_PARTIAL_PER_LINK assets of MAX_HP_PIECES * 64 pieces each
 * (4 Mi indexes, ~80 MB of heap a link) were a hostile peer's for the sending.
 */
export const MAX_HP_PIECES_PER_LINK = MAX_HP_PIECES * 64;
