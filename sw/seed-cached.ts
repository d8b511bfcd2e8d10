/**
 * Seed what the page already has (issue 13): the assets a page loaded from the origin before the
 * worker controlled it (a first visit's stylesheets, scripts, fonts) sit in the browser's HTTP
 * cache, not in the swarm. Once the bridge says which (`seed`), the worker reads each back from
 * the HTTP cache only (`cache: 'only-if-cached'`, which Fetch allows with `mode: 'same-origin'`;
 * a miss is a 504 and costs no request: Fetch §4.2 "HTTP-network-or-cache fetch"), and cuts,
 * checks and stores it exactly as a page's direct request is (direct-fetch.ts: every piece's
 * SHA-256 against its piece list, in order). Once every piece is stored it is announced like any
 * other asset. Nothing reaches the network. Runtime injected, so this runs in Node tests.
 */
import type { ManifestAsset } from '../protocol/manifest.ts';
import { pieceCount } from '../protocol/pieces.ts';
import { fetchDirect } from './direct-fetch.ts';

export interface SeedDeps {
  /** The HTTP cache's copy of the request's URL (`only-if-cached`), or a 504 when it has none. */
  fetchCached(request: Request): Promise<Response>;
  verify(data: Uint8Array, expectedHex: string): Promise<boolean>;
  /** The expected SHA-256 (hex) of piece `index` (sw/piece-lists.ts); rejects when the list cannot be had. */
  pieceHash(index: number): Promise<string>;
  writePiece(hash: string, index: number, data: ArrayBuffer): Promise<boolean>;
  /** Every piece stored: writes `a:` and tells the windows (`stored`); true the time it does. */
  markComplete(asset: ManifestAsset): Promise<boolean>;
  /** Whether every piece of the asset is stored already. */
  isComplete(asset: ManifestAsset): Promise<boolean>;
}

/**
 * `seeded`: stored and announced; `held`: it was already; `not-cached`: the HTTP cache has no
 * usable copy (or its piece list could not be had, or a write failed); `wrong`: the cached copy is
 * another version (a deploy since): nothing of it stored, and not a sign the origin changed.
 */
export type SeedOutcome = 'seeded' | 'held' | 'not-cached' | 'wrong';

/** Seeds one asset from the HTTP cache's copy of `url` (absolute). Never throws. */
export async function seedCached(url: string, asset: ManifestAsset, pieceSize: number, deps: SeedDeps): Promise<SeedOutcome> {
  if (await deps.isComplete(asset).catch(() => false)) return 'held';
  let wrong = false;
  let request: Request;
  try {
    request = new Request(url, { cache: 'only-if-cached', mode: 'same-origin' });
  } catch {
    return 'not-cached';
  }
  const copied = new Promise<{ status: number; stored: number; changed: boolean } | null>((resolve) => {
    fetchDirect(
      request,
      asset,
      pieceSize,
      {
        fetch: (r) => deps.fetchCached(r),
        verify: deps.verify,
        pieceHash: deps.pieceHash,
        writePiece: deps.writePiece,
        // A stale cached copy says nothing about the origin's file: no update is asked for.
        onAssetChanged: () => {
          wrong = true;
        },
      },
      resolve,
    )
      // Nobody reads the page's branch of the copy: drain it, so the stored branch runs to its end.
      .then((response) => response.arrayBuffer())
      .catch(() => resolve(null));
  });
  const outcome = await copied;
  if (wrong || outcome?.changed) return 'wrong';
  if (outcome?.status !== 200 || outcome.stored < pieceCount(asset.size, pieceSize)) return 'not-cached';
  await deps.markComplete(asset).catch(() => false);
  return 'seeded';
}
