/**
 * What one response for a manifest asset runs on in the worker, and what follows it. serveAsset
 * (serve-asset.ts) takes its runtime as ServeDeps so it runs in Node tests; this is the real
 * one: the worker's piece store, a bridge session asked of the requesting window, the network.
 */
import type { WorkerToBridge } from '../protocol/bridge-messages.ts';
import { type ManifestAsset, manifestKeyFor } from '../protocol/manifest.ts';
import type { PieceHashes } from '../protocol/piece-list.ts';
import { pieceCount } from '../protocol/pieces.ts';
import { broadcast, openBridgeSession, tell } from './bridge-session.ts';
import { bridgeWarm, hasHeard, peersServing } from './client-registry.ts';
import { fetchDirect } from './direct-fetch.ts';
import { isCritical, type SourceSpeeds } from './hedge-policy.ts';
import { HeldReports } from './held-reports.ts';
import type { PieceLists } from './piece-lists.ts';
import { realFetch } from './real-fetch.ts';
import { type SeedOutcome, seedCached } from './seed-cached.ts';
import type { ServeDeps, ServeOutcome } from './serve-asset.ts';
import type { PieceStore } from './store/piece-store.ts';
import { claimTorrentHead, torrentServing } from './torrent-heads.ts';
import { matchesHash } from './verify.ts';

/** One request the worker answers: which window asked, for which asset (by manifest key). */
export interface AssetRequest {
  clientId: string;
  key: string;
  asset: ManifestAsset;
  /** `Request.destination`: what the page will do with it (`style`, `script`, `image`, `''` for fetch()). */
  destination: RequestDestination;
  /** The build marked this asset critical for the asking page (its LCP candidate, protocol/critical-set.ts). */
  marked?: boolean;
}

/** What every response of this worker shares. */
export interface WorkerRuntime {
  store: PieceStore;
  /** Where each asset's expected piece hashes come from (its hash, or its fetched list). */
  pieceLists: PieceLists;
  /** The manifest's piece size. */
  pieceSize: number;
  /** What this worker measured of peers and the origin: the hedge delays come from it (sw/hedge-policy.ts). */
  speeds: SourceSpeeds;
  /** The origin's file is not the manifest's (a deploy happened): called once per gather that finds it. */
  onAssetChanged(hash: string): void;
}

export function serveDeps(runtime: WorkerRuntime, { clientId, asset, destination, marked }: AssetRequest): ServeDeps {
  const { store } = runtime;
  // Each verified piece, once stored, is told to the asking window: its bridge, registered with
  // the signaling server as fetching this asset, serves peers' requests for it at once
  // (page-bridge/fetching-now.ts) instead of only once the whole asset is stored (issue 13).
  const writePiece = async (hash: string, index: number, data: ArrayBuffer): Promise<boolean> => {
    const stored = await store.writePiece(hash, index, data);
    if (stored && hasHeard(clientId)) void tell(clientId, { pc: 'piece-stored', hash, index }).catch(() => undefined);
    return stored;
  };
  // A torrent asset's pieces live in the bridge's torrent store (WebTorrent seeds from there);
  // keeping a second copy here would double what a video costs in storage.
  const inTorrent = asset.torrent !== undefined;
  // Asked for at once, so a list still to fetch comes while the store is read and peers are asked.
  const hashes: Promise<PieceHashes> = runtime.pieceLists.hashesFor(asset);
  hashes.catch(() => undefined); // the gather that needs it sees the failure
  return {
    readPieces: async (hash, indexes) => (inTorrent ? [] : store.readPieces(hash, indexes)),
    writePiece: async (hash, index, data) => (inTorrent ? false : writePiece(hash, index, data)),
    deletePiece: (hash, index) => store.deletePiece(hash, index),
    verify: matchesHash,
    pieceHash: async (_asset, index) => (await hashes).hashAt(index),
    // A critical destination never gets here (hedge-policy.ts); the flag stays for a site worker's
    // own fetches of such assets when a stored piece is missing.
    openBridge: (req, onReply) => openBridgeSession(clientId, req, onReply, asset.size <= runtime.pieceSize && isCritical(destination)),
    fetchOrigin: (u, init) => realFetch(u, init),
    passThrough: (r) => realFetch(r),
    speeds: runtime.speeds,
    marked: marked === true,
    bridgeWarm: () => bridgeWarm(clientId),
    onPeerPiece: () => {
      peersServing(clientId);
      if (inTorrent) torrentServing(clientId, asset.hash);
    },
    claimHead: () => inTorrent && claimTorrentHead(clientId, asset.hash),
    fetchingFromOrigin: () => {
      if (!inTorrent && hasHeard(clientId)) void tell(clientId, { pc: 'fetching', hash: asset.hash }).catch(() => undefined);
    },
    // A torrent asset is stored by WebTorrent in the bridge: the network's answer would leave this
    // visitor nothing to seed, so its requests go through the bridge (web seed, then peers).
    direct: inTorrent
      ? undefined
      : (request, onDone) =>
          fetchDirect(
            request,
            asset,
            runtime.pieceSize,
            {
              fetch: (r) => realFetch(r),
              verify: matchesHash,
              pieceHash: async (index) => (await hashes).hashAt(index),
              writePiece,
              onAssetChanged: (hash) => runtime.onAssetChanged(hash),
            },
            (outcome) => {
              if (outcome && outcome.bytes > 0) runtime.speeds.origin(outcome.firstByteMs, outcome.bytes, outcome.bodyMs);
              onDone(
                outcome && {
                  bytes: { peer: 0, origin: outcome.bytes, cache: 0 },
                  status: outcome.status,
                  ms: outcome.firstByteMs + outcome.bodyMs,
                },
              );
            },
          ),
    onAssetChanged: (hash) => runtime.onAssetChanged(hash),
  };
}

/** `served` reports for windows whose bridge has not said hello yet: sent on their hello (sw/index.ts). */
export const heldReports = new HeldReports<WorkerToBridge>();

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
    // A window that has not said hello is not listening yet: its report waits for the hello.
    if (hasHeard(clientId)) await tell(clientId, served);
    else heldReports.hold(clientId, served);
  }
  // Piece writes may still be landing after a cancel; they are recorded when they do, and the
  // next response for this asset completes it.
  if (await runtime.store.markComplete(asset.hash, asset.size, pieceCount(asset.size, runtime.pieceSize))) {
    await broadcast({ pc: 'stored', hash: asset.hash });
  }
}

/**
 * Seeds the manifest assets among `urls` (a page's loads from before the worker controlled it,
 * absolute) from the HTTP cache: see seed-cached.ts. Keys are resolved against `siteRoot` as the
 * fetch handler resolves them. Torrent assets (WebTorrent's store holds those) and assets the
 * origin was seen to change (`skip`) are left alone. One at a time: it is background work.
 */
export async function seedPage(
  runtime: WorkerRuntime,
  /** The verified asset table's lookup (own keys only): the asset a key names, if any. */
  assetOf: (key: string) => ManifestAsset | undefined,
  siteRoot: string,
  urls: readonly string[],
  skip: (hash: string) => boolean,
): Promise<Record<SeedOutcome, number>> {
  const { store } = runtime;
  const counts: Record<SeedOutcome, number> = { seeded: 0, held: 0, 'not-cached': 0, wrong: 0 };
  const seen = new Set<string>();
  for (const url of urls) {
    const key = manifestKeyFor(url, siteRoot);
    const asset = key === null ? undefined : assetOf(key);
    if (!asset || asset.torrent || seen.has(asset.hash) || skip(asset.hash)) continue;
    seen.add(asset.hash);
    const pieces = pieceCount(asset.size, runtime.pieceSize);
    const hashes: Promise<PieceHashes> = runtime.pieceLists.hashesFor(asset);
    hashes.catch(() => undefined); // seedCached sees the failure as an unlisted piece
    const outcome = await seedCached(url, asset, runtime.pieceSize, {
      fetchCached: (request) => fetch(request),
      verify: matchesHash,
      pieceHash: async (index) => (await hashes).hashAt(index),
      writePiece: (hash, index, data) => store.writePiece(hash, index, data),
      isComplete: async (a) =>
        (
          await store.readPieces(
            a.hash,
            Array.from({ length: pieces }, (_, i) => i),
          )
        ).every((p) => p !== undefined),
      markComplete: async (a) => {
        const written = await store.markComplete(a.hash, a.size, pieces);
        if (written) await broadcast({ pc: 'stored', hash: a.hash });
        return written;
      },
    });
    counts[outcome]++;
  }
  return counts;
}
