/**
 * The service worker. Intercepts GET requests for manifest assets only; everything else
 * (navigations, other origins, unknown paths, non-GET) is not touched, not even re-fetched.
 */
import type { Manifest } from '../protocol/manifest.ts';
import { manifestKeyFor } from '../protocol/manifest.ts';
import { decodeBridgeToWorker } from '../protocol/bridge-messages.ts';
import type { WorkerConfig } from '../protocol/worker-config.ts';
import { onHello } from './bridge-registry.ts';
import { broadcast, openBridgeSession, tell } from './bridge-session.ts';
import type { GatherDeps } from './gather-pieces.ts';
import { serveAsset } from './serve-asset.ts';
import { PieceStore } from './store/piece-store.ts';
import { matchesHash } from './verify.ts';

declare const self: ServiceWorkerGlobalScope;
declare const __PEER_CONNECT_MANIFEST__: Manifest;
declare const __PEER_CONNECT_WORKER_CONFIG__: WorkerConfig;
const manifest: Manifest = __PEER_CONNECT_MANIFEST__;
const store = new PieceStore({
  manifest,
  quotaBytes: __PEER_CONNECT_WORKER_CONFIG__.storeQuotaBytes,
  onLost: (hashes) => broadcast({ pc: 'lost', hashes }),
});

// A new deploy means a new manifest: take over at once rather than wait for every tab to close.
self.addEventListener('install', (event) => event.waitUntil(self.skipWaiting()));
// Claimed first, so the clean-up's `lost` reaches every window of the scope.
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim().then(() => store.cleanUp())));

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
  // Not evicted while this response reads and stores it.
  const release = store.hold(asset.hash);
  const deps: GatherDeps = {
    readPieces: async (hash, indexes) => (inTorrent ? [] : store.readPieces(hash, indexes)),
    writePiece: async (hash, index, data) => (inTorrent ? false : store.writePiece(hash, index, data)),
    deletePiece: (hash, index) => store.deletePiece(hash, index),
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
      if (await store.markComplete(asset.hash, asset.size, asset.pieces.length)) {
        await broadcast({ pc: 'stored', hash: asset.hash });
      }
    })().finally(() => {
      release();
      done();
    });
  });
  event.respondWith(response);
});
