/**
 * The service worker. Answers GET requests for manifest assets from pages of its own build only
 * (sw/request-policy.ts); everything else (navigations, other origins, unknown paths, non-GET,
 * pages of another build or not yet known) is not touched, not even re-fetched. A page of the
 * build that was just navigated to is known to name its build soon: its first requests are held
 * for that (at most PAGE_BUILD_TIMEOUT_MS), then answered or fetched as the page made them.
 */

import { BRIDGE_FILE, bridgeBuildFromUrl } from '../protocol/bridge-config.ts';
import { decodeBridgeToWorker, type WorkerToBridge } from '../protocol/bridge-messages.ts';
import { PAGE_BUILD_TIMEOUT_MS } from '../protocol/limits.ts';
import type { Manifest } from '../protocol/manifest.ts';
import { manifestKeyFor } from '../protocol/manifest.ts';
import { PageSet } from '../protocol/page-set.ts';
import type { WorkerConfig } from '../protocol/worker-config.ts';
import { broadcast } from './bridge-session.ts';
import {
  askHello,
  buildOf,
  expectBuild,
  isNamingBuild,
  onBridgeScript,
  onHello,
  passesThrough,
  whenBuildKnown,
} from './client-registry.ts';
import { decide } from './request-policy.ts';
import { isSkipWaiting, nudgeSuccessor, requestSelfUpdate } from './self-update.ts';
import { serveAsset } from './serve-asset.ts';
import { type AssetRequest, afterServe, serveDeps, type WorkerRuntime } from './serve-deps.ts';
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
const pages = new PageSet(manifest.pages);
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
  if (hello.value.pc === 'page') {
    // The page script names the build before the bridge exists: hold nothing, ask nothing yet.
    onBridgeScript(source.id, hello.value.build);
    if (hello.value.build !== manifest.build) requestSelfUpdate();
    return;
  }
  onHello(source.id, hello.value.build, hello.value.p2p, hello.value.passThrough === true);
  if (hello.value.build !== manifest.build) requestSelfUpdate();
  source.postMessage({ pc: 'welcome', build: manifest.build } satisfies WorkerToBridge);
});

self.addEventListener('fetch', (event) => {
  nudgeSuccessor();
  const request = event.request;
  const url = new URL(request.url);
  const scope = self.registration.scope;
  if (request.method !== 'GET' || !(url.origin + url.pathname).startsWith(scope)) return;
  const inScope = decodeURIComponentSafe(url.pathname.slice(new URL(scope).pathname.length));
  if (request.mode === 'navigate') {
    // Not answered (a worker answering navigations loses the browser's HTTP-auth prompt), but a
    // page of this build will name its build: hold its first requests until it does.
    if (inScope !== null && pages.hasUrl(inScope)) expectBuild(event.resultingClientId);
    return;
  }
  if (inScope === BRIDGE_FILE) {
    onBridgeScript(event.clientId, bridgeBuildFromUrl(request.url));
    return;
  }
  const key = manifestKeyFor(request.url, scope);
  const asset = key === null ? undefined : manifest.assets[key];
  if (!asset || key === null) return;
  // The site owner turned P2P off: this page's requests go to the network as if we were not here.
  if (passesThrough(event.clientId)) return;
  const judge = (pageBuild: string | null | undefined) =>
    decide({
      method: request.method,
      mode: request.mode,
      cache: request.cache,
      headers: request.headers,
      isAsset: true,
      assetChanged: changed.has(asset.hash),
      pageBuild,
      workerBuild: manifest.build,
    });
  const verdict = judge(buildOf(event.clientId));
  const served: AssetRequest = { clientId: event.clientId, key, asset, destination: request.destination };
  if (verdict.serve) return respond(event, served);
  if (verdict.reason !== 'unknown-page') return;
  if (!isNamingBuild(event.clientId)) {
    void askHello(event.clientId);
    return;
  }
  // A page of this build, navigated to, that has not named its build yet: decide once it has.
  event.respondWith(
    whenBuildKnown(event.clientId, PAGE_BUILD_TIMEOUT_MS).then((build) => (judge(build).serve ? answer(event, served) : fetch(request))),
  );
});

/** Answers `event` from the worker (stored pieces, peers, the origin): see serve-asset.ts. */
function respond(event: FetchEvent, served: AssetRequest): void {
  event.respondWith(answer(event, served));
}

function answer(event: FetchEvent, served: AssetRequest): Promise<Response> {
  const { asset } = served;
  // Not evicted while this response reads and stores it.
  const release = store.hold(asset.hash);
  // The event stays open until the response is done with storage and messages.
  let done: () => void = () => undefined;
  event.waitUntil(new Promise<void>((resolve) => (done = resolve)));
  return serveAsset(event.request, asset, manifest.pieceSize, serveDeps(runtime, served), (outcome) => {
    void afterServe(runtime, served, outcome).finally(() => {
      release();
      done();
    });
  });
}

function decodeURIComponentSafe(path: string): string | null {
  try {
    return decodeURIComponent(path);
  } catch {
    return null;
  }
}
