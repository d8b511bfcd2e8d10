/**
 * A WebTorrent chunk store in IndexedDB (idb-keyval), bounded by a quota across all torrents of
 * the origin with least-recently-used eviction. Use as `client.add(torrent, { store: IdbChunkStore })`.
 *
 * After a reload a store for the same torrent (same info hash) finds its chunks, so WebTorrent's
 * verification on add (a `get` of every piece) marks them verified and the torrent seeds them
 * without downloading. A chunk that is not there — never stored or evicted — is an error with
 * `notFound`, never other bytes.
 */
import { createStore, type UseStore } from 'idb-keyval';
import { TORRENT_STORE_QUOTA_BYTES } from '../../protocol/limits.ts';
import { TORRENT_DB_NAME, TORRENT_STORE_NAME } from '../../protocol/store-keys.ts';
import { deleteChunks, deleteTorrent, readChunk, writeChunk } from './idb-chunks.ts';
import { type EvictListener, spaceFor, type TorrentSpace } from './space.ts';
import {
  type AbstractChunkStore,
  type ChunkCallback,
  type ChunkGetCallback,
  type ChunkGetOptions,
  ChunkNotFoundError,
  type ChunkStoreOptions,
} from './types.ts';

export interface IdbChunkStoreOptions extends ChunkStoreOptions {
  /** Key of this torrent's chunks. Default: the torrent's info hash, else `name`. */
  torrentId?: string;
  /** Bytes kept across all torrents on this database. Default TORRENT_STORE_QUOTA_BYTES. */
  quotaBytes?: number;
  /** The database. Default: TORRENT_DB_NAME / TORRENT_STORE_NAME. Tests pass their own. */
  idbStore?: UseStore;
  /**
   * Called when one of this torrent's chunks was evicted while it is open. WebTorrent 2.8.5 never
   * asks the store again about a piece it verified: a later `get` would fail a stream or a peer's
   * request. So by default this calls the torrent's (private) `_markUnverified(index)`, which
   * makes WebTorrent fetch the piece again when a stream needs it.
   */
  onEvict?: EvictListener;
  /** Clock for the LRU (tests). */
  now?: () => number;
}

let defaultDb: UseStore | null = null;

const closedError = (): Error => new Error('Storage is closed');

export class IdbChunkStore implements AbstractChunkStore {
  readonly chunkLength: number;
  /** Total bytes (Infinity if unknown); chunk-store-iterator reads it. */
  readonly length: number;
  readonly torrentId: string;
  private readonly lastChunkIndex: number;
  private readonly lastChunkLength: number;
  private readonly quota: number;
  private readonly space: TorrentSpace;
  private readonly now: () => number;
  private readonly onEvict: EvictListener;
  private readonly inFlight = new Set<Promise<unknown>>();
  private closed = false;

  constructor(chunkLength: number, opts: IdbChunkStoreOptions = {}) {
    this.chunkLength = Number(chunkLength);
    if (!Number.isInteger(this.chunkLength) || this.chunkLength <= 0) throw new Error('First argument must be a chunk length');
    const id = opts.torrentId ?? opts.torrent?.infoHash ?? opts.name;
    if (!id) throw new Error('IdbChunkStore needs opts.torrentId, opts.torrent.infoHash or opts.name');
    this.torrentId = id;
    this.length = opts.length !== undefined && Number(opts.length) > 0 ? Number(opts.length) : Infinity;
    this.lastChunkIndex = Number.isFinite(this.length) ? Math.ceil(this.length / this.chunkLength) - 1 : Infinity;
    this.lastChunkLength = Number.isFinite(this.length) ? this.length % this.chunkLength || this.chunkLength : this.chunkLength;
    this.quota = opts.quotaBytes ?? TORRENT_STORE_QUOTA_BYTES;
    this.now = opts.now ?? Date.now;
    this.space = spaceFor(opts.idbStore ?? (defaultDb ??= createStore(TORRENT_DB_NAME, TORRENT_STORE_NAME)));
    const torrent = opts.torrent;
    this.onEvict = opts.onEvict ?? ((index) => torrent?._markUnverified?.(index));
    this.space.pin(this.torrentId, this.onEvict);
  }

  put(index: number, chunk: Uint8Array, cb: ChunkCallback = noop): void {
    if (this.closed) return fail(cb, closedError());
    const expected = this.expectedLength(index);
    if (expected === null) return fail(cb, new RangeError(`Chunk index ${index} out of range`));
    if (!(chunk instanceof Uint8Array) || chunk.length !== expected) {
      return fail(cb, new Error(`Chunk ${index} length must be ${expected}`));
    }
    // Copied now into an ArrayBuffer of exactly the chunk: the caller may reuse its buffer, and a
    // Buffer's `.slice()` is a view (often of an 8 KiB pool), so `.buffer` would hold other bytes.
    const bytes = new Uint8Array(chunk).buffer;
    // Busy until WebTorrent has had our callback: it marks the piece verified there, so an
    // eviction (and its "piece gone" notice) must come after that, never before.
    const release = this.space.acquire(this.torrentId, index);
    this.track(this.doPut(index, bytes), cb, () => {
      release();
      // Now evictable, this chunk (or another) may be what keeps the total above the quota.
      void this.trim();
    });
  }

  get(index: number, opts: ChunkGetOptions | null | undefined | ChunkGetCallback, cb?: ChunkGetCallback): void {
    if (typeof opts === 'function') return this.get(index, null, opts);
    const done = cb ?? noop;
    if (this.closed) return fail(done, closedError());
    const release = this.space.acquire(this.torrentId, index);
    this.track(this.doGet(index, opts ?? {}), done, release);
  }

  close(cb: ChunkCallback = noop): void {
    if (this.closed) return fail(cb, closedError());
    this.closed = true;
    this.track(
      this.settle().then(() => this.space.flush()),
      cb,
    );
  }

  destroy(cb: ChunkCallback = noop): void {
    if (this.closed) return fail(cb, closedError());
    this.closed = true;
    const work = this.settle().then(async () => {
      this.space.forget(this.torrentId);
      const lru = await this.space.ready();
      lru.deleteWhere((u) => u.torrent === this.torrentId);
      await deleteTorrent(this.space.db, this.torrentId);
    });
    this.track(work, cb);
  }

  /** null for an index this torrent cannot have. */
  private expectedLength(index: number): number | null {
    if (!Number.isInteger(index) || index < 0 || index > this.lastChunkIndex) return null;
    return index === this.lastChunkIndex ? this.lastChunkLength : this.chunkLength;
  }

  private async doPut(index: number, bytes: ArrayBuffer): Promise<void> {
    const lru = await this.space.ready();
    // Admission is synchronous, so concurrent puts never count the same free bytes twice.
    const id = { torrent: this.torrentId, index };
    const admission = lru.admit(id, bytes.byteLength, this.now(), this.quota, this.space.guard);
    if (!admission) throw new Error(`Chunk ${index} (${bytes.byteLength} bytes) is larger than the quota (${this.quota} bytes)`);
    const use = lru.find(id);
    if (!use) throw new Error('bug: admitted chunk missing from the LRU');
    this.space.notifyEvicted(admission.victims);
    try {
      await writeChunk(this.space.db, use, bytes, admission.victims);
    } catch (err) {
      // Nothing was written or deleted: put the bookkeeping back as it was.
      lru.delete(id);
      lru.restore(admission.replaced ? [...admission.victims, admission.replaced] : admission.victims);
      throw err;
    }
  }

  /**
   * Chunks in flight are never evicted, so many concurrent puts can pass the quota; bring it
   * back once they are done. Best effort: a failed delete is retried by the next trim.
   */
  private async trim(): Promise<void> {
    // Never loads: with no LRU loaded (a failed load) there is nothing to count yet.
    const lru = this.space.loaded;
    const victims = lru?.trim(this.quota, this.space.guard) ?? [];
    if (!lru || victims.length === 0) return;
    this.space.notifyEvicted(victims);
    await deleteChunks(this.space.db, victims).catch(() => lru.restore(victims));
  }

  private async doGet(index: number, opts: ChunkGetOptions): Promise<Uint8Array> {
    const expected = this.expectedLength(index);
    if (expected === null) throw new ChunkNotFoundError(index);
    const lru = await this.space.ready();
    const stored = await readChunk(this.space.db, this.torrentId, index);
    // A chunk of the wrong size (another tab's torrent under this id with other chunks?) is as
    // good as missing: WebTorrent then fetches and verifies it again.
    if (!stored || stored.byteLength !== expected) throw new ChunkNotFoundError(index);
    const offset = opts.offset ?? 0;
    const length = opts.length ?? stored.byteLength - offset;
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0 || offset + length > stored.byteLength) {
      throw new RangeError(`Range ${offset}+${length} outside chunk ${index} (${stored.byteLength} bytes)`);
    }
    // Not in our LRU means another tab wrote it since our load: adopt it so the quota counts it
    // from now on (evicting for it here would be unfair to chunks this tab is using).
    const id = { torrent: this.torrentId, index };
    if (!lru.touch(id, this.now())) {
      lru.admit(id, stored.byteLength, this.now(), Number.POSITIVE_INFINITY, this.space.guard);
    }
    this.space.touched(this.torrentId, index);
    return new Uint8Array(stored, offset, length);
  }

  /** Wait for this store's puts and gets, so close/destroy never race them. */
  private async settle(): Promise<void> {
    this.space.unpin(this.torrentId, this.onEvict);
    await Promise.allSettled([...this.inFlight]);
  }

  /** Run `work`, then `cb`, then `after` (even if `cb` throws). close/destroy wait for it all. */
  private track<T>(work: Promise<T>, cb: (err: Error | null, value?: T) => void, after?: () => void): void {
    const settled = work.then(
      (value) => later(cb, null, value, after),
      (err: unknown) => later(cb, err instanceof Error ? err : new Error(String(err)), undefined, after),
    );
    this.inFlight.add(settled);
    void settled.then(() => this.inFlight.delete(settled));
  }
}

function noop(): void {}

/**
 * Callbacks run in their own microtask, outside our promise chains: a callback that throws is
 * the caller's uncaught error (as with WebTorrent's own stores), not a rejection we would swallow.
 */
/** An error found before any work: reported like any other, asynchronously. */
function fail(cb: (err: Error | null) => void, err: Error): void {
  void later(cb, err);
}

function later<T>(cb: (err: Error | null, value?: T) => void, err: Error | null, value?: T, after?: () => void): Promise<void> {
  return new Promise((resolve) => {
    queueMicrotask(() => {
      try {
        cb(err, value);
      } finally {
        after?.();
        resolve();
      }
    });
  });
}
