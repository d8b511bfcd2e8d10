/** The service worker's hedge delays, deadlines and piece store. Part of protocol/limits.ts: import from there. */
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
 * A crowd (sw/hedge-policy.ts crowdFirstMs): when the signaling server named only visitors still
 * fetching an asset (none holds it whole yet) and registered this one as the HEDGE_CROWD_RANK-th
 * or later to fetch it (its `rank`, passed on in the bridge's `accepted`), its first-piece hedge
 * delay is HEDGE_CROWD_MARGIN times as long, at most HEDGE_CROWD_MAX_MS. The pieces come from
 * the others' own fetches (the first takes the origin's, streaming) and from their uploads,
 * later than from a holder; with every one of a crowd hedging, the origin serves a copy each, as
 * without PeerConnect. Swarm simulator (bench/swarm-sim/), all at once: N = 1,000 0.45x -> 0.16x
 * the plain origin's bytes, median completion 4.9 -> 2.6 s (plain 10.3 s, the origin saturated);
 * N = 10,000 0.99x -> 0.38x, 107 -> 37 s (plain 100 s); N = 100 0.45x -> 0.39x at the same
 * median; N = 10 and one after another unchanged, Poisson 10 0.29x -> 0.28x. The e2e crowd of five
 * (tests/e2e/swarm.test.ts): 0.24-0.35x quiet and 0.29x under two busy loops, where the second
 * fetcher, after the usual 1.5 s, had taken every image from the origin in 2 of 11 runs (0.46x,
 * 0.53x). Rank 4 (a crowd of five or more) left those runs as they were.
 */
export const HEDGE_CROWD_RANK = 1;
export const HEDGE_CROWD_MARGIN = 3;
export const HEDGE_CROWD_MAX_MS = 4_500;

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

/**
 * After the worker failed to fetch or verify its asset table (sw/asset-table.ts), the next try
 * waits this long: meanwhile every request passes through, and one fetch a request would make a
 * missing or tampered table cost the origin a request per asset.
 */
export const ASSET_TABLE_RETRY_MS = 5_000;

/**
 * An asset table of at most this many bytes is inlined into the worker's script as well as written
 * beside it: fetching it would add a round trip to every install, which a held first visit waits
 * for (80 ms and more from a distant origin), while 16 KiB (about a hundred files) adds less than
 * that to the script. Larger tables, the sites whose script would grow with their size, are fetched.
 */
export const ASSET_TABLE_INLINE_MAX_BYTES = 16 * 1024;

// ---- the build's critical marks (protocol/critical-set.ts) ----

/**
 * The first image in a page's markup at least this large (declared `width` × `height`, CSS px)
 * is its likely LCP element, and the build marks it critical for that page (with every image
 * marked `fetchpriority="high"`): the worker asks the origin for it at once. 100,000 px is a
 * 400 × 250 picture, a quarter of a phone's first screen; a logo or an avatar stays below it.
 * `loading="lazy"` images are never the first large one: a page that lazy-loads an image does not
 * expect it in its first screen.
 */
export const LCP_MIN_IMAGE_PIXELS = 100_000;
/**
 * The same for an image without both dimensions declared, by its file's size: one piece (64 KiB).
 * A smaller file comes in one peer message, and its wait for peers is a single round trip.
 */
export const LCP_MIN_IMAGE_BYTES = 64 * 1024;
