/**
 * The worker's piece store as bookkeeping: which pieces of which assets are stored, which assets
 * are complete (have an `a:` record, so bridges announce them), and each asset's place in the
 * LRU. Pure: every operation changes this in-memory picture at once and returns the one
 * database change that makes storage match it (applied in one transaction by piece-db.ts), with
 * the complete assets it deletes. Built once per worker start from keys and use records, and
 * authoritative after that: the worker is the database's only writer. When a change fails to
 * commit, the caller throws this object away and loads it again.
 */
import { ByteLru, type LruGuard } from '../../protocol/byte-lru.ts';
import type { Manifest } from '../../protocol/manifest.ts';
import { pieceCount, pieceSpan } from '../../protocol/pieces.ts';
import { assetKey, pieceKey, type StoredAsset, type StoredAssetUse, useKey } from '../../protocol/store-keys.ts';

export interface AssetId {
  hash: string;
}

/** Busy: an asset being served or written (see PieceStore.hold). Nothing is pinned. */
export type AssetGuard = LruGuard<AssetId>;

/** What the database holds, as the load reads it: keys and use records, never piece bytes. */
export interface LoadedIndex {
  /** Stored piece indexes by asset hash (from `p:` keys). */
  pieces: Map<string, number[]>;
  /** Hashes with an `a:` record. */
  complete: Set<string>;
  /** Well-formed `u:` records by hash. */
  uses: Map<string, StoredAssetUse>;
}

/** One transaction's changes: deletes first, then puts. */
export interface StoreChange {
  /** Assets deleted whole: their `p:` key range, `a:` and `u:`. */
  dropAssets: string[];
  deleteKeys: string[];
  put: Array<[key: string, value: ArrayBuffer | StoredAssetUse | StoredAsset]>;
}

export interface Plan {
  change: StoreChange;
  /** Complete assets this change deletes or makes incomplete: to be announced `lost`. */
  lost: string[];
}

/** A verified piece to store. */
export interface PieceWrite {
  hash: string;
  index: number;
  data: ArrayBuffer;
}

/** What the store knows of this deploy's assets, from the manifest. */
export interface DeployAssets {
  /** Pieces of the asset; undefined for a hash this deploy does not have. */
  pieceCount(hash: string): number | undefined;
  /** Bytes of one piece; for a hash this deploy does not have, the piece size (an upper bound). */
  pieceBytes(hash: string, index: number): number;
}

export function deployAssets(manifest: Pick<Manifest, 'assets' | 'pieceSize'>): DeployAssets {
  const sizes = new Map<string, { size: number; pieces: number }>();
  for (const a of Object.values(manifest.assets)) sizes.set(a.hash, { size: a.size, pieces: pieceCount(a.size, manifest.pieceSize) });
  return {
    pieceCount: (hash) => sizes.get(hash)?.pieces,
    pieceBytes: (hash, index) => {
      const asset = sizes.get(hash);
      if (!asset) return manifest.pieceSize;
      const span = pieceSpan(index, asset.size, manifest.pieceSize);
      return Math.max(0, span.end - span.start);
    },
  };
}

/** One stored asset as the store counts it. */
export interface StoredAssetInfo {
  hash: string;
  /** Bytes of its stored pieces. */
  bytes: number;
  /** ms since the epoch, strictly increasing across assets. */
  lastUse: number;
  /** How many of its pieces are stored. */
  pieces: number;
  /** Whether its `a:` record is written (bridges announce it). */
  complete: boolean;
}

interface AssetState {
  pieces: Set<number>;
  complete: boolean;
}

const noChange = (): StoreChange => ({ dropAssets: [], deleteKeys: [], put: [] });

export class StoredAssets {
  private readonly lru = new ByteLru<AssetId>((a) => a.hash);
  private readonly assets = new Map<string, AssetState>();
  /** Assets whose use record changed since it was last written (reads are written in batches). */
  private readonly dirty = new Set<string>();

  private constructor(private readonly deploy: DeployAssets) {}

  get totalBytes(): number {
    return this.lru.totalBytes;
  }

  /** Stored assets, least recently used first. */
  entries(): StoredAssetInfo[] {
    return this.lru.entries().map((e) => {
      const state = this.assets.get(e.hash);
      return { hash: e.hash, bytes: e.bytes, lastUse: e.lastUse, pieces: state?.pieces.size ?? 0, complete: state?.complete ?? false };
    });
  }

  /**
   * The bookkeeping of what the database holds, and the repairs that make it consistent: pieces
   * past the asset's end deleted; `a:`/`u:` records without pieces deleted; an `a:` record of a
   * deploy's asset missing pieces deleted (and the asset reported lost); use records written for
   * pieces that have none (stored before the quota existed: they count as least recently used)
   * or whose byte count is off. A deploy's asset's bytes come from the manifest; another
   * deploy's from its use record, else the piece size per piece.
   */
  static load(index: LoadedIndex, deploy: DeployAssets): { book: StoredAssets; repair: Plan } {
    const book = new StoredAssets(deploy);
    const repair: Plan = { change: noChange(), lost: [] };
    const entries: Array<{ hash: string; bytes: number; lastUse: number }> = [];
    for (const hash of new Set([...index.pieces.keys(), ...index.complete, ...index.uses.keys()])) {
      const count = deploy.pieceCount(hash);
      const pieces = new Set<number>();
      for (const i of index.pieces.get(hash) ?? []) {
        if (count === undefined || i < count) pieces.add(i);
        else repair.change.deleteKeys.push(pieceKey(hash, i));
      }
      const announced = index.complete.has(hash);
      if (pieces.size === 0) {
        repair.change.dropAssets.push(hash);
        if (announced) repair.lost.push(hash);
        continue;
      }
      const complete = announced && (count === undefined || pieces.size === count);
      if (announced && !complete) {
        repair.change.deleteKeys.push(assetKey(hash));
        repair.lost.push(hash);
      }
      const record = index.uses.get(hash);
      const bytes = count === undefined && record ? record.bytes : [...pieces].reduce((n, i) => n + deploy.pieceBytes(hash, i), 0);
      const use: StoredAssetUse = { bytes, lastUse: record?.lastUse ?? 0 };
      if (record?.bytes !== use.bytes || record.lastUse !== use.lastUse) repair.change.put.push([useKey(hash), use]);
      entries.push({ hash, ...use });
      book.assets.set(hash, { pieces, complete });
    }
    book.lru.restore(entries);
    return { book, repair };
  }

  has(hash: string, index: number): boolean {
    return this.assets.get(hash)?.pieces.has(index) ?? false;
  }

  /** A read served from the store: the asset becomes the most recently used. False if not stored. */
  touch(hash: string, now: number): boolean {
    if (!this.lru.touch({ hash }, now)) return false;
    this.dirty.add(hash);
    return true;
  }

  /**
   * Admit a batch of verified pieces: each is a use of its asset, and grows it by its bytes,
   * evicting whole least recently used assets that are not busy. `stored[k]` is false for a
   * piece refused because its asset would alone pass the quota. Also writes pending use records.
   */
  planWrites(writes: readonly PieceWrite[], now: number, quota: number, guard: AssetGuard): Plan & { stored: boolean[] } {
    const plan: Plan = { change: noChange(), lost: [] };
    const stored = writes.map((w) => this.admitPiece(w, now, quota, guard, plan));
    this.takeDirty(plan.change);
    return { ...plan, stored };
  }

  private admitPiece(w: PieceWrite, now: number, quota: number, guard: AssetGuard, plan: Plan): boolean {
    const state = this.assets.get(w.hash) ?? { pieces: new Set<number>(), complete: false };
    if (state.pieces.has(w.index)) {
      // Counted already: two responses fetched it, or it was deleted behind our back (the
      // gather fetches only what it could not read). Same verified bytes, so put them again.
      plan.change.put.push([pieceKey(w.hash, w.index), w.data]);
      return this.touch(w.hash, now);
    }
    const bytes = (this.lru.find({ hash: w.hash })?.bytes ?? 0) + w.data.byteLength;
    const admission = this.lru.admit({ hash: w.hash }, bytes, now, quota, guard);
    if (!admission) return false;
    this.drop(
      admission.victims.map((v) => v.hash),
      plan,
    );
    state.pieces.add(w.index);
    this.assets.set(w.hash, state);
    this.dirty.add(w.hash);
    plan.change.put.push([pieceKey(w.hash, w.index), w.data]);
    return true;
  }

  /**
   * A stored piece failed its hash: delete it. Its asset is no longer complete (lost, if it
   * was), and its place in the LRU stays (a deletion is not a use).
   */
  planDeletePiece(hash: string, index: number): Plan {
    const plan: Plan = { change: noChange(), lost: [] };
    const state = this.assets.get(hash);
    const entry = this.lru.find({ hash });
    if (!state || !entry || !state.pieces.has(index)) {
      plan.change.deleteKeys.push(pieceKey(hash, index)); // not ours to count, but not to keep either
      return plan;
    }
    state.pieces.delete(index);
    if (state.pieces.size === 0) {
      this.drop([hash], plan);
      return plan;
    }
    plan.change.deleteKeys.push(pieceKey(hash, index));
    if (state.complete) {
      state.complete = false;
      plan.change.deleteKeys.push(assetKey(hash));
      plan.lost.push(hash);
    }
    this.lru.restore([{ hash, bytes: Math.max(0, entry.bytes - this.deploy.pieceBytes(hash, index)), lastUse: entry.lastUse }]);
    this.dirty.add(hash);
    this.takeDirty(plan.change);
    return plan;
  }

  /** The `a:` record, if every one of `pieces` pieces is stored and it is not written yet; else null. */
  planComplete(hash: string, size: number, pieces: number, now: number): Plan | null {
    const state = this.assets.get(hash);
    if (!state || state.complete || pieces === 0) return null;
    for (let i = 0; i < pieces; i++) if (!state.pieces.has(i)) return null;
    state.complete = true;
    const record: StoredAsset = { hash, size, pieces, complete: true, storedAt: now };
    return { change: { ...noChange(), put: [[assetKey(hash), record]] }, lost: [] };
  }

  /** Evict down to the quota what busy assets kept above it. */
  planTrim(quota: number, guard: AssetGuard): Plan {
    const plan: Plan = { change: noChange(), lost: [] };
    this.drop(
      this.lru.trim(quota, guard).map((v) => v.hash),
      plan,
    );
    return plan;
  }

  /** Delete every asset this deploy does not have (an unchanged file keeps its hash, so its pieces stay). */
  planCleanUp(): Plan {
    const plan: Plan = { change: noChange(), lost: [] };
    const stale = this.lru.entries().filter((e) => this.deploy.pieceCount(e.hash) === undefined);
    this.drop(
      stale.map((e) => e.hash),
      plan,
    );
    return plan;
  }

  private drop(hashes: readonly string[], plan: Plan): void {
    for (const hash of hashes) {
      this.lru.delete({ hash });
      if (this.assets.get(hash)?.complete) plan.lost.push(hash);
      this.assets.delete(hash);
      this.dirty.delete(hash);
      plan.change.dropAssets.push(hash);
    }
  }

  private takeDirty(change: StoreChange): void {
    for (const hash of this.dirty) {
      const entry = this.lru.find({ hash });
      if (entry) change.put.push([useKey(hash), { bytes: entry.bytes, lastUse: entry.lastUse }]);
    }
    this.dirty.clear();
  }
}
