/**
 * The worker's asset table (protocol/asset-table.ts): which assets it may answer for, with their
 * hash, size, type, list root and torrent. The worker script inlines only the key set and the
 * table's root (and the table itself when it is small: then it is read like a stored one, never
 * fetched); the table is fetched at install (the worker's `install` waits for it, so a worker
 * never activates without it), checked against that root before any of it is used, kept in
 * memory and in IndexedDB (`t:<root>`; checked again when read back after a worker restart).
 *
 * While no verified table is in memory a request is never answered from a guess: a request whose
 * key is in the key set waits for the stored table only while it is being read (a worker's
 * start); otherwise it passes through and a fetch of the table starts (a table evicted from
 * storage is fetched again). A table that fails its root is never used: the error is reported,
 * and requests pass through. Runtime APIs are injected, so this runs in Node tests.
 */

import {
  type AssetKeys,
  type AssetTable,
  type AssetTableErrorCode,
  assetTablePath,
  urlOfAssetTable,
  verifyAssetTable,
} from '../protocol/asset-table.ts';
import { ASSET_TABLE_RETRY_MS } from '../protocol/limits.ts';
import type { ManifestAsset } from '../protocol/manifest.ts';
import type { Sha256Hex } from '../protocol/piece-list.ts';
import type { Result } from '../protocol/result.ts';

/** The table's IndexedDB side (sw/store/asset-table-db.ts); failures read as "not stored". */
export interface AssetTableStorage {
  get(root: string): Promise<Uint8Array | undefined>;
  put(root: string, bytes: Uint8Array): Promise<void>;
  /** Deletes every stored table but the one with `root` (the clean-up after a deploy). */
  keepOnly(root: string): Promise<void>;
}

export interface AssetTableDeps {
  /** The worker's own fetch (never through its fetch handler). */
  fetch(url: string): Promise<Response>;
  sha256: Sha256Hex;
  storage: AssetTableStorage;
  /** The site's root URL, ending in `/`: the table is under it, as asset keys are. */
  siteRoot: string;
  /** The inlined `WorkerManifest.assetsRoot`. */
  root: string;
  /** The inlined key set (`WorkerManifest.assetKeys`). */
  keys: AssetKeys;
  /** The table's bytes when the script inlines them (`WorkerManifest.assetTable`): read instead of storage, still verified. */
  inline?: Uint8Array;
  pieceSize: number;
  /** A table could not be had or was refused (reported once per failed load). */
  onError?(error: AssetTableError): void;
  /** ms since the epoch (tests). */
  now?: () => number;
}

export type AssetTableLoadCode = AssetTableErrorCode | 'asset-table-fetch';

export class AssetTableError extends Error {
  constructor(
    readonly code: AssetTableLoadCode,
    message: string,
  ) {
    super(message);
    this.name = 'AssetTableError';
  }
}

/** What the fetch handler may do with a request's key, decided without I/O. */
export type AssetLookup =
  /** Not an asset of this build: not answered. */
  | { kind: 'none' }
  | { kind: 'asset'; asset: ManifestAsset }
  /** The stored table is being read (a worker's start): the asset once known, undefined to pass. */
  | { kind: 'reading'; asset: Promise<ManifestAsset | undefined> }
  /** No verified table yet (being fetched, or failed): pass through untouched. */
  | { kind: 'unavailable' };

export class WorkerAssetTable {
  private table: AssetTable | null = null;
  private loading: Promise<AssetTable> | null = null;
  /** Set while the current load reads the stored table. */
  private storedRead: Promise<AssetTable | null> | null = null;
  private failedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly deps: AssetTableDeps) {}

  /** The verified table, or null while there is none in memory. */
  get current(): AssetTable | null {
    return this.table;
  }

  /** Synchronous: what a request for manifest key `key` is (see AssetLookup). */
  lookup(key: string): AssetLookup {
    if (!this.deps.keys.mayHave(key)) return { kind: 'none' };
    if (this.table) {
      const asset = this.table.get(key);
      return asset ? { kind: 'asset', asset } : { kind: 'none' };
    }
    const now = (this.deps.now ?? Date.now)();
    if (this.loading === null && now - this.failedAt >= ASSET_TABLE_RETRY_MS) void this.load().catch(() => undefined);
    if (this.storedRead) return { kind: 'reading', asset: this.storedRead.then((t) => t?.get(key)) };
    return { kind: 'unavailable' };
  }

  /**
   * The verified table: from memory, else from storage, else from the origin (then stored).
   * One load at a time. Rejects with AssetTableError when it cannot be fetched (network, a
   * status other than 200) or is refused (root, shape, keys); nothing of a failure is kept.
   */
  load(): Promise<AssetTable> {
    if (this.table) return Promise.resolve(this.table);
    this.loading ??= this.loadOnce().finally(() => {
      this.loading = null;
    });
    return this.loading;
  }

  /** After a deploy: every stored table but this worker's is deleted. */
  cleanUp(): Promise<void> {
    return this.deps.storage.keepOnly(this.deps.root).catch(() => undefined);
  }

  private async loadOnce(): Promise<AssetTable> {
    this.storedRead = this.readStored();
    const stored = await this.storedRead;
    this.storedRead = null;
    if (stored) return (this.table = stored);
    try {
      const bytes = await this.fetchTable();
      const checked = await this.verify(bytes);
      if (!checked.ok) throw new AssetTableError(checked.code, `${assetTablePath(this.deps.root)}: ${checked.error}`);
      void this.deps.storage.put(this.deps.root, bytes).catch(() => undefined);
      return (this.table = checked.value);
    } catch (error) {
      const failure =
        error instanceof AssetTableError
          ? error
          : new AssetTableError(
              'asset-table-fetch',
              `${assetTablePath(this.deps.root)}: ${error instanceof Error ? error.message : String(error)}`,
            );
      this.failedAt = (this.deps.now ?? Date.now)();
      this.deps.onError?.(failure);
      throw failure;
    }
  }

  private async readStored(): Promise<AssetTable | null> {
    const bytes = this.deps.inline ?? (await this.deps.storage.get(this.deps.root).catch(() => undefined));
    if (!bytes) return null;
    const checked = await this.verify(bytes).catch(() => null);
    // A stored table that fails was edited or corrupted: fetched again (and overwritten).
    return checked?.ok ? checked.value : null;
  }

  private async fetchTable(): Promise<Uint8Array> {
    const response = await this.deps.fetch(urlOfAssetTable(this.deps.root, this.deps.siteRoot));
    if (response.status !== 200) {
      void response.body?.cancel().catch(() => undefined);
      throw new AssetTableError('asset-table-fetch', `${assetTablePath(this.deps.root)}: status ${response.status}`);
    }
    return new Uint8Array(await response.arrayBuffer());
  }

  private verify(bytes: Uint8Array): Promise<Result<AssetTable, AssetTableErrorCode>> {
    return verifyAssetTable(bytes, this.deps.root, { pieceSize: this.deps.pieceSize, keys: this.deps.keys, sha256: this.deps.sha256 });
  }
}
