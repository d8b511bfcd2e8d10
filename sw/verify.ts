import { toHex } from '../protocol/hex.ts';

/** True when `data` hashes to the manifest's SHA-256 for it. */
export async function matchesHash(data: ArrayBuffer | Uint8Array, expectedHex: string): Promise<boolean> {
  const digest = await crypto.subtle.digest('SHA-256', data as BufferSource);
  return toHex(new Uint8Array(digest)) === expectedHex;
}

/** SHA-256 of `data`, lowercase hex (WebCrypto). */
export async function sha256Hex(data: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', data as BufferSource)));
}
