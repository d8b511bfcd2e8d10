import { HASH_PATTERN, MAX_ASSET_SIZE, MAX_PIECE_SIZE } from './limits.ts';
import { pieceCount } from './pieces.ts';
import { fail, isRecord, ok, type Result } from './result.ts';

/** One file of the site that peers may serve. */
export interface ManifestAsset {
  /** SHA-256 of the whole file, hex. Also the asset's swarm identity: unchanged files keep peers. */
  hash: string;
  size: number;
  /** Content-Type the worker answers with (the origin's would be the same for a static host). */
  type: string;
  /** SHA-256 of each PIECE_SIZE piece, hex, in order. An empty file has none. */
  pieces: string[];
}

/** The trusted list of assets, inlined into the service worker by the build. */
export interface Manifest {
  version: 1;
  pieceSize: number;
  /** Build time, ISO 8601: changes the worker's bytes on every deploy, so browsers update it. */
  builtAt: string;
  /** Keyed by the path relative to the worker's scope, decoded (`img/café.jpg`, no leading slash). */
  assets: Record<string, ManifestAsset>;
}

export const MANIFEST_VERSION = 1;

/** Checks a manifest's shape and internal consistency (piece count matches size). */
export function validateManifest(input: unknown): Result<Manifest> {
  if (!isRecord(input)) return fail('manifest: not an object');
  if (input.version !== MANIFEST_VERSION) return fail(`manifest: unsupported version ${String(input.version)}`);
  const { pieceSize, assets, builtAt } = input;
  if (typeof pieceSize !== 'number' || !Number.isInteger(pieceSize) || pieceSize < 1024 || pieceSize > MAX_PIECE_SIZE) {
    return fail('manifest: bad pieceSize');
  }
  if (typeof builtAt !== 'string') return fail('manifest: bad builtAt');
  if (!isRecord(assets)) return fail('manifest: assets is not an object');
  for (const [path, asset] of Object.entries(assets)) {
    const checked = validateAsset(path, asset, pieceSize);
    if (!checked.ok) return checked;
  }
  return ok(input as unknown as Manifest);
}

function validateAsset(path: string, asset: unknown, pieceSize: number): Result<ManifestAsset> {
  if (path === '' || path.startsWith('/') || path.split('/').some((s) => s === '..' || s === '.' || s === '')) {
    return fail(`manifest: bad path ${JSON.stringify(path)}`);
  }
  if (!isRecord(asset)) return fail(`manifest: ${path}: not an object`);
  const { hash, size, type, pieces } = asset;
  if (typeof hash !== 'string' || !HASH_PATTERN.test(hash)) return fail(`manifest: ${path}: bad hash`);
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 0 || size > MAX_ASSET_SIZE) {
    return fail(`manifest: ${path}: bad size`);
  }
  if (typeof type !== 'string' || type.length === 0 || type.length > 200) return fail(`manifest: ${path}: bad type`);
  if (!Array.isArray(pieces) || pieces.length !== pieceCount(size, pieceSize)) {
    return fail(`manifest: ${path}: piece count does not match size`);
  }
  if (!pieces.every((p) => typeof p === 'string' && HASH_PATTERN.test(p))) return fail(`manifest: ${path}: bad piece hash`);
  return ok(asset as unknown as ManifestAsset);
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
