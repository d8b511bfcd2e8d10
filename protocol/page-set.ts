/**
 * Which URLs are the build's own pages, compactly, so the worker can tell at a navigation that the
 * page coming carries our script (and its build id) and hold that page's first requests until it
 * has named its build, instead of passing them to the origin (a page no build wrote never names
 * one, and its requests go to the network at once). Pure.
 *
 * A page file is keyed by the URL forms static hosts serve it at: `dir/index.html` at `dir/` (and
 * `dir/index.html`, `dir`), `about.html` at `about.html` and `about` (Netlify, Vercel, Cloudflare
 * Pages drop the extension). The set stores a 32-bit FNV-1a hash of each key, sorted, as base64:
 * 4 bytes a page before base64 (a 3,000-page site: 16 KB in the worker). A collision only makes
 * the worker hold a page's requests until our script's request or a 1 s wait; nothing is served
 * wrong by it.
 */
import { encodeHashSet, HashSet } from './hash-set.ts';

/** The canonical key of a page file or URL path (decoded, relative to the worker's scope, no leading slash). */
export function pageKey(path: string): string {
  if (path === '' || path.endsWith('/')) return path;
  const index = /(^|\/)index\.html?$/i.exec(path);
  if (index) return path.slice(0, path.length - index[0].length + index[1]!.length);
  return path.replace(/\.html?$/i, '');
}

/** Keys a request for `urlPath` may mean: itself, and `urlPath/` (a folder's index at its name). */
export function pageKeysForUrl(urlPath: string): string[] {
  const key = pageKey(urlPath);
  return key === '' || key.endsWith('/') ? [key] : [key, `${key}/`];
}

/** FNV-1a, 32 bits, over the key's UTF-8 bytes (also names a page's asset list: protocol/page-assets.ts). */
export function fnv1a(key: string): number {
  let h = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(key)) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The set of the build's pages, as the manifest carries it (`Manifest.pages`). */
export function encodePageSet(pageFiles: Iterable<string>): string {
  return encodeHashSet([...pageFiles].map((p) => fnv1a(pageKey(p))));
}

export class PageSet {
  private readonly hashes: HashSet;

  /** `encoded` as encodePageSet wrote it; malformed input reads as an empty set. */
  constructor(encoded: string | undefined) {
    this.hashes = new HashSet(encoded);
  }

  get size(): number {
    return this.hashes.size;
  }

  /** True when some page of the build is served at `urlPath` (decoded, relative to the scope). */
  hasUrl(urlPath: string): boolean {
    return pageKeysForUrl(urlPath).some((k) => this.hashes.has(fnv1a(k)));
  }
}
