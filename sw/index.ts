/**
 * The service worker. Intercepts GET requests for manifest assets only; everything else
 * (navigations, other origins, unknown paths, non-GET) is not touched, not even re-fetched.
 */
import type { Manifest } from '../protocol/manifest.ts';
import { manifestKeyFor } from '../protocol/manifest.ts';
import { broadcast, openBridgeSession, tell } from './bridge-session.ts';
import type { GatherDeps } from './gather-pieces.ts';
import { deletePiece, markComplete, readPieces, writePiece } from './piece-store.ts';
import { serveAsset } from './serve-asset.ts';
import { matchesHash } from './verify.ts';

declare const self: ServiceWorkerGlobalScope;
declare const __PEER_CONNECT_MANIFEST__: Manifest;
const manifest: Manifest = __PEER_CONNECT_MANIFEST__;

// A new deploy means a new manifest: take over at once rather than wait for every tab to close.
self.addEventListener('install', (event) => event.waitUntil(self.skipWaiting()));
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET' || request.mode === 'navigate') return;
  const key = manifestKeyFor(request.url, self.registration.scope);
  const asset = key === null ? undefined : manifest.assets[key];
  if (!asset || key === null) return;
  const clientId = event.clientId;
  const deps: GatherDeps = {
    readPieces,
    writePiece,
    deletePiece,
    verify: matchesHash,
    openBridge: (req, onReply) => openBridgeSession(clientId, req, onReply),
    fetchOrigin: (url, init) => fetch(url, init),
  };
  let done: () => void = () => undefined;
  event.waitUntil(new Promise<void>((resolve) => (done = resolve)));
  const response = serveAsset(request, asset, manifest.pieceSize, deps, (outcome) => {
    if (!outcome) return done();
    void (async () => {
      await tell(clientId, { pc: 'served', path: key, hash: asset.hash, bytes: outcome.bytes, ms: outcome.ms, status: outcome.status });
      const fetchedNow = outcome.bytes.peer > 0 || outcome.bytes.origin > 0;
      if (outcome.complete && fetchedNow && (await markComplete(asset.hash, asset.size, asset.pieces.length))) {
        await broadcast({ pc: 'stored', hash: asset.hash });
      }
    })().finally(done);
  });
  event.respondWith(response);
});
