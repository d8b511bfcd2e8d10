import { toHex } from '../protocol/hex.ts';

/** True when `data` hashes to the manifest's SHA-256 for it. */
export async function matchesHash(data: ArrayBuffer | Uint8Array, expectedHex: string): Promise<boolean> {
  const digest = await crypto.subtle.digest('SHA-256', data as BufferSource);
  return toHex(new Uint8Array(digest)) === expectedHex;
}
