/**
 * The worker's verified pieces in IndexedDB (shared with the bridge, which uploads from it),
 * under a byte quota: past it whole assets are evicted, least recently used first (the swarm
 * shares complete assets, so an asset's pieces, `a:` and `u:` records go together). A use is a
 * write of one of its pieces or a read served from the store. Assets being served (`hold`) or
 * written are never evicted under the response; the quota is brought back when they are done.
 * After a deploy, `cleanUp()` deletes every asset the new manifest does not have.
 *
 * Every change (a batch of writes, a deletion, an `a:` record, an eviction, the clean-up) runs
 * in one queue, each decided in memory (stored-assets.ts) and committed in one transaction
 * before the next starts, so no two can interleave. The bookkeeping is loaded at the first
 * change of a worker's life; a change that fails to commit makes the next one load it again.
 * Storage is an optimisation: nothing here rejects or throws, failures read as "not stored".
 */
import { createStore, type UseStore } from 'idb-keyval';
import { WRITE_BATCH_DELAY_MS, WRITE_BATCH_PIECES } from '../../protocol/limits.ts';
import type { Manifest } from '../../protocol/manifest.ts';
import { DB_NAME, STORE_NAME } from '../../protocol/store-keys.ts';
import { applyChange, loadIndex, readPieceBytes } from './piece-db.ts';
import {
  type AssetGuard,
  type DeployAssets,
  deployAssets,
  type PieceWrite,
  type Plan,
  type StoredAssetInfo,
  StoredAssets,
} from './stored-assets.ts';

export interface PieceStoreOptions {
  /**
   * This deploy's manifest: piece sizes, and which assets the clean-up keeps. In the worker, a
   * function that resolves once its asset table is verified (sw/asset-table.ts); until then every
   * change fails as "not stored", so a clean-up never runs against a table it does not have.
   */
  manifest: DeployManifest | (() => Promise<DeployManifest>);
  /** Bytes of pieces kept (WorkerConfig.storeQuotaBytes). */
  quotaBytes: number;
  /**
   * Complete assets were deleted (evicted, cleaned up, or one of their pieces found corrupt):
   * tell the bridges. Awaited before the change that lost them counts as done; errors ignored.
   */
  onLost?: (hashes: string[]) => Promise<void> | void;
  /** Default: DB_NAME/STORE_NAME. Tests pass their own. */
  db?: UseStore;
  /** Clock for the LRU, ms since the epoch (tests). */
  now?: () => number;
}

type DeployManifest = Pick<Manifest, 'assets' | 'pieceSize'>;

type PendingWrite = PieceWrite & { done: (stored: boolean) => void };

export class PieceStore {
  private readonly db: UseStore;
  private deploy: DeployAssets | null = null;
  private readonly now: () => number;
  private book: StoredAssets | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private pending: PendingWrite[] = [];
  private flushTimer: ReturnType<typeof setTimeout> | undefined;
  /** Holds per asset hash: responses serving it and writes not yet committed. */
  private readonly holds = new Map<string, number>();
  private readonly guard: AssetGuard = { isPinned: () => false, isBusy: (a) => this.holds.has(a.hash) };

  constructor(private readonly options: PieceStoreOptions) {
    this.db = options.db ?? createStore(DB_NAME, STORE_NAME);
    this.now = options.now ?? Date.now;
  }

  /** Stored bytes of each piece (undefined where none); a hit is a use of the asset. Unverified: the caller checks. */
  async readPieces(hash: string, indexes: readonly number[]): Promise<Array<ArrayBuffer | undefined>> {
    let found: Array<ArrayBuffer | undefined>;
    try {
      found = await readPieceBytes(this.db, hash, indexes);
    } catch {
      return indexes.map(() => undefined); // storage unavailable (private mode, quota): behave as empty
    }
    if (found.some((d) => d !== undefined)) {
      // Not awaited: the response must not wait for bookkeeping. The new order is written with the next batch.
      void this.run(async (book) => {
        if (book.touch(hash, this.now())) this.scheduleFlush();
      }, undefined);
    }
    return found;
  }

  /**
   * Queues a verified piece; pieces written close together share one transaction (one per piece
   * cost 1.2-1.75 ms each, on the same cores as the data channel). Resolves true once stored,
   * false if storage failed or the asset alone would pass the quota.
   */
  writePiece(hash: string, index: number, data: ArrayBuffer): Promise<boolean> {
    const release = this.hold(hash); // not evicted between admission and commit
    return new Promise((resolve) => {
      this.pending.push({
        hash,
        index,
        data,
        done: (stored) => {
          release();
          resolve(stored);
        },
      });
      if (this.pending.length >= WRITE_BATCH_PIECES) void this.flush();
      else this.scheduleFlush();
    });
  }

  /** A stored piece failed its hash: delete it (its asset, if complete, is lost until stored again). */
  deletePiece(hash: string, index: number): Promise<void> {
    return this.run((book) => this.commit(book.planDeletePiece(hash, index)), undefined);
  }

  /** Writes the `a:` record once every piece is stored; true only the time it is written. */
  markComplete(hash: string, size: number, pieces: number): Promise<boolean> {
    void this.flush(); // this asset's last pieces may still be in the batch
    return this.run(async (book) => {
      const plan = book.planComplete(hash, size, pieces, this.now());
      if (!plan) return false;
      await this.commit(plan);
      return true;
    }, false);
  }

  /**
   * Keeps `hash` from eviction until the returned function is called (once; later calls do
   * nothing). Eviction may so pass the quota while assets are busy; the last release trims.
   */
  hold(hash: string): () => void {
    this.holds.set(hash, (this.holds.get(hash) ?? 0) + 1);
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      const left = (this.holds.get(hash) ?? 1) - 1;
      if (left > 0) return void this.holds.set(hash, left);
      this.holds.delete(hash);
      if ((this.book?.totalBytes ?? 0) > this.options.quotaBytes) {
        void this.run((book) => this.commit(book.planTrim(this.options.quotaBytes, this.guard)), undefined);
      }
    };
  }

  /**
   * After a deploy: deletes every stored asset whose hash is not in this manifest, then evicts
   * down to this deploy's quota (it may be smaller than the last one's).
   */
  cleanUp(): Promise<void> {
    return this.run(async (book) => {
      await this.commit(book.planCleanUp());
      await this.commit(book.planTrim(this.options.quotaBytes, this.guard));
    }, undefined);
  }

  /** Commits the batched writes and use records now; resolves when every change queued so far is done. */
  async flush(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const batch = this.pending;
    this.pending = [];
    const stored = await this.run(async (book) => {
      const plan = book.planWrites(batch, this.now(), this.options.quotaBytes, this.guard);
      await this.commit(plan);
      return plan.stored;
    }, null);
    for (const [k, w] of batch.entries()) w.done(stored?.[k] ?? false);
  }

  /** Bytes and order as the store counts them, least recently used first (tests, diagnostics). */
  async usage(): Promise<{ totalBytes: number; assets: StoredAssetInfo[] }> {
    await this.flush();
    return this.run(async (book) => ({ totalBytes: book.totalBytes, assets: book.entries() }), { totalBytes: 0, assets: [] });
  }

  private scheduleFlush(): void {
    this.flushTimer ??= setTimeout(() => void this.flush(), WRITE_BATCH_DELAY_MS);
  }

  /** Runs `op` after every change queued before it; a failure reloads the bookkeeping next time. */
  private run<T>(op: (book: StoredAssets) => Promise<T>, failed: T): Promise<T> {
    const result = this.queue
      .then(async () => op((this.book ??= await this.load())))
      .catch(() => {
        this.book = null;
        return failed;
      });
    this.queue = result;
    return result;
  }

  private async load(): Promise<StoredAssets> {
    const { manifest } = this.options;
    this.deploy ??= deployAssets(typeof manifest === 'function' ? await manifest() : manifest);
    const { book, repair } = StoredAssets.load(await loadIndex(this.db), this.deploy);
    await this.commit(repair);
    return book;
  }

  private async commit(plan: Plan): Promise<void> {
    await applyChange(this.db, plan.change);
    if (plan.lost.length === 0) return;
    try {
      await this.options.onLost?.(plan.lost);
    } catch {
      // The deletion is committed either way; a bridge that missed it answers `nak` for those pieces.
    }
  }
}
