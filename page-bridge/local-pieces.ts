/** The bridge reads the worker's verified pieces to upload them and lists complete assets to announce. */
import { createStore, get, keys } from 'idb-keyval';
import { ASSET_KEY_PREFIX, DB_NAME, pieceKey, STORE_NAME } from '../protocol/store-keys.ts';
import { HASH_PATTERN } from '../protocol/limits.ts';

const store = createStore(DB_NAME, STORE_NAME);

export async function readPiece(hash: string, index: number): Promise<Uint8Array | null> {
  try {
    const value = await get<unknown>(pieceKey(hash, index), store);
    return value instanceof ArrayBuffer ? new Uint8Array(value) : null;
  } catch {
    return null;
  }
}

/** Hashes of assets whose every piece is stored. */
export async function completeAssets(): Promise<string[]> {
  try {
    const all = await keys(store);
    return all
      .filter((k): k is string => typeof k === 'string' && k.startsWith(ASSET_KEY_PREFIX))
      .map((k) => k.slice(ASSET_KEY_PREFIX.length))
      .filter((h) => HASH_PATTERN.test(h));
  } catch {
    return [];
  }
}
