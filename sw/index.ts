/**
 * The service worker. Intercepts GET requests for manifest assets only; everything else
 * (navigations, other origins, unknown paths, non-GET) is not touched, not even re-fetched.
 */
import type { Manifest } from '../protocol/manifest.ts';
import { manifestKeyFor } from '../protocol/manifest.ts';
import { decodeBridgeToWorker } from '../protocol/bridge-messages.ts';
import { onHello } from './bridge-registry.ts';
import { broadcast, openBridgeSession, tell } from './bridge-session.ts';
import { CompletionTracker } from './completion.ts';
import type { GatherDeps } from './gather-pieces.ts';
import { deletePiece, markComplete, readPieces, writePiece } from './piece-store.ts';
import { serveAsset } from './serve-asset.ts';
import { matchesHash } from './verify.ts';

declare const self: ServiceWorkerGlobalScope;
declare const __PEER_CONNECT_MANIFEST__: Manifest;
const manifest: Manifest = __PEER_CONNECT_MANIFEST__;
const completion = new CompletionTracker();

// A new deploy means a new manifest: take over at once rather than wait for every tab to close.
self.addEventListener('install', (event) => event.waitUntil(self.skipWaiting()));
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('message', (event) => {
  const source = event.source;
  if (source instanceof WindowClient && decodeBridgeToWorker(event.data).ok) onHello(source.id);
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || request.mode === 'navigate') return;
  const key = manifestKeyFor(request.url, self.registration.scope);
  const asset = key === null ? undefined : manifest.assets[key];
  if (!asset || key === null) return;
  const clientId = event.clientId;
  // A torrent asset's pieces live in the bridge's torrent store (WebTorrent seeds from there);
  // keeping a second copy here would double what a video costs in storage.
  const inTorrent = asset.torrent !== undefined;
  const deps: GatherDeps = {
    readPieces: async (hash, indexes) => {
      if (inTorrent) return [];
      const found = await readPieces(hash, indexes);
      found.forEach((data, k) => data && completion.saw(hash, indexes[k]!));
      return found;
    },
    writePiece: async (hash, index, data) => {
      if (inTorrent) return false;
      const ok = await writePiece(hash, index, data);
      if (ok) completion.saw(hash, index);
      return ok;
    },
    deletePiece: (hash, index) => {
      completion.lost(hash, index);
      return deletePiece(hash, index);
    },
    verify: matchesHash,
    openBridge: (req, onReply) => openBridgeSession(clientId, req, onReply, asset.size <= manifest.pieceSize),
    fetchOrigin: (url, init) => fetch(url, init),
  };
  let done: () => void = () => undefined;
  event.waitUntil(new Promise<void>((resolve) => (done = resolve)));
  const response = serveAsset(request, asset, manifest.pieceSize, deps, (outcome) => {
    void (async () => {
      if (outcome) {
        await tell(clientId, { pc: 'served', path: key, hash: asset.hash, bytes: outcome.bytes, ms: outcome.ms, status: outcome.status });
      }
      // Piece writes may still be landing after a cancel; they are recorded when they do, and the
      // next response for this asset completes it.
      if (completion.completes(asset.hash, asset.pieces.length) && (await markComplete(asset.hash, asset.size, asset.pieces.length))) {
        await broadcast({ pc: 'stored', hash: asset.hash });
      }
    })().finally(done);
  });
  event.respondWith(response);
});
