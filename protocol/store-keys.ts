/**
 * IndexedDB layout shared by the worker (writes verified pieces) and the bridge (reads them to
 * upload, lists complete assets to announce). One idb-keyval store, keys by prefix.
 */
export const DB_NAME = 'peer-connect';
export const STORE_NAME = 'pieces';

/** A verified piece's bytes (ArrayBuffer). */
export const pieceKey = (hash: string, index: number): string => `p:${hash}:${index}`;

/** An asset record, written once every piece is stored. */
export const assetKey = (hash: string): string => `a:${hash}`;
export const ASSET_KEY_PREFIX = 'a:';

export interface StoredAsset {
  hash: string;
  size: number;
  pieces: number;
  complete: true;
  storedAt: number;
}

// ---- WebTorrent chunk store (page-bridge/torrent-store) ----
// A database of its own: WebTorrent's pieces are checked against the torrent's info hash, not the
// manifest's SHA-256 pieces, so they must never be mistaken for the worker's `peer-connect` pieces,
// and idb-keyval opens one object store per database (a second store name in `peer-connect`
// would never be created).
export const TORRENT_DB_NAME = 'peer-connect-torrents';
export const TORRENT_STORE_NAME = 'chunks';

/**
 * Keys are arrays so that a torrent's chunks, and all use records, are contiguous key ranges
 * (one range read on load, one range delete on destroy) whatever characters a torrent id holds.
 */
export const TORRENT_CHUNK_TAG = 'c';
export const TORRENT_USE_TAG = 'u';

/** One chunk's bytes (ArrayBuffer). */
export const torrentChunkKey = (torrentId: string, index: number): [string, string, number] => [TORRENT_CHUNK_TAG, torrentId, index];

/** One chunk's LRU record ({ bytes, lastUse }), written in the same transaction as the chunk. */
export const torrentUseKey = (torrentId: string, index: number): [string, string, number] => [TORRENT_USE_TAG, torrentId, index];

export interface StoredChunkUse {
  bytes: number;
  /** Milliseconds since the epoch, made strictly increasing (see page-bridge/torrent-store/lru.ts). */
  lastUse: number;
}
