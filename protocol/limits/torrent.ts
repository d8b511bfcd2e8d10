/** WebTorrent's chunk store and the torrents the build makes. Part of protocol/limits.ts: import from there. */
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

/**
 * The first bytes of each request for a torrent asset (a video's or audio's start, or a seek's)
 * are asked of the origin at once, while the torrent starts (its module, `.torrent`, store check
 * and tracker answer take 400–700 ms before a first byte): issue 14, "video: the first window
 * from the origin". 512 KiB holds a WebM/MP4 header, a first key frame and the frames after it
 * (a 720p key frame of noisy footage at 8 Mbit/s is ~330 KB, bench/video.ts's large video; with
 * 256 KiB its `loadedmetadata` still waited for the torrent).
 */
export const TORRENT_ORIGIN_HEAD_BYTES = 512 * 1024;
/**
 * The head is at most this share of the file, so a short clip still comes mostly from the swarm
 * (a file of fewer than 1 ÷ this pieces gets no head).
 */
export const TORRENT_ORIGIN_HEAD_MAX_SHARE = 0.25;
/**
 * Torrent assets a window's worker entry remembers as having had their head (or a piece): a page
 * plays a few media files; past this many, the oldest is forgotten and may get a head again
 * (sw/client-registry.ts claimTorrentHead).
 */
export const TORRENT_HEADS_PER_WINDOW = 32;
