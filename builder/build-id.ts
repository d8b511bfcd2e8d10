import { createHash } from 'node:crypto';
import type { Manifest } from '../protocol/manifest.ts';

/** Hex digits kept: 80 bits, far more than enough to tell a site's builds apart. */
const BUILD_ID_CHARS = 20;

/**
 * The manifest's `build` id (see `Manifest.build` for why): the first 20 hex digits of the
 * SHA-256 of `JSON.stringify({version, pieceSize, assets})`. Key order is part of the input, so
 * `assets` must be in the build's sorted order, as `buildSite` writes it.
 */
export function buildId({ version, pieceSize, assets }: Pick<Manifest, 'version' | 'pieceSize' | 'assets'>): string {
  return createHash('sha256').update(JSON.stringify({ version, pieceSize, assets })).digest('hex').slice(0, BUILD_ID_CHARS);
}
