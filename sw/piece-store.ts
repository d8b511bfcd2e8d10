/** Verified pieces in IndexedDB (idb-keyval), shared with the bridge, which uploads from it. */
import { createStore, del, getMany, set, setMany } from 'idb-keyval';
import { WRITE_BATCH_DELAY_MS, WRITE_BATCH_PIECES } from '../protocol/limits.ts';
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

type PendingWrite = { key: string; data: ArrayBuffer; done: (ok: boolean) => void };
let pending: PendingWrite[] = [];
let flushTimer: ReturnType<typeof setTimeout> | undefined;

/**
 * Queues a verified piece for storage; pieces written close together share one IndexedDB
 * transaction (one per piece cost 1.2-1.75 ms each, on the same cores as the data channel).
 * Errors are swallowed: storage is an optimisation, never a reason to fail a response.
 */
export function writePiece(hash: string, index: number, data: ArrayBuffer): Promise<boolean> {
  return new Promise((done) => {
    pending.push({ key: pieceKey(hash, index), data, done });
    if (pending.length >= WRITE_BATCH_PIECES) void flushWrites();
    else flushTimer ??= setTimeout(() => void flushWrites(), WRITE_BATCH_DELAY_MS);
  });
}

async function flushWrites(): Promise<void> {
  clearTimeout(flushTimer);
  flushTimer = undefined;
  const batch = pending;
  pending = [];
  if (batch.length === 0) return;
  let ok = true;
  try {
    await setMany(batch.map((w): [string, ArrayBuffer] => [w.key, w.data]), store);
  } catch {
    ok = false;
  }
  for (const w of batch) w.done(ok);
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
