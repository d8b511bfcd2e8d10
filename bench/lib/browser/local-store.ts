/**
 * The visitor's own copy of an asset, in the worker's IndexedDB (layout: protocol/store-keys.ts).
 * Each timed fetch from peers or the origin must start with no local piece of the asset, or it
 * would be served (partly) from the cache; and it must not be forgotten while the worker is
 * still writing the previous copy, or stray pieces would come back.
 */
import type { Page } from 'playwright-core';
import { ASSET_KEY_PREFIX, DB_NAME, pieceKey, STORE_NAME } from '../../../protocol/store-keys.ts';
import { sleep } from '../run/budget.ts';

interface StoreArgs {
  db: string;
  store: string;
  assetKey: string;
  /** Keys of every piece of the asset. */
  pieceKeys: string[];
  forget: boolean;
}

/** Counts (and with `forget`, deletes) the asset's record and pieces; returns what was there. */
async function touch(page: Page, args: StoreArgs): Promise<{ record: boolean; pieces: number }> {
  return page.evaluate(async ({ db, store, assetKey, pieceKeys, forget }) => {
    // Opening a database that does not exist would create it, empty and without the store.
    if (!(await indexedDB.databases()).some((d) => d.name === db)) return { record: false, pieces: 0 };
    const handle = await new Promise<IDBDatabase>((res, rej) => {
      const r = indexedDB.open(db);
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    try {
      const tx = handle.transaction(store, forget ? 'readwrite' : 'readonly');
      const os = tx.objectStore(store);
      const count = (key: string): Promise<number> =>
        new Promise((res, rej) => {
          const r = os.count(key);
          r.onsuccess = () => res(r.result);
          r.onerror = () => rej(r.error);
        });
      const record = (await count(assetKey)) > 0;
      let pieces = 0;
      for (const k of pieceKeys) pieces += await count(k);
      if (forget) for (const k of [assetKey, ...pieceKeys]) os.delete(k);
      await new Promise<void>((res, rej) => {
        tx.oncomplete = () => res();
        tx.onerror = () => rej(tx.error);
      });
      return { record, pieces };
    } finally {
      handle.close();
    }
  }, args);
}

const argsFor = (hash: string, pieceCount: number, forget: boolean): StoreArgs => ({
  db: DB_NAME,
  store: STORE_NAME,
  assetKey: `${ASSET_KEY_PREFIX}${hash}`,
  pieceKeys: Array.from({ length: pieceCount }, (_, i) => pieceKey(hash, i)),
  forget,
});

/**
 * Waits (bounded) until every piece of the asset is stored again; false if that never happened.
 * Pieces, not the `a:` record: the worker writes that record only the first time an asset
 * completes (it tracks completion in memory), and it cannot know we deleted it behind its back.
 */
export async function waitStored(page: Page, hash: string, pieceCount: number, ms = 3_000): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if ((await touch(page, argsFor(hash, pieceCount, false))).pieces === pieceCount) return true;
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
}

/** Deletes the asset from the visitor's store; returns how many pieces it held. */
export async function forgetAsset(page: Page, hash: string, pieceCount: number): Promise<number> {
  return (await touch(page, argsFor(hash, pieceCount, true))).pieces;
}
