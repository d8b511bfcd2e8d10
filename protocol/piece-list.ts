/**
 * An asset's piece-hash list, kept out of the worker (issue 14: the worker's size must not grow
 * with the site). The manifest keeps one `piecesRoot` per asset of more than one piece; the list
 * itself is a file the build writes and the worker fetches on first need:
 *
 * - bytes: the SHA-256 of each piece, 32 raw bytes each, in piece order (no header): a list of
 *   `n` pieces is exactly `32 × n` bytes;
 * - root: the SHA-256 of those bytes, hex. The worker trusts a list only when its length is the
 *   asset's piece count × 32 and its SHA-256 is the manifest's root; then each piece hash in it
 *   is as trusted as one inlined in the worker would be;
 * - path: `peer-connect-pieces/<root>.bin` under the site's root. Named by its own hash, so an
 *   unchanged file keeps its list's name across deploys, and any cache may keep it for good.
 *
 * Prior art: BitTorrent v2 (BEP 52) keeps a per-file `pieces root` in the info dict and ships the
 * per-file "piece layers" apart from it, verified against that root. BEP 52's root is a Merkle
 * root over 16 KiB blocks, so parts of a layer can be proven alone; ours hashes the flat list,
 * because the worker always takes a list whole (see ARCHITECTURE.md, "Piece lists").
 * A one-piece asset has no list: its one piece hash is the file's `hash`.
 */
import { HASH_PATTERN } from './limits.ts';
import { fail, ok, type Result } from './result.ts';

/** The build's folder of piece lists, under the site's root; never an asset itself. */
export const PIECE_LIST_DIR = 'peer-connect-pieces';

/** Bytes of one piece hash in a list (SHA-256). */
export const PIECE_HASH_BYTES = 32;

/** Where the list with this root is, relative to the site's root (as manifest keys are). */
export const pieceListPath = (root: string): string => `${PIECE_LIST_DIR}/${root}.bin`;

/** The list's absolute URL, from the site's root URL (ending in `/`). */
export const urlOfPieceList = (root: string, siteRoot: string): string => new URL(pieceListPath(root), siteRoot).href;

/** SHA-256 of `bytes`, lowercase hex: WebCrypto in the worker, node:crypto in the build and tests. */
export type Sha256Hex = (bytes: Uint8Array) => Promise<string> | string;

/**
 * The list's bytes from hex piece hashes (the build's `hashFile` output).
 * Throws on a malformed hash: the build made them, so one would be our bug.
 */
export function encodePieceList(pieces: readonly string[]): Uint8Array {
  const out = new Uint8Array(pieces.length * PIECE_HASH_BYTES);
  pieces.forEach((hex, i) => {
    if (!HASH_PATTERN.test(hex)) throw new Error(`piece ${i}: not a SHA-256 hex digest`);
    for (let b = 0; b < PIECE_HASH_BYTES; b++) out[i * PIECE_HASH_BYTES + b] = Number.parseInt(hex.slice(b * 2, b * 2 + 2), 16);
  });
  return out;
}

/** A list that matched its root: piece `i`'s SHA-256 as hex. */
export interface PieceHashes {
  readonly count: number;
  hashAt(index: number): string;
}

/** Why a fetched list is not used. */
export type PieceListErrorCode =
  /** Not `32 × pieces` bytes. */
  | 'piece-list-length'
  /** Its SHA-256 is not the manifest's `piecesRoot`. */
  | 'piece-list-root';

/**
 * Checks a list against the manifest before any of it is used: `expectedPieces × 32` bytes whose
 * SHA-256 is `root`. Returns its hashes, or the reason it is refused.
 */
export async function verifyPieceList(
  bytes: Uint8Array,
  root: string,
  expectedPieces: number,
  sha256: Sha256Hex,
): Promise<Result<PieceHashes, PieceListErrorCode>> {
  if (bytes.byteLength !== expectedPieces * PIECE_HASH_BYTES) {
    return fail(`piece list: ${bytes.byteLength} B, expected ${expectedPieces} × ${PIECE_HASH_BYTES}`, 'piece-list-length');
  }
  if ((await sha256(bytes)) !== root) return fail('piece list: its SHA-256 is not the manifest root', 'piece-list-root');
  return ok(pieceHashesOf(bytes));
}

/** Hex views over a list's bytes (already verified). Each hash is made on first use and kept. */
function pieceHashesOf(bytes: Uint8Array): PieceHashes {
  const hexes: string[] = [];
  const count = bytes.byteLength / PIECE_HASH_BYTES;
  return {
    count,
    hashAt(index) {
      if (!Number.isInteger(index) || index < 0 || index >= count) return '';
      let hex = hexes[index];
      if (hex === undefined) {
        hex = '';
        for (let b = index * PIECE_HASH_BYTES; b < (index + 1) * PIECE_HASH_BYTES; b++) hex += bytes[b]!.toString(16).padStart(2, '0');
        hexes[index] = hex;
      }
      return hex;
    },
  };
}

/** The one hash of a one-piece asset: its file hash (an empty file has no piece at all). */
export const singlePieceHashes = (fileHash: string, count: 0 | 1): PieceHashes => ({
  count,
  hashAt: (index) => (index === 0 && count === 1 ? fileHash : ''),
});
