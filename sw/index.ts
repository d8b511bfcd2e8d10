/**
 * The service worker. Its script inlines the manifest without its assets: those are in the asset
 * table file, fetched at install and pinned by the inlined root (asset-table.ts).
 * Answers GET requests for manifest assets from pages of its own build only
 * (sw/request-policy.ts); everything else (navigations, other origins, unknown paths, non-GET,
 * pages of another build or not yet known) is not touched, not even re-fetched. A page of the
 * build that was just navigated to is known to name its build soon: its first requests are held
 * for that (at most PAGE_BUILD_TIMEOUT_MS), then answered or fetched as the page made them.
 *
 * Composed mode (`WorkerConfig.composed`: this script imported first by the site's own worker,
 * builder/site-worker/): the site's fetch listeners run before ours (site-fetch-listeners.ts),
 * the site's own network fetches of manifest assets get our answer (site-fetch.ts), and the
 * site's code alone decides when a new worker takes over (our nudge to a waiting successor renews
 * its skipWaiting() only when the site's code called it).
 */

import { AssetKeys } from '../protocol/asset-table.ts';
import { BRIDGE_FILE, bridgeBuildFromUrl } from '../protocol/bridge-config.ts';
import { decodeBridgeToWorker, type PrefetchReply, type WorkerToBridge } from '../protocol/bridge-messages.ts';
import { CriticalSet } from '../protocol/critical-set.ts';
import { PAGE_BUILD_TIMEOUT_MS } from '../protocol/limits.ts';
import type { ManifestAsset, WorkerManifest } from '../protocol/manifest.ts';
import { manifestKeyFor } from '../protocol/manifest.ts';
import { PageSet } from '../protocol/page-set.ts';
import type { WorkerConfig } from '../protocol/worker-config.ts';
import { WorkerAssetTable } from './asset-table.ts';
import { broadcast, openBridgeSession } from './bridge-session.ts';
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
import { SourceSpeeds } from './hedge-policy.ts';
import { PieceLists } from './piece-lists.ts';
import { prefetchAssets } from './prefetch.ts';
import { realFetch } from './real-fetch.ts';
import { decide } from './request-policy.ts';
import { isSkipWaiting, nudgeSuccessor, requestSelfUpdate } from './self-update.ts';
import { serveAsset } from './serve-asset.ts';
import { type AssetRequest, afterServe, heldReports, seedPage, serveDeps, type WorkerRuntime } from './serve-deps.ts';
import { EventsInFlight, siteFetch } from './site-fetch.ts';
import { installSiteFetchDispatch } from './site-fetch-listeners.ts';
import { indexedDbAssetTables } from './store/asset-table-db.ts';
import { indexedDbPieceLists } from './store/piece-list-db.ts';
import { PieceStore } from './store/piece-store.ts';
import { matchesHash, sha256Hex } from './verify.ts';

declare const self: ServiceWorkerGlobalScope;
declare const __PEER_CONNECT_MANIFEST__: WorkerManifest;
declare const __PEER_CONNECT_WORKER_CONFIG__: WorkerConfig;
const manifest: WorkerManifest = __PEER_CONNECT_MANIFEST__;
const workerConfig: WorkerConfig = __PEER_CONNECT_WORKER_CONFIG__;
const composed = workerConfig.composed === true;
/** Where the manifest's keys start: the registered script's folder, or the site's root above a composed site worker. */
const siteRoot = new URL(workerConfig.siteRoot ?? './', self.location.href).href;
/** The assets themselves, out of this script (sw/asset-table.ts): fetched at install, pinned by the inlined root. */
const assetTable = new WorkerAssetTable({
  fetch: (url) => realFetch(url),
  sha256: sha256Hex,
  storage: indexedDbAssetTables(),
  siteRoot,
  root: manifest.assetsRoot,
  keys: new AssetKeys(manifest.assetKeys),
  ...(manifest.assetTable === undefined ? {} : { inline: new TextEncoder().encode(manifest.assetTable) }),
  pieceSize: manifest.pieceSize,
  onError: (error) => console.error(`peer-connect: ${error.message} (${error.code}); asset requests go to the network`),
});
// Read back at every start (a restarted worker), so requests find it in memory.
void assetTable.load().catch(() => undefined);
const deployManifest = async () => ({ assets: (await assetTable.load()).assets, pieceSize: manifest.pieceSize });
const store = new PieceStore({
  manifest: deployManifest,
  quotaBytes: workerConfig.storeQuotaBytes,
  onLost: (hashes) => broadcast({ pc: 'lost', hashes }),
});
const pieceLists = new PieceLists({
  fetch: (url) => realFetch(url),
  sha256: sha256Hex,
  storage: indexedDbPieceLists(),
  siteRoot,
  pieceSize: manifest.pieceSize,
});
const pages = new PageSet(manifest.pages);
/** Each page's LCP candidates, marked by the build: asked of the origin at once (protocol/critical-set.ts). */
const criticalMarks = new CriticalSet(manifest.critical);
/** Assets whose origin file this worker saw differ from the manifest: a deploy happened. */
const changed = new Set<string>();
const runtime: WorkerRuntime = {
  store,
  pieceLists,
  pieceSize: manifest.pieceSize,
  speeds: new SourceSpeeds(),
  onAssetChanged: (hash) => {
    changed.add(hash);
    requestSelfUpdate();
  },
};

// A worker never activates without its asset table: an install that cannot fetch and verify it
// fails, and the worker in charge stays (the browser tries the new one again at a later navigation).
self.addEventListener('install', (event) => event.waitUntil(assetTable.load()));
// A new deploy means a new manifest: take over at once rather than wait for every tab to close.
// Not in a site's worker: its code may keep a new worker waiting on purpose (an "update ready,
// reload?" prompt), and calls skipWaiting() itself when it wants to.
if (!composed) self.addEventListener('install', (event) => event.waitUntil(self.skipWaiting()));
const skipWaiting = self.skipWaiting.bind(self);
/** In a site's worker: whether the site's code asked to skip waiting (then our nudges may renew it). */
let siteSkipsWaiting = false;
if (composed) {
  self.skipWaiting = () => {
    siteSkipsWaiting = true;
    return skipWaiting();
  };
}
// Pieces, piece lists and asset tables this build no longer names are deleted (pieces announced lost) once it controls.
self.addEventListener('activate', (event) =>
  event.waitUntil(
    self.clients
      .claim()
      .then(() => assetTable.load())
      .then(async (table) => {
        await store.cleanUp();
        await pieceLists.cleanUp(Object.values(table.assets));
        await assetTable.cleanUp();
      })
      .catch(() => undefined),
  ),
);

self.addEventListener('message', (event) => {
  const source = event.source;
  // An older worker of this registration that is still handling events asks us to take over.
  // In a site's worker, only once the site's own code asked to: then renewing it is what it wants.
  if (source instanceof ServiceWorker && isSkipWaiting(event.data)) {
    if (!composed || siteSkipsWaiting) event.waitUntil(skipWaiting());
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
  if (hello.value.pc === 'prefetch') {
    const port = event.ports[0];
    if (port) event.waitUntil(prefetch(source.id, hello.value.keys, port));
    return;
  }
  if (hello.value.pc === 'seed') {
    // What the page loaded before this worker controlled it: into the swarm, from the HTTP cache (issue 13).
    // Without a verified asset table nothing is an asset, so nothing is seeded.
    const { urls } = hello.value;
    event.waitUntil(
      assetTable.load().then(
        (table) =>
          seedPage(
            runtime,
            (key) => table.get(key),
            siteRoot,
            urls,
            (h) => changed.has(h),
          ).then(() => undefined),
        () => undefined,
      ),
    );
    return;
  }
  onHello(source.id, hello.value.build, hello.value.p2p, hello.value.passThrough === true);
  if (hello.value.build !== manifest.build) requestSelfUpdate();
  source.postMessage({ pc: 'welcome', build: manifest.build } satisfies WorkerToBridge);
  // What was served to this window before its bridge listened.
  for (const report of heldReports.take(source.id)) source.postMessage(report);
});

/** A bridge's prefetch through peers (sw/prefetch.ts), answered on `port`; never the origin. */
async function prefetch(clientId: string, keys: string[], port: MessagePort): Promise<void> {
  const reply = (r: PrefetchReply): void => port.postMessage(r);
  // A worker this message restarted reads its table first; without a verified one no key is an
  // asset, and each is answered as not prefetched.
  const assets = await assetTable.load().then(
    (table) => table.assets,
    () => ({}),
  );
  return prefetchAssets(
    keys,
    {
      manifest: { assets, pieceSize: manifest.pieceSize },
      readPieces: (hash, indexes) => store.readPieces(hash, indexes),
      writePiece: (hash, index, data) => store.writePiece(hash, index, data),
      markComplete: async (hash, size, pieces) => {
        const complete = await store.markComplete(hash, size, pieces);
        if (complete) await broadcast({ pc: 'stored', hash });
        return complete;
      },
      verify: matchesHash,
      pieceHash: async (asset, index) => (await pieceLists.hashesFor(asset)).hashAt(index),
      // Only while the asking page is open (a navigation ends its prefetch: the next page has its
      // own), and never waiting for a hello (it said one to send this).
      openBridge: async (request, onReply) =>
        (await self.clients.get(clientId)) ? openBridgeSession(clientId, request, onReply, true) : null,
      isChanged: (hash) => changed.has(hash),
    },
    reply,
  ).finally(() => port.close());
}

/** What every fetch event tells us, whoever answers it: a page of this build arriving, its bridge script. */
function observe(event: FetchEvent): void {
  nudgeSuccessor();
  const request = event.request;
  const inRoot = pathInRoot(request.url);
  if (request.method !== 'GET' || inRoot === null) return;
  if (request.mode === 'navigate') {
    // Not answered (a worker answering navigations loses the browser's HTTP-auth prompt), but a
    // page of this build will name its build: hold its first requests until it does.
    if (pages.hasUrl(inRoot)) expectBuild(event.resultingClientId);
    return;
  }
  if (inRoot === BRIDGE_FILE) onBridgeScript(event.clientId, bridgeBuildFromUrl(request.url));
}

/**
 * Our answer to `request`, made for the page of `event` (its own request, or one a site
 * handler made from it), or null to leave it to the network.
 */
function assetResponse(event: FetchEvent, request: Request): Promise<Response> | null {
  if (request.method !== 'GET' || request.mode === 'navigate' || pathInRoot(request.url) === null) return null;
  const key = manifestKeyFor(request.url, siteRoot);
  if (key === null) return null;
  const found = assetTable.lookup(key);
  if (found.kind === 'asset') return assetResponseFor(event, request, key, found.asset);
  if (found.kind !== 'reading') return null;
  // Only at a worker's start, while its stored table is read back: then decided as ever, or
  // fetched as the page made it (no table there: it is being fetched again).
  return found.asset.then((asset) => (asset && assetResponseFor(event, request, key, asset)) || realFetch(request));
}

/** assetResponse once `key` is known to be `asset` of this build's verified table. */
function assetResponseFor(event: FetchEvent, request: Request, key: string, asset: ManifestAsset): Promise<Response> | null {
  // The site owner turned P2P off: this page's requests go to the network as if we were not here.
  if (passesThrough(event.clientId)) return null;
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
  const served: AssetRequest = {
    clientId: event.clientId,
    key,
    asset,
    destination: request.destination,
    marked: isMarkedCritical(request, key),
  };
  if (verdict.serve) return answer(event, request, served);
  if (verdict.reason !== 'unknown-page') return null;
  if (!isNamingBuild(event.clientId)) {
    void askHello(event.clientId);
    return null;
  }
  // A page of this build, navigated to, that has not named its build yet: decide once it has.
  return whenBuildKnown(event.clientId, PAGE_BUILD_TIMEOUT_MS).then((build) =>
    judge(build).serve ? answer(event, request, served) : realFetch(request),
  );
}

const ourFetch = (event: FetchEvent): void => {
  const response = assetResponse(event, event.request);
  if (response) event.respondWith(response);
};

if (composed) {
  const inFlight = new EventsInFlight<FetchEvent>();
  installSiteFetchDispatch<FetchEvent>(self, {
    observe: (event) => {
      // Until its response is done (respondWith settles it), or until the dispatch ends.
      let settle: () => void = () => undefined;
      let responded = false;
      inFlight.track(event, new Promise<void>((resolve) => (settle = resolve)));
      const respondWith = event.respondWith;
      Object.defineProperty(event, 'respondWith', {
        configurable: true,
        writable: true,
        value: (response: Promise<Response> | Response) => {
          responded = true;
          respondWith.call(event, response);
          Promise.resolve(response).then(settle, settle);
        },
      });
      queueMicrotask(() => {
        if (!responded) settle();
      });
      observe(event);
    },
    ours: ourFetch,
    report: (error) => reportError(error),
  });
  self.fetch = siteFetch(inFlight, { realFetch, answer: assetResponse });
} else {
  self.addEventListener('fetch', (event) => {
    observe(event);
    ourFetch(event);
  });
}

function answer(event: FetchEvent, request: Request, served: AssetRequest): Promise<Response> {
  const { asset } = served;
  // Not evicted while this response reads and stores it.
  const release = store.hold(asset.hash);
  // The event stays open until the response is done with storage and messages.
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  try {
    event.waitUntil(finished);
  } catch {
    // A site handler fetching after its event ended: nothing keeps the worker up for the storing.
  }
  return serveAsset(request, asset, manifest.pieceSize, serveDeps(runtime, served), (outcome) => {
    void afterServe(runtime, served, outcome).finally(() => {
      release();
      done();
    });
  });
}

/**
 * Whether the build marked `key` critical for the page that asked (its LCP candidate). The page is
 * the request's referrer: a document's own image requests carry its URL (the default referrer
 * policy keeps a same-origin path whole). A page that sends no referrer gets no marks: its images
 * wait for peers as any other, which is slower, never wrong.
 */
function isMarkedCritical(request: Request, key: string): boolean {
  if (criticalMarks.size === 0 || !request.referrer || request.referrer === 'about:client') return false;
  const page = pathInRoot(request.referrer);
  return page !== null && criticalMarks.has(page, key);
}

/** The decoded path of `url` under the site's root, or null when it is outside it (or on another origin). */
function pathInRoot(url: string): string | null {
  const parsed = new URL(url);
  if (!(parsed.origin + parsed.pathname).startsWith(siteRoot)) return null;
  return decodeURIComponentSafe(parsed.pathname.slice(new URL(siteRoot).pathname.length));
}

function decodeURIComponentSafe(path: string): string | null {
  try {
    return decodeURIComponent(path);
  } catch {
    return null;
  }
}
