/**
 * Which piece to ask which peer for, for one response (a window of an asset's pieces): rarest
 * first among the pieces a peer holds, a few requests in flight per peer, and an endgame for the
 * last pieces, as BitTorrent clients schedule (BEP 3; libtorrent's piece picker). Pure: no
 * timers, no I/O, so the bridge (page-bridge/piece-requests.ts) and the swarm simulator
 * (bench/swarm-sim/) run this same code.
 *
 * Rarity counts the peers of this response whose bitfield holds the piece (a complete holder
 * holds all). Ties go to the piece nearest after `offset` (cyclically). The bridge and the
 * simulator use 0: the worker streams a response in order, so among equally rare pieces the
 * first come first (an offset per peer id spread visitors over a file's pieces but made a single
 * holder send the middle of a file while the page waited for its start).
 */
/** What a peer holds, read as it changes: a Bitfield (BEP 3), or the bridge's live view of a link's `have`/`hp`. */
export interface PieceSet {
  has(index: number): boolean;
}

export interface PickerOptions {
  /** Requests one peer may have in flight for this response (PIECES_IN_FLIGHT_PER_PEER). */
  maxInFlightPerPeer: number;
  /** Once every piece left is requested and at most this many are left, a piece may be asked of a second peer (endgame). */
  endgamePieces: number;
  /** Tie-break start (see above); any integer. */
  offset?: number;
}

export class PiecePicker {
  /** Pieces not yet received (nor handed to the origin). */
  private readonly wanted: Set<number>;
  private readonly peers = new Map<string, PieceSet>();
  /** Piece → peers it is requested from now. */
  private readonly asked = new Map<number, Set<string>>();
  private readonly load = new Map<string, number>();
  /** Peer → pieces it failed to deliver: never asked of it again in this response. */
  private readonly refused = new Map<string, Set<number>>();
  private readonly order: number[];

  constructor(
    pieces: readonly number[],
    /** The asset's piece count (the bitfields' length). */
    readonly pieceCount: number,
    private readonly options: PickerOptions,
  ) {
    this.wanted = new Set(pieces);
    const n = Math.max(1, pieceCount);
    const offset = (((options.offset ?? 0) % n) + n) % n;
    const rank = (i: number): number => (i - offset + n) % n;
    this.order = [...this.wanted].sort((a, b) => rank(a) - rank(b));
  }

  /** Pieces still to get (requested or not). */
  get remaining(): number {
    return this.wanted.size;
  }

  /** Wanted pieces, in tie-break order. */
  pending(): number[] {
    return this.order.filter((i) => this.wanted.has(i));
  }

  /** A peer and what it holds (replacing what was known); the picker reads `bits` as it changes. */
  setPeer(peerId: string, bits: PieceSet): void {
    this.peers.set(peerId, bits);
  }

  hasPeer(peerId: string): boolean {
    return this.peers.has(peerId);
  }

  /** Forgets a peer (link closed, banned, scored down); returns the pieces that were in flight with it. */
  removePeer(peerId: string): number[] {
    this.peers.delete(peerId);
    this.load.delete(peerId);
    const lost: number[] = [];
    for (const [index, who] of this.asked) {
      if (who.delete(peerId)) lost.push(index);
      if (who.size === 0) this.asked.delete(index);
    }
    return lost;
  }

  /** Requests in flight to `peerId`. */
  inFlight(peerId: string): number {
    return this.load.get(peerId) ?? 0;
  }

  /** Peers of this response whose bitfield holds `index`. */
  availability(index: number): number {
    let n = 0;
    for (const bits of this.peers.values()) if (bits.has(index)) n++;
    return n;
  }

  /** Wanted pieces no known peer holds (the origin's, unless someone gets them in time). */
  unheld(): number[] {
    return this.pending().filter((i) => this.availability(i) === 0);
  }

  /**
   * The piece to ask `peerId` for next, or null (it holds nothing we still need, or its slots are
   * full). Marks it requested: call `received`, `failed` or `removePeer` for it later.
   */
  pick(peerId: string): number | null {
    const bits = this.peers.get(peerId);
    if (!bits || this.inFlight(peerId) >= this.options.maxInFlightPerPeer) return null;
    const refused = this.refused.get(peerId);
    let best: number | null = null;
    let bestRarity = Number.POSITIVE_INFINITY;
    for (const i of this.order) {
      if (!this.wanted.has(i) || !bits.has(i) || refused?.has(i) || this.asked.has(i)) continue;
      const rarity = this.availability(i);
      if (rarity < bestRarity) {
        best = i;
        bestRarity = rarity;
      }
    }
    if (best === null && this.inEndgame()) {
      // Endgame: the least duplicated piece in flight with someone else.
      let fewest = Number.POSITIVE_INFINITY;
      for (const i of this.order) {
        const who = this.asked.get(i);
        if (!this.wanted.has(i) || !bits.has(i) || refused?.has(i) || !who || who.has(peerId)) continue;
        if (who.size < fewest) {
          best = i;
          fewest = who.size;
        }
      }
    }
    if (best === null) return null;
    const who = this.asked.get(best) ?? new Set<string>();
    who.add(peerId);
    this.asked.set(best, who);
    this.load.set(peerId, this.inFlight(peerId) + 1);
    return best;
  }

  /** Every piece left is requested, and few are left. */
  inEndgame(): boolean {
    if (this.wanted.size === 0 || this.wanted.size > this.options.endgamePieces) return false;
    for (const i of this.wanted) if (!this.asked.has(i)) return false;
    return true;
  }

  /**
   * Piece `index` arrived from `peerId` (or from anywhere, peerId null). Returns the other peers it
   * was still requested from (endgame duplicates), whose requests the caller cancels.
   */
  received(index: number, peerId: string | null): string[] {
    this.wanted.delete(index);
    const who = this.asked.get(index);
    this.asked.delete(index);
    const others: string[] = [];
    for (const p of who ?? []) {
      this.load.set(p, Math.max(0, this.inFlight(p) - 1));
      if (p !== peerId) others.push(p);
    }
    return others;
  }

  /** A request to `peerId` for `index` failed (refused, timed out, bad): the piece is wanted again, not from it. */
  failed(index: number, peerId: string): void {
    this.release(index, peerId);
    const refused = this.refused.get(peerId) ?? new Set<number>();
    refused.add(index);
    this.refused.set(peerId, refused);
  }

  /**
   * `peerId` choked our request for `index` (its upload queue was full, schedule/upload-queue.ts):
   * the piece is wanted again, and may be asked of it again later (unlike `failed`).
   */
  release(index: number, peerId: string): void {
    const who = this.asked.get(index);
    if (who?.delete(peerId)) this.load.set(peerId, Math.max(0, this.inFlight(peerId) - 1));
    if (who?.size === 0) this.asked.delete(index);
  }

  /** Pieces that will come from elsewhere (the origin): no longer wanted; returns the peers they were requested from. */
  giveUp(indexes: readonly number[]): string[] {
    const peers = new Set<string>();
    for (const i of indexes) for (const p of this.received(i, null)) peers.add(p);
    return [...peers];
  }

  /** Whether some known peer holds `index` and has not failed it. */
  sourceFor(index: number): boolean {
    for (const [peerId, bits] of this.peers) if (bits.has(index) && !this.refused.get(peerId)?.has(index)) return true;
    return false;
  }

  /** Whether some known peer could still be asked for some wanted piece (now or once a slot frees). */
  anyUsableSource(): boolean {
    for (const i of this.wanted) {
      for (const [peerId, bits] of this.peers) if (bits.has(i) && !this.refused.get(peerId)?.has(i)) return true;
    }
    return false;
  }
}
