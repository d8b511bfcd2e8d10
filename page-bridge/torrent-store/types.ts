/**
 * The abstract-chunk-store interface exactly as WebTorrent 2.8.5 calls it (lib/torrent.js and the
 * wrappers it puts around every store). All callbacks, no promises:
 * - `new Store(pieceLength, { ...storeOpts, torrent, path, files, length, name, addUID, rootDir, max })`
 *   where `name` is `${torrent.name} - ${infoHash.slice(0, 8)}` and `length` the torrent's byte length;
 * - the store is wrapped in CacheChunkStore (20 pieces in memory, unless it is a MemoryChunkStore),
 *   which calls `get(index, cb)` with no options and slices itself, then in ImmediateChunkStore,
 *   which keeps a put's bytes in memory until its callback;
 * - `put(index, buf, cb)` once a piece's SHA-1 matched; a put error destroys the torrent;
 * - `get(index, {}, cb)` / `get(index, { length: lastPieceLength }, cb)` when verifying on add
 *   (an error there only means "piece missing"), `get(index, { offset, length }, cb)` for peers'
 *   requests and file streams (an error there fails that request / stream);
 * - `close(cb)` on torrent.destroy(), `destroy(cb)` with `destroyStore: true`.
 */

export type ChunkCallback = (err: Error | null) => void;
export type ChunkGetCallback = (err: Error | null, chunk?: Uint8Array) => void;

export interface ChunkGetOptions {
  offset?: number;
  length?: number;
}

export interface AbstractChunkStore {
  readonly chunkLength: number;
  put(index: number, chunk: Uint8Array, cb?: ChunkCallback): void;
  get(index: number, opts: ChunkGetOptions | null | undefined, cb: ChunkGetCallback): void;
  get(index: number, cb: ChunkGetCallback): void;
  close(cb?: ChunkCallback): void;
  destroy(cb?: ChunkCallback): void;
}

/** The parts of a WebTorrent 2.8.5 Torrent the store reads (passed as `opts.torrent`). */
export interface TorrentLike {
  infoHash?: string;
  /**
   * Private in WebTorrent 2.8.5: clears the piece's bit and re-creates its Piece so it is fetched
   * again when needed (and re-selected unless the torrent was added with `deselect: true`). The
   * only way to tell a running torrent that a verified piece is gone; see IdbChunkStoreOptions.onEvict.
   */
  _markUnverified?: (index: number) => void;
}

/** What WebTorrent passes to the constructor, plus ours (through `storeOpts`). */
export interface ChunkStoreOptions {
  /** Total bytes; fixes the last chunk's length. Without it every chunk must be chunkLength long. */
  length?: number;
  name?: string;
  torrent?: TorrentLike;
  files?: unknown;
}

/** Error for a chunk that is not stored (memory-chunk-store's convention: `err.notFound`). */
export class ChunkNotFoundError extends Error {
  readonly notFound = true;
  constructor(index: number) {
    super(`Chunk ${index} not found`);
    this.name = 'ChunkNotFoundError';
  }
}
