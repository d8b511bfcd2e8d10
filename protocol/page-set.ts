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

/** Sorted 32-bit hashes, each once, as base64 of 4 big-endian bytes each (the manifest's compact sets). */
export function encodeHashSet(hashes: Iterable<number>): string {
  const sorted = [...new Set(hashes)].sort((a, b) => a - b);
  const bytes = new Uint8Array(sorted.length * 4);
  const view = new DataView(bytes.buffer);
  for (const [i, h] of sorted.entries()) view.setUint32(i * 4, h);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** The set of the build's pages, as the manifest carries it (`Manifest.pages`). */
export function encodePageSet(pageFiles: Iterable<string>): string {
  return encodeHashSet([...pageFiles].map((p) => fnv1a(pageKey(p))));
}

/** A set encodeHashSet wrote, searched by binary search. */
export class HashSet {
  private readonly hashes: Uint32Array;

  /** `encoded` as encodeHashSet wrote it; malformed input reads as an empty set. */
  constructor(encoded: string | undefined) {
    let binary = '';
    try {
      binary = encoded ? atob(encoded) : '';
    } catch {
      binary = '';
    }
    const n = Math.floor(binary.length / 4);
    this.hashes = new Uint32Array(n);
    for (let i = 0; i < n; i++) {
      this.hashes[i] =
        ((binary.charCodeAt(4 * i) << 24) |
          (binary.charCodeAt(4 * i + 1) << 16) |
          (binary.charCodeAt(4 * i + 2) << 8) |
          binary.charCodeAt(4 * i + 3)) >>>
        0;
    }
  }

  get size(): number {
    return this.hashes.length;
  }

  hasHash(h: number): boolean {
    let lo = 0;
    let hi = this.hashes.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.hashes[mid]!;
      if (v === h) return true;
      if (v < h) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }
}

export class PageSet extends HashSet {
  /** True when some page of the build is served at `urlPath` (decoded, relative to the scope). */
  hasUrl(urlPath: string): boolean {
    return pageKeysForUrl(urlPath).some((k) => this.hasHash(fnv1a(k)));
  }
}
