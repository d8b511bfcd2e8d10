/**
 * The worker's verified asset table in IndexedDB (`t:<root>`, in the piece store's database:
 * protocol/store-keys.ts), so a restarted worker reads it back without the network. Storage is an
 * optimisation: a failure reads as "not stored" (the table is fetched again).
 */
import { createStore, get, promisifyRequest, set, type UseStore } from 'idb-keyval';
import { ASSET_TABLE_KEY_PREFIX, assetTableKey, DB_NAME, prefixBounds, STORE_NAME } from '../../protocol/store-keys.ts';
import type { AssetTableStorage } from '../asset-table.ts';

export function indexedDbAssetTables(db: UseStore = createStore(DB_NAME, STORE_NAME)): AssetTableStorage {
  return {
    get: async (root) => {
      const value = await get<unknown>(assetTableKey(root), db);
      return value instanceof ArrayBuffer ? new Uint8Array(value) : undefined;
    },
    put: (root, bytes) => set(assetTableKey(root), bytes.slice().buffer, db),
    keepOnly: (root) =>
      db('readwrite', async (store) => {
        const [lower, upper] = prefixBounds(ASSET_TABLE_KEY_PREFIX);
        const keys = await promisifyRequest(store.getAllKeys(IDBKeyRange.bound(lower, upper, false, true)));
        for (const key of keys) if (typeof key === 'string' && key !== assetTableKey(root)) store.delete(key);
        return promisifyRequest(store.transaction);
      }),
  };
}
