/**
 * The piece store's IndexedDB transactions, through an idb-keyval UseStore (DB_NAME/STORE_NAME,
 * shared with the bridge, which only reads). The load reads keys and use records by key range,
 * never piece bytes (idb-keyval's entries() would read every piece); a change is one
 * transaction, whole assets deleted by key range.
 */
import { getMany, promisifyRequest, type UseStore } from 'idb-keyval';
import {
  ASSET_KEY_PREFIX,
  assetKey,
  assetPiecesPrefix,
  hashOfKey,
  PIECE_KEY_PREFIX,
  parsePieceKey,
  parseStoredUse,
  pieceKey,
  prefixBounds,
  USE_KEY_PREFIX,
  useKey,
} from '../../protocol/store-keys.ts';
import type { LoadedIndex, StoreChange } from './stored-assets.ts';

/** Every key that starts with `prefix`. */
function prefixRange(prefix: string): IDBKeyRange {
  const [lower, upper] = prefixBounds(prefix);
  return IDBKeyRange.bound(lower, upper, false, true);
}

/** Keys that are none of ours (another layout) are left alone: they are not counted, nor deleted. */
export async function loadIndex(db: UseStore): Promise<LoadedIndex> {
  const [pieceKeys, assetKeys, useKeys, useValues] = await db('readonly', (store) =>
    Promise.all([
      promisifyRequest(store.getAllKeys(prefixRange(PIECE_KEY_PREFIX))),
      promisifyRequest(store.getAllKeys(prefixRange(ASSET_KEY_PREFIX))),
      promisifyRequest(store.getAllKeys(prefixRange(USE_KEY_PREFIX))),
      promisifyRequest(store.getAll(prefixRange(USE_KEY_PREFIX))) as Promise<unknown[]>,
    ]),
  );
  const index: LoadedIndex = { pieces: new Map(), complete: new Set(), uses: new Map() };
  for (const key of pieceKeys) {
    const piece = parsePieceKey(key);
    if (!piece) continue;
    const list = index.pieces.get(piece.hash) ?? [];
    list.push(piece.index);
    index.pieces.set(piece.hash, list);
  }
  for (const key of assetKeys) {
    const hash = hashOfKey(key, ASSET_KEY_PREFIX);
    if (hash) index.complete.add(hash);
  }
  // getAllKeys and getAll over one range in one transaction list the same records in the same order.
  useKeys.forEach((key, i) => {
    const hash = hashOfKey(key, USE_KEY_PREFIX);
    const use = parseStoredUse(useValues[i]);
    if (hash && use) index.uses.set(hash, use);
  });
  return index;
}

export async function applyChange(db: UseStore, change: StoreChange): Promise<void> {
  if (change.dropAssets.length === 0 && change.deleteKeys.length === 0 && change.put.length === 0) return;
  await db('readwrite', (store) => {
    for (const hash of change.dropAssets) {
      store.delete(prefixRange(assetPiecesPrefix(hash)));
      store.delete(assetKey(hash));
      store.delete(useKey(hash));
    }
    for (const key of change.deleteKeys) store.delete(key);
    for (const [key, value] of change.put) store.put(value, key);
    return promisifyRequest(store.transaction);
  });
}

/** The stored bytes of each piece, undefined where there is none. One read transaction. */
export async function readPieceBytes(db: UseStore, hash: string, indexes: readonly number[]): Promise<Array<ArrayBuffer | undefined>> {
  const values = await getMany<unknown>(
    indexes.map((i) => pieceKey(hash, i)),
    db,
  );
  return values.map((v) => (v instanceof ArrayBuffer ? v : undefined));
}
