/**
 * Cuts a stream of byte chunks of any size into a file's pieces, for a run of consecutive pieces.
 * The worker cuts the origin's Range answers with it (sw/origin-run.ts), the bridge the bytes
 * WebTorrent reads (page-bridge/torrent/serve-from-torrent.ts): chunks never line up with pieces
 * (TCP reads, 16 KiB torrent blocks), and the worker verifies whole pieces only. Pure.
 */
import { pieceSpan } from './pieces.ts';

/** Which pieces of which file: `first` and `last` are piece indexes, inclusive. */
export interface PieceRun {
  /** The file's size in bytes (its last piece may be short). */
  size: number;
  pieceSize: number;
  first: number;
  last: number;
}

/** One whole piece. `data` is a fresh buffer of exactly the piece's bytes, so it can be transferred. */
export interface CutPiece {
  index: number;
  data: Uint8Array;
}

export class PieceCutter {
  private index: number;
  private span: { start: number; end: number };
  private buffer: Uint8Array;
  private filled = 0;
  private offset: number;

  /**
   * `firstOffset`: the file offset of the first byte that will be pushed, at or before the run's
   * first byte. Bytes before that are skipped as they pass (an origin that ignores Range sends
   * the file from 0).
   */
  constructor(
    private readonly run: PieceRun,
    firstOffset: number = run.first * run.pieceSize,
  ) {
    this.index = run.first;
    this.span = pieceSpan(run.first, run.size, run.pieceSize);
    if (firstOffset > this.span.start)
      throw new RangeError(`bytes from ${firstOffset} cannot make piece ${run.first}, which starts at ${this.span.start}`);
    this.offset = firstOffset;
    this.buffer = new Uint8Array(this.span.end - this.span.start);
  }

  /** Every piece of the run has been cut; further bytes are ignored. */
  get complete(): boolean {
    return this.index > this.run.last;
  }

  /** The file offset of the next byte expected (for messages about a stream that ended early). */
  get position(): number {
    return this.offset;
  }

  /** Takes one chunk; returns the pieces it completed, in order (often none, sometimes several). */
  push(chunk: Uint8Array): CutPiece[] {
    const out: CutPiece[] = [];
    let rest = chunk;
    if (this.offset < this.span.start) {
      const skip = Math.min(this.span.start - this.offset, rest.byteLength);
      rest = rest.subarray(skip);
      this.offset += skip;
    }
    while (rest.byteLength > 0 && !this.complete) {
      const take = Math.min(this.buffer.byteLength - this.filled, rest.byteLength);
      this.buffer.set(rest.subarray(0, take), this.filled);
      this.filled += take;
      this.offset += take;
      rest = rest.subarray(take);
      if (this.filled === this.buffer.byteLength) out.push(this.next());
    }
    return out;
  }

  /** Hands out the full buffer and starts the next piece's. */
  private next(): CutPiece {
    const piece = { index: this.index, data: this.buffer };
    this.index++;
    this.filled = 0;
    if (!this.complete) {
      this.span = pieceSpan(this.index, this.run.size, this.run.pieceSize);
      this.buffer = new Uint8Array(this.span.end - this.span.start);
    }
    return piece;
  }
}
