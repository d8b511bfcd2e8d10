/**
 * The layout before issue 14, rebuilt from a build's output: the same manifest with every piece
 * hash inlined (`pieces: string[]` on each asset, version 1, key order as that build wrote it),
 * bundled by the same worker code. What `peer-connect-sw.js` would weigh if the lists were still
 * in it; the code around the manifest is this branch's either way.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Manifest } from '../../protocol/manifest.ts';
import { PIECE_HASH_BYTES, pieceListPath } from '../../protocol/piece-list.ts';
import { pieceCount } from '../../protocol/pieces.ts';

/** Each asset's piece hashes, hex: from its list file in `outDir`, or its file hash for one piece. */
async function pieceHashes(outDir: string, manifest: Manifest, path: string): Promise<string[]> {
  const a = manifest.assets[path]!;
  const count = pieceCount(a.size, manifest.pieceSize);
  if (count <= 1) return count === 1 ? [a.hash] : [];
  const list = await readFile(join(outDir, pieceListPath(a.piecesRoot ?? '')));
  return Array.from({ length: count }, (_, i) => list.subarray(i * PIECE_HASH_BYTES, (i + 1) * PIECE_HASH_BYTES).toString('hex'));
}

/** The manifest as the worker inlined it before: not a valid manifest now (version 1), only its bytes matter. */
export async function inlinedManifest(outDir: string, manifest: Manifest): Promise<unknown> {
  const assets: Record<string, unknown> = {};
  for (const [path, a] of Object.entries(manifest.assets)) {
    const { hash, size, type, torrent } = a;
    assets[path] = { hash, size, pieces: await pieceHashes(outDir, manifest, path), type, ...(torrent ? { torrent } : {}) };
  }
  return { ...manifest, version: 1, assets };
}
