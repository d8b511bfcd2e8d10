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
