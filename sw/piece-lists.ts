/**
 * Where the worker's expected piece hashes come from (protocol/piece-list.ts): a one-piece asset's
 * is its file hash; a larger asset's list is fetched from the origin on its first request, checked
 * against the manifest's `piecesRoot` before any of it is used, and kept in memory (LRU under
 * PIECE_LIST_MEMORY_BYTES) and in IndexedDB (read back and checked again). A list that cannot be
 * had, or does not match, is never used: the caller gets a `piece-list` GatherError, and the
 * request goes to the network as the page made it (serve-asset.ts). Nothing is remembered of a
 * failure: the next request asks again (a list missing during a deploy may be there a moment later).
 * Runtime APIs are injected, so this runs in Node tests.
 */
import { PIECE_LIST_MEMORY_BYTES } from '../protocol/limits.ts';
import type { ManifestAsset } from '../protocol/manifest.ts';
import {
  PIECE_HASH_BYTES,
  type PieceHashes,
  pieceListPath,
  type Sha256Hex,
  singlePieceHashes,
  urlOfPieceList,
  verifyPieceList,
} from '../protocol/piece-list.ts';
import { pieceCount } from '../protocol/pieces.ts';
import { GatherError } from './gather-errors.ts';

/** The lists' IndexedDB side (sw/store/piece-list-db.ts); failures read as "not stored". */
export interface PieceListStorage {
  get(root: string): Promise<Uint8Array | undefined>;
  put(root: string, bytes: Uint8Array): Promise<void>;
  /** Deletes every stored list whose root is not in `roots` (the clean-up after a deploy). */
  keepOnly(roots: ReadonlySet<string>): Promise<void>;
}

export interface PieceListDeps {
  /** The worker's own fetch (never through its fetch handler). */
  fetch(url: string): Promise<Response>;
  sha256: Sha256Hex;
  storage: PieceListStorage;
  /** The site's root URL, ending in `/`: lists are under it, as manifest keys are. */
  siteRoot: string;
  pieceSize: number;
  memoryBytes?: number;
}

export class PieceLists {
  /** Verified lists by root, least recently used first (a Map keeps insertion order). */
  private readonly memory = new Map<string, PieceHashes>();
  private memoryBytes = 0;
  private readonly inFlight = new Map<string, Promise<PieceHashes>>();

  constructor(private readonly deps: PieceListDeps) {}

  /**
   * The expected SHA-256 of each piece of `asset`. Rejects with GatherError `piece-list` when
   * the list cannot be fetched (network, a status other than 200) or fails its root.
   */
  hashesFor(asset: Pick<ManifestAsset, 'hash' | 'size' | 'piecesRoot'>): Promise<PieceHashes> {
    const count = pieceCount(asset.size, this.deps.pieceSize);
    if (count <= 1) return Promise.resolve(singlePieceHashes(asset.hash, count as 0 | 1));
    const root = asset.piecesRoot;
    if (root === undefined) return Promise.reject(new GatherError('piece-list', `${asset.hash}: no piecesRoot for ${count} pieces`));
    const known = this.memory.get(root);
    if (known) {
      this.memory.delete(root);
      this.memory.set(root, known);
      return Promise.resolve(known);
    }
    let pending = this.inFlight.get(root);
    if (!pending) {
      pending = this.load(root, count).finally(() => this.inFlight.delete(root));
      this.inFlight.set(root, pending);
    }
    return pending;
  }

  /** After a deploy: stored lists this manifest does not name are deleted. */
  cleanUp(assets: Iterable<Pick<ManifestAsset, 'piecesRoot'>>): Promise<void> {
    const roots = new Set<string>();
    for (const a of assets) if (a.piecesRoot) roots.add(a.piecesRoot);
    return this.deps.storage.keepOnly(roots).catch(() => undefined);
  }

  private async load(root: string, count: number): Promise<PieceHashes> {
    const stored = await this.deps.storage.get(root).catch(() => undefined);
    if (stored) {
      const checked = await verifyPieceList(stored, root, count, this.deps.sha256);
      if (checked.ok) return this.remember(root, checked.value);
      // A stored list that fails was edited or corrupted: fetched again (and overwritten) below.
    }
    const url = urlOfPieceList(root, this.deps.siteRoot);
    let bytes: Uint8Array;
    try {
      const response = await this.deps.fetch(url);
      if (response.status !== 200) {
        void response.body?.cancel().catch(() => undefined);
        throw new Error(`status ${response.status}`);
      }
      bytes = new Uint8Array(await response.arrayBuffer());
    } catch (error) {
      throw new GatherError('piece-list', `${pieceListPath(root)}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const checked = await verifyPieceList(bytes, root, count, this.deps.sha256);
    if (!checked.ok) throw new GatherError('piece-list', `${pieceListPath(root)}: ${checked.error} (${checked.code})`);
    void this.deps.storage.put(root, bytes).catch(() => undefined);
    return this.remember(root, checked.value);
  }

  private remember(root: string, hashes: PieceHashes): PieceHashes {
    const limit = this.deps.memoryBytes ?? PIECE_LIST_MEMORY_BYTES;
    const bytes = hashes.count * PIECE_HASH_BYTES;
    if (bytes > limit) return hashes; // used by this request only
    this.memory.set(root, hashes);
    this.memoryBytes += bytes;
    for (const [r, h] of this.memory) {
      if (this.memoryBytes <= limit) break;
      this.memory.delete(r);
      this.memoryBytes -= h.count * PIECE_HASH_BYTES;
    }
    return hashes;
  }
}
