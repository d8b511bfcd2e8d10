/** Verified pieces in IndexedDB (idb-keyval), shared with the bridge, which uploads from it. */
import { createStore, del, getMany, set } from 'idb-keyval';
import { assetKey, DB_NAME, pieceKey, STORE_NAME, type StoredAsset } from '../protocol/store-keys.ts';

const store = createStore(DB_NAME, STORE_NAME);

export async function readPieces(hash: string, indexes: readonly number[]): Promise<Array<ArrayBuffer | undefined>> {
  try {
    const values = await getMany<unknown>(indexes.map((i) => pieceKey(hash, i)), store);
    return values.map((v) => (v instanceof ArrayBuffer ? v : undefined));
  } catch {
    return indexes.map(() => undefined); // storage unavailable (private mode, quota): behave as empty
  }
}

/** Errors are swallowed: storage is an optimisation, never a reason to fail a response. */
export async function writePiece(hash: string, index: number, data: ArrayBuffer): Promise<boolean> {
  try {
    await set(pieceKey(hash, index), data, store);
    return true;
  } catch {
    return false;
  }
}

export async function deletePiece(hash: string, index: number): Promise<void> {
  await del(pieceKey(hash, index), store).catch(() => undefined);
}

export async function markComplete(hash: string, size: number, pieces: number): Promise<boolean> {
  const record: StoredAsset = { hash, size, pieces, complete: true, storedAt: Date.now() };
  try {
    await set(assetKey(hash), record, store);
    return true;
  } catch {
    return false;
  }
}
