/**
 * The asset table: the manifest's `assets` record (path → hash, size, type, piecesRoot, torrent),
 * kept out of the worker's script so the script does not grow with the site (issue 14). Pure.
 *
 * - bytes: `JSON.stringify(assets)`, UTF-8, keys in the build's sorted order;
 * - root: the SHA-256 of those bytes, hex, inlined in the worker (`WorkerManifest.assetsRoot`).
 *   The worker trusts a table only when its SHA-256 is that root and it is a valid `assets`
 *   record whose every key is in the inlined key set: then each entry is as trusted as one
 *   inlined in the worker would be, and a worker of one build can never use another build's table;
 * - path: `peer-connect-assets/<root>.json` under the site's root, named by its own hash like the
 *   piece lists (protocol/piece-list.ts), so any cache may keep it for good;
 * - the key set (`WorkerManifest.assetKeys`): the 32-bit FNV-1a hash of each key, sorted, base64
 *   (protocol/hash-set.ts, 4 B an asset), inlined so the fetch handler can tell synchronously,
 *   before any I/O, whether a request may be for an asset (it must call `respondWith` at once or
 *   never). A hit whose key the table lacks (a collision) is not an asset.
 */
import { encodeHashSet, HashSet } from './hash-set.ts';
import { HASH_PATTERN } from './limits.ts';
import { type ManifestAsset, validateAssets } from './manifest.ts';
import { fnv1a } from './page-set.ts';
import type { Sha256Hex } from './piece-list.ts';
import { fail, ok, type Result } from './result.ts';

/** The build's folder of asset tables, under the site's root; never an asset itself. */
export const ASSET_TABLE_DIR = 'peer-connect-assets';

/** Where the table with this root is, relative to the site's root (as manifest keys are). */
export const assetTablePath = (root: string): string => `${ASSET_TABLE_DIR}/${root}.json`;

/** The table's absolute URL, from the site's root URL (ending in `/`). */
export const urlOfAssetTable = (root: string, siteRoot: string): string => new URL(assetTablePath(root), siteRoot).href;

/** The table file's bytes for the manifest's `assets` (their order kept: the build sorts them). */
export const encodeAssetTable = (assets: Readonly<Record<string, ManifestAsset>>): Uint8Array =>
  new TextEncoder().encode(JSON.stringify(assets));

/** The inlined key set: every asset key's FNV-1a hash (the key decoded, relative, as in the manifest). */
export const encodeAssetKeys = (keys: Iterable<string>): string => encodeHashSet([...keys].map(fnv1a));

/** The inlined key set, decoded: may a manifest key be an asset? (false: it is not; true: ask the table.) */
export class AssetKeys {
  private readonly set: HashSet;

  /** `encoded` as encodeAssetKeys wrote it; malformed input reads as an empty set. */
  constructor(encoded: string | undefined) {
    this.set = new HashSet(encoded);
  }

  get size(): number {
    return this.set.size;
  }

  mayHave(key: string): boolean {
    return this.set.has(fnv1a(key));
  }
}

/** A table that matched its root: the assets by key. */
export interface AssetTable {
  readonly root: string;
  readonly assets: Readonly<Record<string, ManifestAsset>>;
  /** The asset at `key`, or undefined (an own property only: `__proto__` is no asset). */
  get(key: string): ManifestAsset | undefined;
}

/** Why a table is not used. */
export type AssetTableErrorCode =
  /** Its SHA-256 is not the worker's `assetsRoot`: another build's table, or tampered with. */
  | 'asset-table-root'
  /** Not UTF-8 JSON, or not a valid `assets` record for this piece size. */
  | 'asset-table-invalid'
  /** A key the worker's key set does not have: the table and the worker disagree. */
  | 'asset-table-keys';

/**
 * Checks a table before any of it is used: its SHA-256 is `root`, it parses as a valid `assets`
 * record (protocol/manifest.ts `validateAssets`, with `pieceSize`), and every key is in `keys`.
 * Returns the table, or the reason it is refused.
 */
export async function verifyAssetTable(
  bytes: Uint8Array,
  root: string,
  opts: { pieceSize: number; keys: AssetKeys; sha256: Sha256Hex },
): Promise<Result<AssetTable, AssetTableErrorCode>> {
  if (!HASH_PATTERN.test(root) || (await opts.sha256(bytes)) !== root) {
    return fail("asset table: its SHA-256 is not the worker's assetsRoot", 'asset-table-root');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (error) {
    return fail(`asset table: not JSON (${error instanceof Error ? error.message : String(error)})`, 'asset-table-invalid');
  }
  const checked = validateAssets(parsed, opts.pieceSize);
  if (!checked.ok) return fail(`asset table: ${checked.error}`, 'asset-table-invalid');
  const assets = checked.value;
  const stray = Object.keys(assets).find((key) => !opts.keys.mayHave(key));
  if (stray !== undefined) return fail(`asset table: ${JSON.stringify(stray)} is not in the worker's key set`, 'asset-table-keys');
  return ok(assetTableOf(root, assets));
}

function assetTableOf(root: string, assets: Readonly<Record<string, ManifestAsset>>): AssetTable {
  return { root, assets, get: (key) => (Object.hasOwn(assets, key) ? assets[key] : undefined) };
}
