/**
 * The worker's verified piece-hash lists in IndexedDB (`l:<root>`, in the piece store's database:
 * protocol/store-keys.ts). Storage is an optimisation: a failure reads as "not stored".
 */
import { createStore, get, promisifyRequest, set, type UseStore } from 'idb-keyval';
import { DB_NAME, PIECE_LIST_KEY_PREFIX, pieceListKey, prefixBounds, STORE_NAME } from '../../protocol/store-keys.ts';
import type { PieceListStorage } from '../piece-lists.ts';

export function indexedDbPieceLists(db: UseStore = createStore(DB_NAME, STORE_NAME)): PieceListStorage {
  return {
    get: async (root) => {
      const value = await get<unknown>(pieceListKey(root), db);
      return value instanceof ArrayBuffer ? new Uint8Array(value) : undefined;
    },
    put: (root, bytes) => set(pieceListKey(root), bytes.slice().buffer, db),
    keepOnly: (roots) =>
      db('readwrite', async (store) => {
        const [lower, upper] = prefixBounds(PIECE_LIST_KEY_PREFIX);
        const keys = await promisifyRequest(store.getAllKeys(IDBKeyRange.bound(lower, upper, false, true)));
        for (const key of keys) {
          if (typeof key === 'string' && !roots.has(key.slice(PIECE_LIST_KEY_PREFIX.length))) store.delete(key);
        }
        return promisifyRequest(store.transaction);
      }),
  };
}
