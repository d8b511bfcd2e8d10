/** The bridge reads the worker's verified pieces to upload them and lists complete assets to announce. */
import { createStore, get, keys } from 'idb-keyval';
import { ASSET_KEY_PREFIX, DB_NAME, hashOfKey, pieceKey, STORE_NAME } from '../protocol/store-keys.ts';

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
    return all.map((k) => hashOfKey(k, ASSET_KEY_PREFIX)).filter((h): h is string => h !== null);
  } catch {
    return [];
  }
}
