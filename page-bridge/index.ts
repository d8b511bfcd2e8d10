/**
 * The page bridge: registers the worker, joins the swarm, holds the peer connections, fetches
 * pieces for the worker and uploads stored pieces to others. Exposed as `window.peerConnect`.
 *
 * P2P (p2p.ts: signaling, WebRTC, WebTorrent) starts at once with `--start auto`, unless the
 * visitor opted out in this origin (consent.ts); with `--start manual` only on
 * `peerConnect.start()`. Until then, and after `peerConnect.stop()`, the bridge tells the worker
 * it does no P2P, so every request goes to the origin at once; the worker, first visits and the
 * counters work the same.
 */
import { type BridgeConfig, bridgeBuildFromUrl, decodeStartMode, NO_UPLOAD_CAP } from '../protocol/bridge-config.ts';
import type { BridgeToWorker } from '../protocol/bridge-messages.ts';
import { PREFETCH_BUDGET_BYTES, REPORT_INTERVAL_MS } from '../protocol/limits.ts';
import type { Result } from '../protocol/result.ts';
import type { P2pMode } from '../protocol/usage-report.ts';
import {
  type ConsentCode,
  OPT_OUT_KEY,
  readOptOut,
  type StartDecision,
  type StorageGetter,
  startDecision,
  writeOptOut,
} from './consent.ts';
import { domReady, readyForFirstVisit } from './first-visit.ts';
import { LocalHave } from './local-have.ts';
import { completeAssets } from './local-pieces.ts';
import { type P2p, startP2p } from './p2p.ts';
import { PrefetchLedger } from './prefetch/ledger.ts';
import type { ConnectionLike } from './prefetch/policy.ts';
import { prefetchWhenIdle } from './prefetch/run.ts';
import { SeedList } from './seed-request.ts';
import { LOADED_EVENT, type P2pState, type PeerConnectStats, StatsBoard } from './stats.ts';
import { UploadCap } from './steering/upload-cap.ts';
import { UsageReporter } from './steering/usage-reporter.ts';
import type { TorrentClientStats } from './torrent/api.ts';
import { shouldUpload } from './upload-policy.ts';
import { WorkerHello } from './worker-hello.ts';
import { listenToWorker } from './worker-messages.ts';
import { WorkerPort } from './worker-port.ts';

declare const __PEER_CONNECT_CONFIG__: BridgeConfig;
const config: BridgeConfig = __PEER_CONNECT_CONFIG__;

export interface PeerConnectApi {
  stats(): PeerConnectStats;
  /** The WebTorrent client's counters; null until this page used or seeded a torrent. */
  torrentStats(): TorrentClientStats | null;
  /** Resolves when the worker controls the page (or cannot) and first-visit elements are in place. */
  ready: Promise<void>;
  /**
   * Starts P2P in this page (a no-op when it runs) and clears the visitor's opt-out. P2P starts
   * even when the opt-out could not be cleared; the failure says so (later pages stay opted out).
   */
  start(): Result<void, ConsentCode>;
  /**
   * Stops P2P in this page (links, signaling, torrents), and in the origin's other open tabs, and
   * records the opt-out so no later page of the origin starts it by itself. P2P stops even when
   * the opt-out could not be stored; the failure says so.
   */
  stop(): Result<void, ConsentCode>;
}

declare global {
  interface Window {
    peerConnect?: PeerConnectApi;
  }
}

const STATE_OF: Record<StartDecision, P2pState> = { start: 'on', wait: 'waiting', 'opted-out': 'opted-out' };

/** `window.localStorage`, whose getter throws where the browser blocks storage. */
const storage: StorageGetter = () => window.localStorage;

function boot(): void {
  if (window.peerConnect) return; // the script was included twice
  const script = document.currentScript as HTMLScriptElement | null;
  const base = new URL(script?.src ?? location.href);
  // The page's build is what its HTML put in our script's URL (the script file could come from a
  // cache of another deploy); the worker serves only pages of its own build.
  const pageBuild = bridgeBuildFromUrl(script?.src ?? '') ?? config.build;
  const uploading = shouldUpload(config.upload);
  const swarm = config.swarm ?? location.host;
  const startMode = decodeStartMode((config as { start?: unknown }).start);
  if (!startMode.ok) console.warn(`[peer-connect] ${startMode.error}: P2P waits for peerConnect.start()`);
  const optOut = readOptOut(storage);
  if (!optOut.ok) console.warn(`[peer-connect] ${optOut.error}: P2P waits for peerConnect.start()`);
  const decision = startDecision(startMode, optOut);

  let p2p: P2p | null = null;
  const stats = new StatsBoard({ peerId: '', swarm, uploading, pageBuild, p2p: STATE_OF[decision] });
  // What this page used and holds outlives a stop and a start; announcements reach the running swarm only.
  const localHave = new LocalHave({
    uploading,
    signal: () => p2p?.swarm.signal ?? null,
    links: () => p2p?.swarm.pool.links.values() ?? [],
  });
  // The site owner's steering: the swarm's mode (signaling says it) and the upload cap (the build's).
  let siteMode: P2pMode = 'on';
  const cap = new UploadCap(config.uploadCap ?? NO_UPLOAD_CAP, storage);
  const mayUpload = (bytes: number): boolean => siteMode === 'on' && cap.allows(bytes);
  const onMode = (mode: P2pMode): void => {
    if (mode === siteMode) return;
    siteMode = mode;
    stats.set('siteMode', mode);
    if (mode === 'off') p2p?.closeLinks();
    p2p?.setUploading(mode === 'on');
    hello.say();
  };
  const hello = new WorkerHello(
    pageBuild,
    () => p2p !== null && siteMode !== 'off',
    () => siteMode === 'off',
  );
  const wasControlled = Boolean(navigator.serviceWorker?.controller);
  /** The page's seed candidates (seed-request.ts), from the first welcome on which seeding may run. */
  let seedList: SeedList | null = null;
  /** Candidates that ended while seeding could not run (bounded: SeedList hands each URL on once, MAX_SEED_URLS in all). */
  const seedDeferred: string[] = [];
  const seedMayRun = (): boolean => uploading && p2p !== null && siteMode !== 'off';
  const sendSeed = (urls: string[]): void => {
    if (urls.length > 0) navigator.serviceWorker?.controller?.postMessage({ pc: 'seed', urls } satisfies BridgeToWorker);
  };
  const seedFrom = (entries: readonly PerformanceEntry[]): void => {
    const urls = seedList?.take(entries as readonly PerformanceResourceTiming[]) ?? [];
    if (seedMayRun()) sendSeed(urls);
    else seedDeferred.push(...urls);
  };
  /** Set while the store must be re-read at the next welcome (see `welcome`). */
  let syncOnWelcome = !wasControlled;
  // What this page view reports to the signaling server (the site owner's dashboard).
  const reporter = new UsageReporter(
    () => {
      const v = stats.values;
      return {
        // Prefetched bytes came from peers too: the page they are for is then served from the store (cache).
        peer: v.bytesFromPeers + v.bytesPrefetched,
        origin: v.bytesFromOrigin,
        cache: v.bytesFromCache,
        webSeed: p2p?.torrentStats()?.bytesFromWebSeed ?? 0,
        uploaded: v.bytesUploaded,
        failures: v.failures,
        badPieces: v.badPieces,
        bans: v.bans,
      };
    },
    (report) => p2p?.swarm.signal?.send(report) ?? false,
  );
  setInterval(() => reporter.flush(), REPORT_INTERVAL_MS);
  // What the tab's previous page prefetched and this one did not use (prefetch/ledger.ts).
  const ledger = new PrefetchLedger(() => window.sessionStorage);
  const ledgerToStats = (): void => {
    stats.set('bytesPrefetchedUsed', ledger.usedBytes);
    stats.set('bytesPrefetchedUnused', ledger.unusedBytes);
  };
  window.addEventListener('pagehide', () => {
    ledger.settle();
    ledgerToStats();
    reporter.flush();
  });

  const begin = (): void => {
    if (p2p) return;
    p2p = startP2p({ config, base, swarm, uploading, stats, localHave, mayUpload, onUploaded: (n) => cap.charge(n), onMode });
    stats.set('p2p', 'on');
    const session = p2p;
    // On a page the worker already controls, the media's torrents start with the document, not
    // with the worker's registration and the swap: a viewer's play() then finds them ready.
    if (wasControlled) void domReady().then(() => p2p === session && session.prepareFor(document));
    // After the page's own work: re-adding a torrent reads and hashes its stored pieces.
    void ready.then(() => (p2p === session ? session.seedStored() : 0)).catch(() => undefined);
  };
  const end = (state: P2pState): void => {
    const session = p2p;
    p2p = null;
    session?.stop();
    stats.set('p2p', state);
  };

  // Before registering: the worker's messages wait in the queue until a handler exists.
  listenToWorker(navigator.serviceWorker, {
    helloAsked: () => hello.say(),
    welcome: (build) => {
      stats.set('workerBuild', build);
      hello.onWelcome();
      // A worker that has just taken control of this page (a first visit's, or a new deploy's):
      // what it stored before reached neither this page's join listing nor its `stored`
      // broadcasts (those go to controlled windows only). Once per new controller: from then on
      // every `stored` reaches us.
      if (syncOnWelcome) {
        syncOnWelcome = false;
        void completeAssets().then((hashes) => localHave.sync(hashes));
      }
      // When it uploads: what the page loaded before the worker controlled it, into the swarm
      // (issue 13): the loads listed now, then each that ends later (one in flight now). What
      // ends while P2P is stopped waits for the welcome that follows its restart.
      if (!seedMayRun()) return;
      if (seedList) return sendSeed(seedDeferred.splice(0));
      seedList = new SeedList(location.origin);
      seedFrom(performance.getEntriesByType('resource'));
      // Same task as the listing: no entry can end between the two.
      new PerformanceObserver((list) => seedFrom(list.getEntries())).observe({ type: 'resource' });
    },
    // Not a use by this page: the worker may ask this window for another tab's asset.
    fetch: (m, port) => {
      if (p2p && siteMode !== 'off') return p2p.serve(m, port);
      // Asked before it heard our last hello: the origin, at once.
      const reply = new WorkerPort(port);
      reply.noPeers('p2p off');
      reply.close();
    },
    stored: (hash) => {
      localHave.stored(hash);
      p2p?.stored(hash);
    },
    pieceStored: (hash, index) => p2p?.pieceStored(hash, index),
    fetching: (hash) => {
      if (siteMode !== 'off') p2p?.fetchingFromOrigin(hash);
    },
    lost: (hashes) => localHave.lost(hashes),
    served: (report) => {
      localHave.used(report.hash);
      if (report.bytes.cache > 0 && ledger.use(report.hash)) ledgerToStats();
      stats.served(report);
      reporter.served(report.hash, report.path, report.bytes.peer);
    },
  });
  const ready = readyForFirstVisit({
    worker: config.worker,
    root: base,
    welcomedWithin: (ms) => hello.welcomedWithin(ms),
    onStatus: (status) => stats.set('worker', status),
  });
  if (decision === 'start') begin();
  hello.say();
  // After the page's own loads: the linked pages' assets, from peers only, into the worker's store.
  void prefetchWhenIdle({
    ready,
    base,
    budgetBytes: config.prefetchBudgetBytes ?? PREFETCH_BUDGET_BYTES,
    conditions: () => ({
      connection: (navigator as Navigator & { connection?: ConnectionLike }).connection,
      p2p: p2p !== null,
      siteMode,
      controlled: Boolean(navigator.serviceWorker?.controller),
      // The page script's hold writes `<plaintext hidden>` (builder/page-script.ts) and reloads.
      held: document.querySelector('plaintext[hidden]') !== null,
    }),
    held: (hash) => localHave.holds(hash),
    signalOpen: async (ms) => (await p2p?.swarm.signal?.whenOpen(ms)) ?? false,
    settleLedger: () => {
      ledger.settle();
      ledgerToStats();
    },
    record: (hash, bytes) => ledger.record(hash, bytes),
    stats,
  }).catch(() => undefined);
  navigator.serviceWorker?.addEventListener('controllerchange', () => {
    syncOnWelcome = true;
    hello.say();
  });
  // stop() in another tab of the origin: this one stops too (it does not start on the opposite).
  window.addEventListener('storage', (event) => {
    if (event.key !== OPT_OUT_KEY || event.newValue === null) return;
    const running = p2p !== null;
    end('opted-out');
    if (running) hello.say();
  });

  window.peerConnect = {
    stats: () => stats.snapshot(),
    torrentStats: () => p2p?.torrentStats() ?? null,
    ready,
    start: () => {
      const cleared = writeOptOut(storage, false);
      if (!p2p) {
        begin();
        hello.say();
      }
      return cleared;
    },
    stop: () => {
      const stored = writeOptOut(storage, true);
      if (p2p) {
        end('opted-out');
        hello.say();
      } else stats.set('p2p', 'opted-out');
      return stored;
    },
  };
  window.dispatchEvent(new Event(LOADED_EVENT));
}

boot();
