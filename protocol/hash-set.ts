/**
 * A set of 32-bit hashes inlined in the worker, compactly: sorted, deduplicated, each as 4 bytes
 * big-endian, base64 (4 B a member before base64). Used for the build's pages (page-set.ts) and
 * its asset keys (asset-table.ts). A member is found by binary search. Pure.
 */

/** Base64 of the sorted, deduplicated hashes (each an unsigned 32-bit integer). */
export function encodeHashSet(hashes: Iterable<number>): string {
  const sorted = [...new Set(hashes)].sort((a, b) => a - b);
  const bytes = new Uint8Array(sorted.length * 4);
  const view = new DataView(bytes.buffer);
  for (const [i, h] of sorted.entries()) view.setUint32(i * 4, h >>> 0);
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary);
}

/** True when `encoded` is base64 (what encodeHashSet writes; the length is checked on decode). */
export const isEncodedHashSet = (encoded: unknown): encoded is string =>
  typeof encoded === 'string' && /^[A-Za-z0-9+/]*={0,2}$/.test(encoded);

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

  has(h: number): boolean {
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
