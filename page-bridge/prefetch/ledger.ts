/**
 * What prefetching was worth, per tab (pure; storage injected). A page view's prefetched assets
 * are written to `sessionStorage` (one tab's, surviving its navigations); the next page view of
 * the tab reads them at start. An asset is **used** when a page of the tab is served it before
 * the next page view settles: the page that prefetched it (a lazy image it shares with the linked
 * page) or the next one, while it is open. The next page view settles when it would prefetch
 * itself (after its load event, once idle) or at `pagehide` if that comes first: what is left then
 * is **unused**, counted by that page view; an asset it uses later (a lazy image scrolled to)
 * moves back from unused to used. So "unused" means "not used by the next page": an asset the
 * visitor reaches two pages later counts as unused though it then comes from the store. A tab
 * closed right after a prefetch never counts its prefetch either way.
 */

/** The `sessionStorage` key: JSON `{"<hash>": bytes, …}`. */
export const PREFETCH_LEDGER_KEY = 'peer-connect:prefetched';

/** The part of `Storage` used; the getter may throw (storage blocked), as `window.sessionStorage` does. */
export interface LedgerStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

export class PrefetchLedger {
  /** The previous page view's prefetch, not used yet (counted unused once settled). */
  private readonly earlier: Map<string, number>;
  /** This page view's prefetch, not yet used here: handed to the next page view. */
  private readonly mine = new Map<string, number>();
  private settled = false;
  private used_ = 0;
  private unused_ = 0;

  constructor(private readonly storage: () => LedgerStorage) {
    this.earlier = read(storage);
    write(storage, this.mine);
  }

  /** Bytes prefetched (by the previous page view or this one) that a page of this tab was served. */
  get usedBytes(): number {
    return this.used_;
  }

  /** Bytes the previous page view prefetched that this one had not used when it settled, less those it used since. */
  get unusedBytes(): number {
    return this.unused_;
  }

  /** A page of this tab was served `hash` from the store: true when that was a prefetched asset (the counts changed). */
  use(hash: string): boolean {
    const earlier = this.earlier.get(hash);
    if (earlier !== undefined) {
      this.earlier.delete(hash);
      this.used_ += earlier;
      // Used after the settle (a lazy image scrolled to): no longer unused.
      if (this.settled) this.unused_ -= earlier;
      return true;
    }
    const mine = this.mine.get(hash);
    if (mine === undefined) return false;
    this.mine.delete(hash);
    write(this.storage, this.mine);
    this.used_ += mine;
    return true;
  }

  /** The previous page view's prefetch not used by now counts as unused (once; later uses take it back). */
  settle(): void {
    if (this.settled) return;
    this.settled = true;
    for (const bytes of this.earlier.values()) this.unused_ += bytes;
  }

  /** This page view prefetched `bytes` of `hash`: the next page view will see it. */
  record(hash: string, bytes: number): void {
    if (bytes <= 0) return;
    this.mine.set(hash, (this.mine.get(hash) ?? 0) + bytes);
    write(this.storage, this.mine);
  }
}

function read(storage: () => LedgerStorage): Map<string, number> {
  const out = new Map<string, number>();
  try {
    const parsed: unknown = JSON.parse(storage().getItem(PREFETCH_LEDGER_KEY) ?? '{}');
    if (typeof parsed !== 'object' || parsed === null) return out;
    for (const [hash, bytes] of Object.entries(parsed)) {
      if (typeof bytes === 'number' && Number.isSafeInteger(bytes) && bytes > 0) out.set(hash, bytes);
    }
  } catch {
    // Blocked or edited storage: no earlier prefetch to count.
  }
  return out;
}

function write(storage: () => LedgerStorage, map: ReadonlyMap<string, number>): void {
  try {
    if (map.size === 0) storage().removeItem(PREFETCH_LEDGER_KEY);
    else storage().setItem(PREFETCH_LEDGER_KEY, JSON.stringify(Object.fromEntries(map)));
  } catch {
    // Blocked storage: the counters of the next page view miss this prefetch.
  }
}
