/**
 * Which manifest assets each page of the build uses, one small file per page, so the bridge can
 * learn what the pages the current page links to will load, and prefetch it through peers
 * (page-bridge/prefetch/), without the worker or the bridge carrying a site-wide table.
 *
 * The build writes `peer-connect-pages/<id>.json` for every page, `<id>` the 8 hex digits of the
 * FNV-1a hash (protocol/page-set.ts) of the page's key (`pageKey`: `dir/` for `dir/index.html`,
 * `about` for `about.html`). A link to `about` may mean `about.html` or `about/index.html`: the
 * bridge asks for the ids of both keys in turn (`pageKeysForUrl`). Two pages whose keys share a
 * hash share a file, listing both pages' assets: prefetch then takes more than one page needs,
 * never anything wrong (the worker takes keys from its own manifest, and every piece is verified).
 *
 * The list is a hint the origin serves, like the page itself: the worker resolves each key in its
 * manifest (the trusted one) and ignores a key it does not hold.
 */
import { HASH_PATTERN, PREFETCH_LIST_MAX_BYTES } from './limits.ts';
import { fnv1a, pageKey } from './page-set.ts';
import { fail, isRecord, ok, type Result } from './result.ts';

/** The folder of the lists, at the site's root (the bridge's folder). Never an asset. */
export const PAGE_ASSETS_DIR = 'peer-connect-pages';

export const PAGE_ASSETS_VERSION = 1;

/** One asset a page uses: its manifest key, its size in bytes, its SHA-256 (hex). */
export interface PageAsset {
  key: string;
  size: number;
  hash: string;
}

/** A page's asset list, as its file holds it: `{v: 1, assets: [[key, size, hash], …]}`. */
export interface PageAssets {
  assets: PageAsset[];
}

/** The file of the page with key `key` (see `pageKey`), relative to the site's root. */
export function pageAssetsFile(key: string): string {
  return `${PAGE_ASSETS_DIR}/${fnv1a(key).toString(16).padStart(8, '0')}.json`;
}

/** The file a page file (`posts/a.html`) gets. */
export const pageAssetsFileForPage = (pagePath: string): string => pageAssetsFile(pageKey(pagePath));

/** The JSON text of a list (compact: arrays, not objects, for sites with many small images). */
export function encodePageAssets(assets: readonly PageAsset[]): string {
  return JSON.stringify({ v: PAGE_ASSETS_VERSION, assets: assets.map((a) => [a.key, a.size, a.hash]) });
}

/**
 * Reads a list file's text. Fails on text over PREFETCH_LIST_MAX_BYTES (UTF-16 units), anything
 * but `{v: 1, assets: [[string, integer ≥ 0, 64 hex], …]}`.
 */
export function decodePageAssets(text: string): Result<PageAssets> {
  if (text.length > PREFETCH_LIST_MAX_BYTES) return fail('page assets: too large');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return fail('page assets: not JSON');
  }
  if (!isRecord(parsed) || parsed.v !== PAGE_ASSETS_VERSION || !Array.isArray(parsed.assets)) return fail('page assets: bad shape');
  const assets: PageAsset[] = [];
  for (const entry of parsed.assets) {
    if (!Array.isArray(entry) || entry.length !== 3) return fail('page assets: bad entry');
    const [key, size, hash] = entry as unknown[];
    if (typeof key !== 'string' || key === '') return fail('page assets: bad key');
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) return fail('page assets: bad size');
    if (typeof hash !== 'string' || !HASH_PATTERN.test(hash)) return fail('page assets: bad hash');
    assets.push({ key, size, hash });
  }
  return ok({ assets });
}
