import { HASH_PATTERN, MAX_ASSET_SIZE, MAX_PIECE_SIZE, TORRENT_MAX_PIECE_LENGTH, TORRENT_MIN_PIECE_LENGTH } from './limits.ts';
import { pieceCount } from './pieces.ts';
import { fail, isRecord, ok, type Result } from './result.ts';

/** One file of the site that peers may serve. */
export interface ManifestAsset {
  /** SHA-256 of the whole file, hex. Also the asset's swarm identity: unchanged files keep peers. */
  hash: string;
  size: number;
  /** Content-Type the worker answers with (the origin's would be the same for a static host). */
  type: string;
  /**
   * For an asset of more than one piece: the SHA-256 (hex) of its piece-hash list, the file
   * `peer-connect-pieces/<piecesRoot>.bin` that the worker fetches on first need and trusts only
   * when it matches (protocol/piece-list.ts). Absent for an asset of one piece (its piece hash is
   * `hash`) or none (empty). The piece count is not stored: it is `ceil(size / pieceSize)`.
   */
  piecesRoot?: string;
  /** Set when the build made a torrent for this file (large files, audio and video). */
  torrent?: ManifestTorrent;
}

/**
 * A torrent the build made for one asset, pinned by its info hash: WebTorrent checks every piece
 * against the info dict whose SHA-1 this is, and the info dict comes from the `.torrent` file.
 * The torrent's web seed is the asset's own URL (see README, "Media and large files").
 */
export interface ManifestTorrent {
  /** SHA-1 of the bencoded info dict, 40 lowercase hex digits (WebTorrent's `infoHash`). */
  infoHash: string;
  /** Bytes per torrent piece: a power of two, a multiple of the manifest's 64 KiB pieces by default. */
  pieceLength: number;
  /** Where the `.torrent` is, relative to the worker's scope and decoded, like asset keys. */
  file: string;
  /**
   * The tracker: a `ws:`/`wss:` URL, which is also the `.torrent`'s `announce`, or a path
   * (`/peer-connect/announce`) on the page's own origin, with `ws:` for `http:` pages and `wss:`
   * for `https:` ones; a path is not valid in a .torrent, so that torrent has no `announce`.
   */
  announce: string;
}

export const INFO_HASH_PATTERN = /^[0-9a-f]{40}$/;

/** A build id: lowercase hex, 16 to 64 digits (the build writes 20; see `Manifest.build`). */
export const BUILD_ID_PATTERN = /^[0-9a-f]{16,64}$/;

/** The trusted list of assets, inlined into the service worker by the build. */
export interface Manifest {
  /** 2: piece hashes in per-asset list files under `piecesRoot` (1 inlined them as `pieces`). */
  version: 2;
  pieceSize: number;
  /**
   * Which build this is, by content: the first 20 hex digits of the SHA-256 of
   * `JSON.stringify({version, pieceSize, assets})`, assets in the build's sorted order. An identical
   * rebuild keeps it; any changed byte, path or type changes it. The build also puts it in each
   * page's bridge URL (`peer-connect.js?v=<build>`), so the worker can tell which build a page is of.
   */
  build: string;
  /** Build time, ISO 8601: changes the worker's bytes on every deploy, so browsers update it. */
  builtAt: string;
  /** Keyed by the path relative to the worker's scope, decoded (`img/café.jpg`, no leading slash). */
  assets: Record<string, ManifestAsset>;
  /**
   * The build's HTML pages, as protocol/page-set.ts encodes them (base64 of sorted 32-bit hashes):
   * a navigation to one of these is a page that will name its build. Absent in older builds.
   */
  pages?: string;
  /**
   * The assets the build marked critical for each page (its LCP candidates), as
   * protocol/critical-set.ts encodes them: the worker asks the origin for them at once. Absent in
   * older builds (nothing marked).
   */
  critical?: string;
}

export const MANIFEST_VERSION = 2;

/**
 * What the build inlines into the worker: the manifest without its `assets` record, which would
 * make the script grow with the site (issue 14). In its place, the set of the asset keys' 32-bit
 * hashes (so the fetch handler decides at once, without I/O, whether a request may be one of
 * ours) and the SHA-256 of the asset table file that holds the record (protocol/asset-table.ts),
 * which the worker fetches at install and trusts only when it matches.
 */
export interface WorkerManifest extends Omit<Manifest, 'assets'> {
  /** protocol/asset-table.ts `encodeAssetKeys`: base64 of the sorted FNV-1a hashes of every asset key. */
  assetKeys: string;
  /** SHA-256 (hex) of the asset table file `peer-connect-assets/<assetsRoot>.json`. */
  assetsRoot: string;
  /**
   * The table file's text itself, when it is at most ASSET_TABLE_INLINE_MAX_BYTES: the worker then
   * needs no fetch at install. Still checked against `assetsRoot` like a fetched one.
   */
  assetTable?: string;
}

export const isBuildId = (v: unknown): v is string => typeof v === 'string' && BUILD_ID_PATTERN.test(v);

/** Checks a manifest's shape and internal consistency (a root exactly where the size makes more than one piece). */
export function validateManifest(input: unknown): Result<Manifest> {
  if (!isRecord(input)) return fail('manifest: not an object');
  if (input.version !== MANIFEST_VERSION) return fail(`manifest: unsupported version ${String(input.version)}`);
  const { pieceSize, assets, build, builtAt } = input;
  if (typeof pieceSize !== 'number' || !Number.isInteger(pieceSize) || pieceSize < 1024 || pieceSize > MAX_PIECE_SIZE) {
    return fail('manifest: bad pieceSize');
  }
  if (!isBuildId(build)) return fail('manifest: bad build');
  if (typeof builtAt !== 'string') return fail('manifest: bad builtAt');
  if (input.pages !== undefined && (typeof input.pages !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(input.pages)))
    return fail('manifest: bad pages');
  if (input.critical !== undefined && (typeof input.critical !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(input.critical)))
    return fail('manifest: bad critical');
  const checked = validateAssets(assets, pieceSize);
  if (!checked.ok) return checked;
  return ok(input as unknown as Manifest);
}

/**
 * Checks an `assets` record (the manifest's, or an asset table file's: protocol/asset-table.ts):
 * each key a relative path, each asset's shape, a root exactly where `pieceSize` makes more than
 * one piece. Errors name the path: `manifest: <path>: bad size`.
 */
export function validateAssets(assets: unknown, pieceSize: number): Result<Record<string, ManifestAsset>> {
  if (!isRecord(assets)) return fail('manifest: assets is not an object');
  for (const [path, asset] of Object.entries(assets)) {
    const checked = validateAsset(path, asset, pieceSize);
    if (!checked.ok) return checked;
  }
  return ok(assets as unknown as Record<string, ManifestAsset>);
}

const isRelativePath = (path: string): boolean =>
  path !== '' && !path.startsWith('/') && !path.split('/').some((s) => s === '..' || s === '.' || s === '');

function validateAsset(path: string, asset: unknown, pieceSize: number): Result<ManifestAsset> {
  if (!isRelativePath(path)) return fail(`manifest: bad path ${JSON.stringify(path)}`);
  if (!isRecord(asset)) return fail(`manifest: ${path}: not an object`);
  const { hash, size, type, piecesRoot } = asset;
  if (typeof hash !== 'string' || !HASH_PATTERN.test(hash)) return fail(`manifest: ${path}: bad hash`);
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 0 || size > MAX_ASSET_SIZE) {
    return fail(`manifest: ${path}: bad size`);
  }
  if (typeof type !== 'string' || type.length === 0 || type.length > 200) return fail(`manifest: ${path}: bad type`);
  if (asset.pieces !== undefined) return fail(`manifest: ${path}: inline piece hashes (version 1) are not read`);
  if (pieceCount(size, pieceSize) > 1) {
    if (typeof piecesRoot !== 'string' || !HASH_PATTERN.test(piecesRoot)) return fail(`manifest: ${path}: bad piecesRoot`);
  } else if (piecesRoot !== undefined) {
    return fail(`manifest: ${path}: piecesRoot on an asset of one piece`);
  }
  if (asset.torrent !== undefined) {
    const torrent = validateTorrent(asset.torrent);
    if (!torrent.ok) return fail(`manifest: ${path}: torrent: ${torrent.error}`);
    if (size === 0) return fail(`manifest: ${path}: torrent: an empty file has no torrent`);
  }
  return ok(asset as unknown as ManifestAsset);
}

/** Longest `announce` accepted (a URL; browsers cap far higher, trackers never need this much). */
const MAX_ANNOUNCE_CHARS = 2048;

function validateTorrent(torrent: unknown): Result<ManifestTorrent> {
  if (!isRecord(torrent)) return fail('not an object');
  const { infoHash, pieceLength, file, announce } = torrent;
  if (typeof infoHash !== 'string' || !INFO_HASH_PATTERN.test(infoHash)) return fail('bad infoHash');
  if (
    typeof pieceLength !== 'number' ||
    !Number.isInteger(pieceLength) ||
    pieceLength < TORRENT_MIN_PIECE_LENGTH ||
    pieceLength > TORRENT_MAX_PIECE_LENGTH ||
    (pieceLength & (pieceLength - 1)) !== 0
  ) {
    return fail('bad pieceLength');
  }
  if (typeof file !== 'string' || !isRelativePath(file) || !file.endsWith('.torrent')) return fail('bad file');
  if (typeof announce !== 'string' || !isTrackerLocation(announce)) return fail('bad announce');
  return ok(torrent as unknown as ManifestTorrent);
}

/** A `ws:`/`wss:` URL, or an absolute path on the page's origin (not `//host`, which is a URL). */
export function isTrackerLocation(announce: string): boolean {
  if (announce.length === 0 || announce.length > MAX_ANNOUNCE_CHARS) return false;
  if (announce.startsWith('/')) return !announce.startsWith('//') && !/[\s\\?#]/.test(announce);
  try {
    const url = new URL(announce);
    return (url.protocol === 'ws:' || url.protocol === 'wss:') && url.hash === '';
  } catch {
    return false;
  }
}

/**
 * Maps a request URL to its manifest key, or null when the URL is not one of ours: another
 * origin, outside the scope, or carrying a query string (a static host ignores it, but a query
 * usually means a dynamic or cache-busted resource we have no hash for).
 */
export function manifestKeyFor(requestUrl: string, scope: string): string | null {
  const url = new URL(requestUrl);
  const base = new URL(scope);
  if (url.origin !== base.origin || url.search !== '') return null;
  if (!url.pathname.startsWith(base.pathname)) return null;
  const rest = url.pathname.slice(base.pathname.length);
  try {
    return decodeURIComponent(rest);
  } catch {
    return null;
  }
}

/** The URL path (percent-encoded, relative) for a manifest key, as a page would reference it. */
export function urlPathFor(key: string): string {
  return key.split('/').map(encodeURIComponent).join('/');
}
