/**
 * Which assets the build marked critical for which page: each page's LCP candidates
 * (builder/first-visit/page-facts.ts lcpCandidates), which the worker asks the origin for at once,
 * as it does render-blocking stylesheets, scripts and fonts (sw/hedge-policy.ts), instead of
 * waiting for peers first (issue 14, "the LCP candidate: the origin is asked at once"). Pure.
 *
 * Per page, not site-wide: an image that is one page's hero is another page's lazy thumbnail or a
 * lightbox target, and those still come from peers. The manifest carries the set as
 * `Manifest.critical`: the 32-bit FNV-1a hash of `pageKey(page) + "\n" + asset key` of each pair,
 * sorted, base64 (protocol/hash-set.ts; 4 bytes a mark before base64, one or two a
 * page). A collision only sends one more image of one page to the origin; nothing is served wrong.
 */
import { encodeHashSet, HashSet } from './hash-set.ts';
import { fnv1a, pageKey, pageKeysForUrl } from './page-set.ts';

const pairHash = (pageKeyOfPage: string, assetKey: string): number => fnv1a(`${pageKeyOfPage}\n${assetKey}`);

/** The set as the manifest carries it, from `{page file → asset keys it marks}`. */
export function encodeCriticalSet(marks: Iterable<[page: string, assets: readonly string[]]>): string {
  const hashes: number[] = [];
  for (const [page, assets] of marks) for (const asset of assets) hashes.push(pairHash(pageKey(page), asset));
  return encodeHashSet(hashes);
}

export class CriticalSet {
  private readonly hashes: HashSet;

  /** `encoded` as encodeCriticalSet wrote it; malformed input reads as an empty set. */
  constructor(encoded: string | undefined) {
    this.hashes = new HashSet(encoded);
  }

  get size(): number {
    return this.hashes.size;
  }

  /**
   * True when the build marked asset `assetKey` critical for the page served at `pageUrlPath`
   * (decoded, relative to the worker's scope; every URL form of a page file, as PageSet.hasUrl).
   */
  has(pageUrlPath: string, assetKey: string): boolean {
    return pageKeysForUrl(pageUrlPath).some((k) => this.hashes.has(pairHash(k, assetKey)));
  }
}
