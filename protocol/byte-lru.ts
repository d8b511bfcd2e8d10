/**
 * Least-recently-used bookkeeping of stored things under a byte quota, shared by the bridge's
 * torrent chunk store (one entry per chunk) and the worker's piece store (one entry per asset).
 * Pure: no I/O, no clock (callers pass `now`), so the eviction policy is tested on its own and
 * each store only persists what this decides.
 *
 * An entry is its identity `I` (e.g. `{ torrent, index }` or `{ hash }`) plus its byte count and
 * when it was last used. Growing an entry (an asset gaining a piece) is an `admit` with the new
 * total: the old record is replaced, never counted twice.
 */

export interface LruUse {
  bytes: number;
  /** Strictly increasing across the LRU: ms since the epoch, bumped by 1 on ties. */
  lastUse: number;
}

export type LruEntry<I> = I & LruUse;

/** Which entries eviction must spare or take last. */
export interface LruGuard<I> {
  /** Entries the caller would rather keep (e.g. torrents open in this tab): evicted only after every other entry. */
  isPinned(id: I): boolean;
  /** Entries in use right now (a read or write in flight): never evicted, even if the quota is passed for a while. */
  isBusy(id: I): boolean;
}

export interface LruAdmission<I> {
  /** Entries to delete, oldest first (unpinned before pinned). */
  victims: Array<LruEntry<I>>;
  /** The record the admitted one replaced (a re-put, or an entry that grew). */
  replaced: LruEntry<I> | undefined;
}

export class ByteLru<I extends object> {
  /** Map iteration order is insertion order: oldest use first, a use re-inserts at the end. */
  private order = new Map<string, LruEntry<I>>();
  private bytes = 0;
  private clock = 0;

  /** `keyOf` must give distinct strings to distinct identities (it keys a Map). */
  constructor(
    private readonly keyOf: (id: I) => string,
    entries: Iterable<LruEntry<I>> = [],
  ) {
    this.restore(entries);
  }

  get totalBytes(): number {
    return this.bytes;
  }

  get size(): number {
    return this.order.size;
  }

  find(id: I): LruEntry<I> | undefined {
    return this.order.get(this.keyOf(id));
  }

  /** Oldest first. */
  entries(): Array<LruEntry<I>> {
    return [...this.order.values()];
  }

  /** Record a use (a read) of a stored entry; returns its new record, or undefined if not stored. */
  touch(id: I, now: number): LruEntry<I> | undefined {
    const old = this.find(id);
    return old ? this.insert(old, old.bytes, now) : undefined;
  }

  /**
   * Make room for `id` at `bytes` (its new total) and record it as just used. Victims come from
   * unpinned entries first, then pinned ones, each oldest first; `id` itself and busy entries are
   * never victims. Returns null (and changes nothing) if `bytes` alone is larger than the quota.
   */
  admit(id: I, bytes: number, now: number, quota: number, guard: LruGuard<I>): LruAdmission<I> | null {
    if (bytes > quota) return null;
    const key = this.keyOf(id);
    const replaced = this.order.get(key);
    const victims = this.evict(this.bytes - (replaced?.bytes ?? 0) + bytes - quota, guard, key);
    this.insert(id, bytes, now);
    return { victims, replaced };
  }

  /** Evict down to the quota what busy entries kept above it, now that they are not busy. */
  trim(quota: number, guard: LruGuard<I>): Array<LruEntry<I>> {
    return this.evict(this.bytes - quota, guard, null);
  }

  delete(id: I): LruEntry<I> | undefined {
    const key = this.keyOf(id);
    const entry = this.order.get(key);
    if (!entry) return undefined;
    this.order.delete(key);
    this.bytes -= entry.bytes;
    return entry;
  }

  /** Delete every entry `match` selects (e.g. all chunks of one torrent); returns them. */
  deleteWhere(match: (entry: LruEntry<I>) => boolean): Array<LruEntry<I>> {
    const gone = [...this.order.values()].filter(match);
    for (const e of gone) this.delete(e);
    return gone;
  }

  /**
   * Put records in with their own lastUse, replacing any with the same identity (a reload, a
   * write that failed after admit, a size change that is not a use): rare, so a full re-sort is fine.
   */
  restore(entries: Iterable<LruEntry<I>>): void {
    const byKey = new Map(this.order);
    for (const e of entries) byKey.set(this.keyOf(e), { ...e });
    const all = [...byKey.values()].sort((a, b) => a.lastUse - b.lastUse);
    this.order = new Map(all.map((e) => [this.keyOf(e), e]));
    this.bytes = all.reduce((n, e) => n + e.bytes, 0);
    this.clock = all.reduce((c, e) => Math.max(c, e.lastUse), this.clock);
  }

  private evict(excess: number, guard: LruGuard<I>, spare: string | null): Array<LruEntry<I>> {
    const victims: Array<LruEntry<I>> = [];
    for (const pass of [false, true]) {
      for (const [k, entry] of this.order) {
        if (excess <= 0) break;
        if (k === spare || guard.isPinned(entry) !== pass || guard.isBusy(entry)) continue;
        victims.push(entry);
        excess -= entry.bytes;
      }
    }
    for (const v of victims) this.delete(v);
    return victims;
  }

  private insert(id: I, bytes: number, now: number): LruEntry<I> {
    this.delete(id);
    // Wall-clock ticks keep the order meaningful across reloads and tabs; +1 on ties and on a
    // clock that went backwards keeps it strict.
    this.clock = Math.max(now, this.clock + 1);
    const entry: LruEntry<I> = { ...id, bytes, lastUse: this.clock };
    this.order.set(this.keyOf(id), entry);
    this.bytes += bytes;
    return entry;
  }
}
