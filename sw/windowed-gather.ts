/**
 * Gathers a long range window by window, so a worker serving a video holds a few MiB, not the
 * file: a media element asks for `bytes=0-` and then reads at playback speed, while a gatherer
 * for the whole range would pull every piece from peers or the torrent as fast as they come and
 * keep them all. Each window is one PieceGatherer (one bridge session, its own deadlines); the
 * next window starts when the reader is halfway through the current one, and a window is dropped
 * once read. A range of one window behaves exactly as a single gatherer.
 */
import type { SourceBytes } from '../protocol/bridge-messages.ts';
import type { ManifestAsset } from '../protocol/manifest.ts';
import { type GatherDeps, type GatheredPiece, type HandOverReason, PieceGatherer } from './gather-pieces.ts';

export class WindowedGatherer {
  private readonly windows = new Map<number, PieceGatherer>();
  private readonly totals: SourceBytes = { peer: 0, origin: 0, cache: 0 };
  private cancelled = false;
  private committed = false;

  constructor(
    private readonly asset: ManifestAsset,
    private readonly url: string,
    private readonly pieceSize: number,
    /** Consecutive piece indexes, as piecesForRange gives them. */
    readonly indexes: readonly number[],
    private readonly deps: GatherDeps,
    private readonly windowPieces: number,
    /** `originHead`: PieceGatherer's option, for the first window only (the request's start). */
    private readonly options: { mayHandOver?: boolean; critical?: boolean; originHead?: number } = {},
  ) {}

  get bytes(): SourceBytes {
    const sum = { ...this.totals };
    for (const g of this.windows.values()) {
      sum.peer += g.bytes.peer;
      sum.origin += g.bytes.origin;
      sum.cache += g.bytes.cache;
    }
    return sum;
  }

  start(): void {
    this.open(0);
  }

  /** Piece `index` once verified. Pieces must be asked for in order (the response body does). */
  piece(index: number): Promise<GatheredPiece> {
    const position = index - (this.indexes[0] ?? 0);
    const w = Math.floor(position / this.windowPieces);
    for (const [k, g] of this.windows) if (k < w) this.retire(k, g);
    const gatherer = this.open(w);
    if (position % this.windowPieces >= this.windowPieces / 2) this.open(w + 1);
    return gatherer ? gatherer.piece(index) : Promise.reject(new Error(`piece ${index} not part of this gather`));
  }

  /** The first window's proof (see PieceGatherer.versionProven): the response commits on it. */
  versionProven(): Promise<void> {
    const first = this.open(0);
    return first ? first.versionProven() : Promise.resolve();
  }

  /**
   * The first window's hand-over (PieceGatherer.handedOver): only a response of one window may be
   * handed to the network as the page made it (a longer one, a video, is read at playback speed,
   * and its stored copy would have to be read as fast).
   */
  handedOver(): Promise<HandOverReason | null> {
    const first = this.open(0);
    return first ? first.handedOver().then(() => first.handOverReason) : new Promise<never>(() => undefined);
  }

  /** Every window, open or still to come, now serves a version the page has started to receive. */
  commit(): void {
    this.committed = true;
    for (const g of this.windows.values()) g.commit();
  }

  cancel(): void {
    this.cancelled = true;
    for (const g of this.windows.values()) g.cancel();
  }

  private open(w: number): PieceGatherer | undefined {
    const existing = this.windows.get(w);
    if (existing || this.cancelled) return existing;
    const slice = this.indexes.slice(w * this.windowPieces, (w + 1) * this.windowPieces);
    if (slice.length === 0) return undefined;
    // Only a response of one window may follow the origin's answer (see PieceGatherer.mayFollow).
    const single = this.indexes.length <= this.windowPieces;
    const gatherer = new PieceGatherer(this.asset, this.url, this.pieceSize, slice, this.deps, {
      mayFollowOrigin: single,
      mayHandOver: single && w === 0 && this.options.mayHandOver === true,
      critical: this.options.critical === true,
      originHead: w === 0 ? (this.options.originHead ?? 0) : 0,
    });
    if (this.committed) gatherer.commit();
    this.windows.set(w, gatherer);
    void gatherer.start();
    return gatherer;
  }

  /** A window fully read: keep its byte counts, drop its pieces. */
  private retire(w: number, g: PieceGatherer): void {
    this.windows.delete(w);
    this.totals.peer += g.bytes.peer;
    this.totals.origin += g.bytes.origin;
    this.totals.cache += g.bytes.cache;
    g.cancel();
    g.releasePieces();
  }
}
