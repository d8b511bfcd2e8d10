/**
 * Which wire each torrent piece's bytes came from, so the bridge can tell the worker honestly
 * whether a piece came from peers, from the web seed (the origin) or from this browser's store.
 * WebTorrent reports blocks per wire, not per piece, so the blocks are tallied here.
 */
export type PieceSource = 'peer' | 'web-seed' | 'stored';

export class PieceSources {
  private readonly webSeedBytes = new Map<number, number>();
  private readonly peerBytes = new Map<number, number>();

  block(pieceIndex: number, bytes: number, fromWebSeed: boolean): void {
    const map = fromWebSeed ? this.webSeedBytes : this.peerBytes;
    map.set(pieceIndex, (map.get(pieceIndex) ?? 0) + bytes);
  }

  /** A piece that failed verification is downloaded again from scratch. */
  reset(pieceIndex: number): void {
    this.webSeedBytes.delete(pieceIndex);
    this.peerBytes.delete(pieceIndex);
  }

  /** A piece no wire delivered in this tab was already stored (verified on add). */
  sourceOf(pieceIndex: number): PieceSource {
    const web = this.webSeedBytes.get(pieceIndex) ?? 0;
    const peer = this.peerBytes.get(pieceIndex) ?? 0;
    if (web === 0 && peer === 0) return 'stored';
    return web > peer ? 'web-seed' : 'peer';
  }
}
