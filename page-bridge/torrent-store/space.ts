/**
 * What all chunk stores on one database share in this tab: the LRU (loaded once from the
 * database, so the quota spans every torrent of the origin), which torrents are open (pinned),
 * and the batch of reads whose new order is not written yet.
 *
 * Other tabs of the origin have their own space: each sees the others' chunks from its last
 * load, so with several tabs the total can pass the quota by what they wrote since; a reload
 * counts everything again. IndexedDB transactions keep each chunk consistent either way.
 */
import type { UseStore } from 'idb-keyval';
import { TORRENT_LRU_FLUSH_MS } from '../../protocol/limits.ts';
import { loadUses, writeUses } from './idb-chunks.ts';
import { type ChunkId, type ChunkLru, type ChunkUse, chunkKey, type EvictionGuard, newChunkLru } from './lru.ts';

/** Called when a chunk of an open torrent was evicted to make room. */
export type EvictListener = (index: number) => void;

export class TorrentSpace {
  private lru: Promise<ChunkLru> | null = null;
  /** The LRU once loaded (null before, or after a failed load), for work that must not load it. */
  loaded: ChunkLru | null = null;
  private readonly open = new Map<string, Set<EvictListener>>();
  private readonly pending = new Map<string, ChunkId>();
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  /** Puts and gets in flight per chunk (see acquire). */
  private readonly busy = new Map<string, number>();

  constructor(readonly db: UseStore) {}

  /** The LRU, loaded on first use; a failed load is retried by the next caller. */
  ready(): Promise<ChunkLru> {
    if (!this.lru) {
      this.lru = loadUses(this.db).then((uses) => (this.loaded = newChunkLru(uses)));
      this.lru.catch(() => {
        this.lru = null;
        this.loaded = null;
      });
    }
    return this.lru;
  }

  pin(torrent: string, onEvict: EvictListener): void {
    const listeners = this.open.get(torrent) ?? new Set<EvictListener>();
    listeners.add(onEvict);
    this.open.set(torrent, listeners);
  }

  unpin(torrent: string, onEvict: EvictListener): void {
    const listeners = this.open.get(torrent);
    listeners?.delete(onEvict);
    if (listeners?.size === 0) this.open.delete(torrent);
  }

  readonly guard: EvictionGuard = {
    isPinned: (c) => this.open.has(c.torrent),
    isBusy: (c) => this.busy.has(chunkKey(c)),
  };

  /**
   * Mark a chunk busy (a put or get in flight: never evicted); call the returned function once.
   * A put not yet committed would otherwise be deleted before WebTorrent marks it verified (which
   * it does in the put's callback, after we told it the piece was gone), and a get in flight
   * would fail a stream that saw the piece as present. The quota can so be passed by at most the
   * chunks in flight.
   */
  acquire(torrent: string, index: number): () => void {
    const key = chunkKey({ torrent, index });
    this.busy.set(key, (this.busy.get(key) ?? 0) + 1);
    return () => {
      const n = (this.busy.get(key) ?? 1) - 1;
      if (n === 0) this.busy.delete(key);
      else this.busy.set(key, n);
    };
  }

  /**
   * Tell open torrents which of their chunks were evicted, synchronously: from here on a stream
   * must see the piece as missing (and wait for it), not read it after the delete commits. A
   * listener that throws is reported as an uncaught error, not as this put's failure.
   */
  notifyEvicted(victims: readonly ChunkUse[]): void {
    for (const v of victims) {
      const listeners = this.open.get(v.torrent);
      this.pending.delete(chunkKey(v));
      if (!listeners) continue;
      for (const onEvict of listeners) {
        try {
          onEvict(v.index);
        } catch (err) {
          queueMicrotask(() => {
            throw err;
          });
        }
      }
    }
  }

  /** A read moved this chunk in the LRU; persist its new place soon. */
  touched(torrent: string, index: number): void {
    this.pending.set(chunkKey({ torrent, index }), { torrent, index });
    this.flushTimer ??= setTimeout(() => void this.flush().catch(() => undefined), TORRENT_LRU_FLUSH_MS);
  }

  forget(torrent: string): void {
    for (const [key, p] of this.pending) if (p.torrent === torrent) this.pending.delete(key);
  }

  /** Write the batched reads' order. Losing it (a closed tab) only misorders the LRU slightly. */
  async flush(): Promise<void> {
    if (this.flushTimer !== null) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    if (this.pending.size === 0 || !this.lru) return;
    const lru = await this.lru;
    const uses = [...this.pending.values()].map((p) => lru.find(p)).filter((u): u is ChunkUse => u !== undefined);
    this.pending.clear();
    if (uses.length > 0) await writeUses(this.db, uses);
  }
}

const spaces = new WeakMap<UseStore, TorrentSpace>();

export function spaceFor(db: UseStore): TorrentSpace {
  let space = spaces.get(db);
  if (!space) {
    space = new TorrentSpace(db);
    spaces.set(db, space);
  }
  return space;
}
