/**
 * The assets this tab is fetching now, and a peer's request held for a piece of one of them that
 * its worker has not stored yet (issue 13). The signaling server lists this tab as a fetcher of
 * every asset it asked about (a `want` with `fetching`), so other visitors arriving together ask
 * it for pieces while its own response is still streaming in; the worker tells the page of each
 * piece it stores (`piece-stored`), and a held request is served the moment its piece lands, the
 * way a BitTorrent peer serves a piece as soon as it announces it with `have` (BEP 3). A held
 * request is answered `nak missing` after PIECE_HOLD_MS, or at once when the asset is not being
 * fetched here. Pure (an injected clock): the upload side (page-bridge/swarm.ts) reads the store.
 */
import type { Clock, TimerHandle } from '../protocol/clock.ts';
import { FETCHING_MEMORY_MS, MAX_FETCHING_ASSETS, MAX_HELD_REQUESTS, PIECE_HOLD_MS } from '../protocol/limits.ts';

type Waiter = { index: number; settle: (landed: boolean) => void; timer: TimerHandle; signal?: AbortSignal; onAbort?: () => void };

interface Fetching {
  /** Until when (clock ms) this tab counts as fetching it. */
  until: number;
  waiters: Waiter[];
  /** Pieces the worker said it stored (told to new links as `hp`). */
  stored: Set<number>;
}

export class FetchingNow {
  /** In insertion order, oldest first: the oldest is dropped past MAX_FETCHING_ASSETS. */
  private readonly assets = new Map<string, Fetching>();

  constructor(private readonly clock: Clock) {}

  /** The worker asked this tab's bridge for pieces of `hash`: it is fetching it, from peers or the origin. */
  begin(hash: string): void {
    const entry = this.assets.get(hash);
    if (entry) {
      entry.until = this.clock.now() + FETCHING_MEMORY_MS;
      return;
    }
    this.assets.set(hash, { until: this.clock.now() + FETCHING_MEMORY_MS, waiters: [], stored: new Set() });
    while (this.assets.size > MAX_FETCHING_ASSETS) {
      const oldest = this.assets.keys().next().value as string;
      this.end(oldest);
    }
  }

  /**
   * The worker stored piece `index` of `hash`: a request held for it is served now. True when
   * `hash` is being fetched here (the piece is worth telling links of: `hp`).
   */
  pieceStored(hash: string, index: number): boolean {
    const entry = this.assets.get(hash);
    if (!entry) return false;
    entry.until = this.clock.now() + FETCHING_MEMORY_MS;
    entry.stored.add(index);
    this.settle(entry, (w) => w.index === index, true);
    return true;
  }

  /** Each asset being fetched here with the pieces stored of it so far (for a new link's `hp`). */
  storedPieces(): Array<[hash: string, pieces: number[]]> {
    const out: Array<[string, number[]]> = [];
    for (const hash of [...this.assets.keys()]) {
      const entry = this.assets.get(hash);
      if (entry && this.isFetching(hash) && entry.stored.size > 0) out.push([hash, [...entry.stored]]);
    }
    return out;
  }

  /** Every piece of `hash` is stored (the worker's `stored`): anything held for it is read now, and it is no longer fetched. */
  complete(hash: string): void {
    const entry = this.assets.get(hash);
    if (!entry) return;
    this.assets.delete(hash);
    this.settle(entry, () => true, true);
  }

  isFetching(hash: string): boolean {
    const entry = this.assets.get(hash);
    if (!entry) return false;
    if (entry.until > this.clock.now()) return true;
    this.end(hash);
    return false;
  }

  /**
   * Resolves true when piece `index` of `hash` is stored within `ms` (read it then), false at
   * once when this tab is not fetching `hash` or already holds MAX_HELD_REQUESTS, when `ms` pass
   * first, or when `signal` aborts (the peer cancelled its request, or its link closed): a
   * request withdrawn is not held on.
   */
  waitFor(hash: string, index: number, ms: number, signal?: AbortSignal): Promise<boolean> {
    if (signal?.aborted || !this.isFetching(hash) || this.held >= MAX_HELD_REQUESTS) return Promise.resolve(false);
    const entry = this.assets.get(hash) as Fetching;
    return new Promise((resolve) => {
      const waiter: Waiter = {
        index,
        settle: resolve,
        timer: this.clock.setTimeout(() => this.settle(entry, (w) => w === waiter, false), ms),
      };
      if (signal) {
        waiter.signal = signal;
        waiter.onAbort = () => this.settle(entry, (w) => w === waiter, false);
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      entry.waiters.push(waiter);
    });
  }

  /** Requests held now (all assets). */
  get held(): number {
    let n = 0;
    for (const entry of this.assets.values()) n += entry.waiters.length;
    return n;
  }

  /** Forgets every asset; held requests are refused. */
  clear(): void {
    for (const hash of [...this.assets.keys()]) this.end(hash);
  }

  private end(hash: string): void {
    const entry = this.assets.get(hash);
    if (!entry) return;
    this.assets.delete(hash);
    this.settle(entry, () => true, false);
  }

  private settle(entry: Fetching, which: (w: Waiter) => boolean, landed: boolean): void {
    const keep: Waiter[] = [];
    for (const w of entry.waiters) {
      if (!which(w)) {
        keep.push(w);
        continue;
      }
      this.clock.clearTimeout(w.timer);
      if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
      w.settle(landed);
    }
    entry.waiters = keep;
  }
}

/**
 * The upload side's read of a piece (PeerLinkHooks.readPiece): from storage, or, for a piece not
 * stored yet of an asset being fetched here, once it lands (at most PIECE_HOLD_MS). Read again
 * whether it was told or the hold ran out, since its write may have landed between the read and
 * the wait; not when `signal` aborted (the request was withdrawn).
 */
export function holdingReader(
  fetching: FetchingNow,
  read: (hash: string, index: number) => Promise<Uint8Array | null>,
): (hash: string, index: number, signal?: AbortSignal) => Promise<Uint8Array | null> {
  return async (hash, index, signal) => {
    const data = await read(hash, index);
    if (data || signal?.aborted || !fetching.isFetching(hash)) return data;
    await fetching.waitFor(hash, index, PIECE_HOLD_MS, signal);
    return signal?.aborted ? null : read(hash, index);
  };
}
