/**
 * What one response for a manifest asset runs on in the worker, and what follows it. serveAsset
 * (serve-asset.ts) takes its runtime as ServeDeps so it runs in Node tests; this is the real
 * one: the worker's piece store, a bridge session asked of the requesting window, the network.
 */
import type { WorkerToBridge } from '../protocol/bridge-messages.ts';
import type { ManifestAsset } from '../protocol/manifest.ts';
import type { PieceHashes } from '../protocol/piece-list.ts';
import { pieceCount } from '../protocol/pieces.ts';
import { broadcast, openBridgeSession, tell } from './bridge-session.ts';
import type { PieceLists } from './piece-lists.ts';
import { realFetch } from './real-fetch.ts';
import type { ServeDeps, ServeOutcome } from './serve-asset.ts';
import type { PieceStore } from './store/piece-store.ts';
import { matchesHash } from './verify.ts';

/** One request the worker answers: which window asked, for which asset (by manifest key). */
export interface AssetRequest {
  clientId: string;
  key: string;
  asset: ManifestAsset;
  /** `Request.destination`: what the page will do with it (`style`, `script`, `image`, `''` for fetch()). */
  destination: RequestDestination;
}

/**
 * What a page needs before it can render or run (Fetch §2.2.5 destinations): a one-piece asset of
 * these goes to the origin at once when the page's bridge is not ready yet, rather than hold the
 * page's rendering for the bridge's start-up. Everything else waits briefly for a bridge that is
 * on its way (as images under `swap` always did).
 */
const RENDER_BLOCKING: ReadonlySet<RequestDestination> = new Set<RequestDestination>([
  'style',
  'script',
  'font',
  'worker',
  'sharedworker',
  'manifest',
]);

/** What every response of this worker shares. */
export interface WorkerRuntime {
  store: PieceStore;
  /** Where each asset's expected piece hashes come from (its hash, or its fetched list). */
  pieceLists: PieceLists;
  /** The manifest's piece size: a render-blocking asset of one piece goes to the origin when no bridge is ready. */
  pieceSize: number;
  /** The origin's file is not the manifest's (a deploy happened): called once per gather that finds it. */
  onAssetChanged(hash: string): void;
}

export function serveDeps(runtime: WorkerRuntime, { clientId, asset, destination }: AssetRequest): ServeDeps {
  const { store } = runtime;
  // A torrent asset's pieces live in the bridge's torrent store (WebTorrent seeds from there);
  // keeping a second copy here would double what a video costs in storage.
  const inTorrent = asset.torrent !== undefined;
  // Asked for at once, so a list still to fetch comes while the store is read and peers are asked.
  const hashes: Promise<PieceHashes> = runtime.pieceLists.hashesFor(asset);
  hashes.catch(() => undefined); // the gather that needs it sees the failure
  return {
    readPieces: async (hash, indexes) => (inTorrent ? [] : store.readPieces(hash, indexes)),
    writePiece: async (hash, index, data) => (inTorrent ? false : store.writePiece(hash, index, data)),
    deletePiece: (hash, index) => store.deletePiece(hash, index),
    verify: matchesHash,
    pieceHash: async (_asset, index) => (await hashes).hashAt(index),
    openBridge: (req, onReply) =>
      openBridgeSession(clientId, req, onReply, asset.size <= runtime.pieceSize && RENDER_BLOCKING.has(destination)),
    fetchOrigin: (u, init) => realFetch(u, init),
    passThrough: (r) => realFetch(r),
    onAssetChanged: (hash) => runtime.onAssetChanged(hash),
  };
}

/**
 * After a response (`outcome` null when it was not fully read): tells the page what it was
 * served (its bridge's counters), then, once every piece of the asset is stored, every window,
 * whose bridges announce it.
 */
export async function afterServe(
  runtime: WorkerRuntime,
  { clientId, key, asset }: AssetRequest,
  outcome: ServeOutcome | null,
): Promise<void> {
  if (outcome) {
    const served: WorkerToBridge = {
      pc: 'served',
      path: key,
      hash: asset.hash,
      bytes: outcome.bytes,
      ms: outcome.ms,
      status: outcome.status,
    };
    await tell(clientId, served);
  }
  // Piece writes may still be landing after a cancel; they are recorded when they do, and the
  // next response for this asset completes it.
  if (await runtime.store.markComplete(asset.hash, asset.size, pieceCount(asset.size, runtime.pieceSize))) {
    await broadcast({ pc: 'stored', hash: asset.hash });
  }
}
