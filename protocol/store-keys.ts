/**
 * IndexedDB layout shared by the worker (writes verified pieces) and the bridge (reads them to
 * upload, lists complete assets to announce). One idb-keyval store, keys by prefix. Only the
 * worker writes (sw/store); the bridge only reads.
 */
import { HASH_PATTERN } from './limits.ts';

export const DB_NAME = 'peer-connect';
export const STORE_NAME = 'pieces';

/** A verified piece's bytes (ArrayBuffer). */
export const pieceKey = (hash: string, index: number): string => `p:${hash}:${index}`;
export const PIECE_KEY_PREFIX = 'p:';
/** Prefix of every piece key of one asset. */
export const assetPiecesPrefix = (hash: string): string => `p:${hash}:`;

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

/**
 * An asset's place in the worker's LRU (StoredAssetUse), written in the same transaction as each
 * change to its pieces, so its byte count always matches them.
 */
export const useKey = (hash: string): string => `u:${hash}`;
export const USE_KEY_PREFIX = 'u:';

/**
 * A piece-hash list the worker fetched (protocol/piece-list.ts), raw bytes (ArrayBuffer) under its
 * root; verified against that root again whenever read. Kept while the manifest names the root.
 */
export const pieceListKey = (root: string): string => `l:${root}`;
export const PIECE_LIST_KEY_PREFIX = 'l:';

/** A use record of either store's LRU. */
export interface StoredUse {
  /** Bytes of what it accounts for (an asset's stored pieces, one torrent chunk). */
  bytes: number;
  /** Milliseconds since the epoch, made strictly increasing (see protocol/byte-lru.ts). */
  lastUse: number;
}

export type StoredAssetUse = StoredUse;

/** A use record read back from storage, or null if malformed (another layout, a bad edit). */
export function parseStoredUse(value: unknown): StoredUse | null {
  if (typeof value !== 'object' || value === null) return null;
  const { bytes, lastUse } = value as Record<string, unknown>;
  if (typeof bytes !== 'number' || !Number.isInteger(bytes) || bytes <= 0) return null;
  if (typeof lastUse !== 'number' || !Number.isFinite(lastUse)) return null;
  return { bytes, lastUse };
}

/**
 * Bounds of the keys that start with `prefix`, as [lower, upper) for an IndexedDB key range:
 * upper is the prefix with its last character incremented, so no key with the prefix reaches it.
 */
export function prefixBounds(prefix: string): [string, string] {
  const last = prefix.charCodeAt(prefix.length - 1);
  return [prefix, prefix.slice(0, -1) + String.fromCharCode(last + 1)];
}

/** The hash of an `a:`/`u:` key (`prefix` + 64 hex), or null for anything else. */
export function hashOfKey(key: unknown, prefix: string): string | null {
  if (typeof key !== 'string' || !key.startsWith(prefix)) return null;
  const hash = key.slice(prefix.length);
  return HASH_PATTERN.test(hash) ? hash : null;
}

/** The hash and index of a `p:<hash>:<index>` key, or null for anything else. */
export function parsePieceKey(key: unknown): { hash: string; index: number } | null {
  if (typeof key !== 'string') return null;
  const match = /^p:([0-9a-f]{64}):(0|[1-9][0-9]{0,9})$/.exec(key);
  const index = Number(match?.[2]);
  return match && Number.isSafeInteger(index) ? { hash: match[1]!, index } : null;
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

export type StoredChunkUse = StoredUse;

/**
 * The worker's asset table (protocol/asset-table.ts), raw bytes (ArrayBuffer) under its root;
 * verified against that root again whenever read. Only the active worker's root is kept.
 */
export const assetTableKey = (root: string): string => `t:${root}`;
export const ASSET_TABLE_KEY_PREFIX = 't:';
