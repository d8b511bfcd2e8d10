/**
 * The service worker. Answers GET requests for manifest assets from pages of its own build only
 * (sw/request-policy.ts); everything else (navigations, other origins, unknown paths, non-GET,
 * pages of another build or not yet known) is not touched, not even re-fetched.
 */
import type { Manifest } from '../protocol/manifest.ts';
import { manifestKeyFor } from '../protocol/manifest.ts';
import { BRIDGE_FILE, bridgeBuildFromUrl } from '../protocol/bridge-config.ts';
import { decodeBridgeToWorker, type WorkerToBridge } from '../protocol/bridge-messages.ts';
import { askHello, buildOf, onBridgeScript, onHello } from './client-registry.ts';
import type { WorkerConfig } from '../protocol/worker-config.ts';
import { broadcast } from './bridge-session.ts';
import { decide } from './request-policy.ts';
import { isSkipWaiting, nudgeSuccessor, requestSelfUpdate } from './self-update.ts';
import { serveAsset } from './serve-asset.ts';
import { afterServe, serveDeps, type AssetRequest, type WorkerRuntime } from './serve-deps.ts';
import { PieceStore } from './store/piece-store.ts';

declare const self: ServiceWorkerGlobalScope;
declare const __PEER_CONNECT_MANIFEST__: Manifest;
declare const __PEER_CONNECT_WORKER_CONFIG__: WorkerConfig;
const manifest: Manifest = __PEER_CONNECT_MANIFEST__;
const store = new PieceStore({
  manifest,
  quotaBytes: __PEER_CONNECT_WORKER_CONFIG__.storeQuotaBytes,
  onLost: (hashes) => broadcast({ pc: 'lost', hashes }),
});
/** Assets whose origin file this worker saw differ from the manifest: a deploy happened. */
const changed = new Set<string>();
const runtime: WorkerRuntime = {
  store,
  pieceSize: manifest.pieceSize,
  onAssetChanged: (hash) => {
    changed.add(hash);
    requestSelfUpdate();
  },
};

// A new deploy means a new manifest: take over at once rather than wait for every tab to close.
self.addEventListener('install', (event) => event.waitUntil(self.skipWaiting()));
// Pieces of assets this build no longer lists are deleted (and announced lost) once it controls.
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim().then(() => store.cleanUp())));

self.addEventListener('message', (event) => {
  const source = event.source;
  // An older worker of this registration that is still handling events asks us to take over.
  if (source instanceof ServiceWorker && isSkipWaiting(event.data)) {
    event.waitUntil(self.skipWaiting());
    return;
  }
  nudgeSuccessor();
  const hello = decodeBridgeToWorker(event.data);
  if (!(source instanceof WindowClient) || !hello.ok) return;
  onHello(source.id, hello.value.build);
  if (hello.value.build !== manifest.build) requestSelfUpdate();
  source.postMessage({ pc: 'welcome', build: manifest.build } satisfies WorkerToBridge);
});

self.addEventListener('fetch', (event) => {
  nudgeSuccessor();
  const request = event.request;
  const url = new URL(request.url);
  const scope = self.registration.scope;
  if (request.method === 'GET' && url.origin + url.pathname === scope + BRIDGE_FILE) {
    onBridgeScript(event.clientId, bridgeBuildFromUrl(request.url));
    return;
  }
  const key = request.method === 'GET' ? manifestKeyFor(request.url, scope) : null;
  const asset = key === null ? undefined : manifest.assets[key];
  const verdict = decide({
    method: request.method,
    mode: request.mode,
    cache: request.cache,
    headers: request.headers,
    isAsset: asset !== undefined,
    assetChanged: asset !== undefined && changed.has(asset.hash),
    pageBuild: buildOf(event.clientId),
    workerBuild: manifest.build,
  });
  if (!verdict.serve) {
    if (verdict.reason === 'unknown-page') void askHello(event.clientId);
    return;
  }
  if (!asset || key === null) return;
  const served: AssetRequest = { clientId: event.clientId, key, asset };
  // Not evicted while this response reads and stores it.
  const release = store.hold(asset.hash);
  // The event stays open until the response is done with storage and messages.
  let done: () => void = () => undefined;
  event.waitUntil(new Promise<void>((resolve) => (done = resolve)));
  const response = serveAsset(request, asset, manifest.pieceSize, serveDeps(runtime, served), (outcome) => {
    void afterServe(runtime, served, outcome).finally(() => {
      release();
      done();
    });
  });
  event.respondWith(response);
});
