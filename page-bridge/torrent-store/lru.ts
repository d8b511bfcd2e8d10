/**
 * Least-recently-used bookkeeping of stored torrent chunks under a byte quota. Pure: no I/O, no
 * clock (callers pass `now`), so the eviction policy is tested on its own and the IndexedDB
 * layer only persists what this decides.
 *
 * Granularity is the chunk, not the torrent: a viewer who watched the first minute of a long
 * video keeps seeding that minute, and a torrent larger than the quota still works (its oldest
 * chunks go first). Torrents open in this tab are pinned: their chunks are evicted only when
 * the quota cannot be met from closed torrents, because WebTorrent believes a verified piece
 * stays in the store (see IdbChunkStoreOptions.onEvict for what happens then).
 */

export interface ChunkUse {
  torrent: string;
  index: number;
  bytes: number;
  /** Strictly increasing across the LRU: ms since the epoch, bumped by 1 on ties. */
  lastUse: number;
}

/** Which chunks eviction must spare or take last. */
export interface EvictionGuard {
  /** Chunks of torrents open in this tab: evicted only after every other chunk. */
  isPinned(torrent: string): boolean;
  /**
   * Chunks with a put or get in flight: never evicted. A put not yet committed would otherwise be
   * deleted before WebTorrent marks it verified (which it does in the put's callback, after we
   * told it the piece was gone), and a get in flight would fail a stream that saw the piece as
   * present. The quota can so be passed by at most the chunks in flight.
   */
  isBusy(torrent: string, index: number): boolean;
}

export interface Admission {
  /** Chunks to delete, oldest first. */
  victims: ChunkUse[];
  /** The record the new chunk replaced (a put of a chunk already stored). */
  replaced: ChunkUse | undefined;
}

// The index is a number (no newline), so the text after the last newline is always the index.
const keyOf = (torrent: string, index: number): string => `${torrent}\n${index}`;

export class ChunkLru {
  /** Map iteration order is insertion order: oldest use first, a use re-inserts at the end. */
  private order = new Map<string, ChunkUse>();
  private bytes = 0;
  private clock = 0;

  constructor(entries: Iterable<ChunkUse> = []) {
    this.restore(entries);
  }

  get totalBytes(): number {
    return this.bytes;
  }

  get size(): number {
    return this.order.size;
  }

  find(torrent: string, index: number): ChunkUse | undefined {
    return this.order.get(keyOf(torrent, index));
  }

  /** Oldest first. */
  entries(): ChunkUse[] {
    return [...this.order.values()];
  }

  /** Record a use (a read) of a stored chunk; returns its new record, or undefined if not stored. */
  touch(torrent: string, index: number, now: number): ChunkUse | undefined {
    const old = this.find(torrent, index);
    if (!old) return undefined;
    return this.insert(torrent, index, old.bytes, now);
  }

  /**
   * Make room for a chunk of `bytes` and record it as just used. Victims come from unpinned
   * torrents first, then pinned ones, each oldest first; the chunk itself and busy chunks are
   * never victims. Returns null (and changes nothing) if the chunk alone is larger than the quota.
   */
  admit(torrent: string, index: number, bytes: number, now: number, quota: number, guard: EvictionGuard): Admission | null {
    if (bytes > quota) return null;
    const key = keyOf(torrent, index);
    const replaced = this.order.get(key);
    const victims = this.evict(this.bytes - (replaced?.bytes ?? 0) + bytes - quota, guard, key);
    this.insert(torrent, index, bytes, now);
    return { victims, replaced };
  }

  /** Evict down to the quota what busy chunks kept above it, now that they are not busy. */
  trim(quota: number, guard: EvictionGuard): ChunkUse[] {
    return this.evict(this.bytes - quota, guard, null);
  }

  private evict(excess: number, guard: EvictionGuard, spare: string | null): ChunkUse[] {
    const victims: ChunkUse[] = [];
    for (const pass of [false, true]) {
      for (const [k, use] of this.order) {
        if (excess <= 0) break;
        if (k === spare || guard.isPinned(use.torrent) !== pass || guard.isBusy(use.torrent, use.index)) continue;
        victims.push(use);
        excess -= use.bytes;
      }
    }
    for (const v of victims) this.delete(v.torrent, v.index);
    return victims;
  }

  delete(torrent: string, index: number): ChunkUse | undefined {
    const key = keyOf(torrent, index);
    const use = this.order.get(key);
    if (!use) return undefined;
    this.order.delete(key);
    this.bytes -= use.bytes;
    return use;
  }

  deleteTorrent(torrent: string): ChunkUse[] {
    const gone = [...this.order.values()].filter((u) => u.torrent === torrent);
    for (const u of gone) this.delete(u.torrent, u.index);
    return gone;
  }

  /**
   * Put records back with their own lastUse (a reload, or a write that failed after admit):
   * rare, so a full re-sort is fine.
   */
  restore(entries: Iterable<ChunkUse>): void {
    const byKey = new Map(this.order);
    for (const e of entries) byKey.set(keyOf(e.torrent, e.index), { ...e });
    const all = [...byKey.values()].sort((a, b) => a.lastUse - b.lastUse);
    this.order = new Map(all.map((u) => [keyOf(u.torrent, u.index), u]));
    this.bytes = all.reduce((n, u) => n + u.bytes, 0);
    this.clock = all.reduce((c, u) => Math.max(c, u.lastUse), this.clock);
  }

  private insert(torrent: string, index: number, bytes: number, now: number): ChunkUse {
    const key = keyOf(torrent, index);
    this.delete(torrent, index);
    // Wall-clock ticks keep the order meaningful across reloads and tabs; +1 on ties and on a
    // clock that went backwards keeps it strict.
    this.clock = Math.max(now, this.clock + 1);
    const use: ChunkUse = { torrent, index, bytes, lastUse: this.clock };
    this.order.set(key, use);
    this.bytes += bytes;
    return use;
  }
}
