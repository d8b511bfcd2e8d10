/**
 * The page bridge: registers the worker, joins the swarm, holds the peer connections, fetches
 * pieces for the worker and uploads stored pieces to others. Exposed as `window.peerConnect`.
 */
import { decodeWorkerToBridge, type BridgeToWorker } from '../protocol/bridge-messages.ts';
import { bridgeBuildFromUrl, type BridgeConfig } from '../protocol/bridge-config.ts';
import { DEFAULT_SIGNAL_PATH } from '../protocol/routes.ts';
import { WELCOME_TIMEOUT_MS } from '../protocol/limits.ts';
import { domReady, reloadOnce, registerWorker, swapInMarkedElements } from './first-visit.ts';
import { LocalHave } from './local-have.ts';
import { completeAssets, readPiece } from './local-pieces.ts';
import { newId, PeerPool } from './peer-pool.ts';
import { servePieceRequest } from './piece-requests.ts';
import { SignalClient } from './signal-client.ts';
import { SERVED_EVENT, StatsBoard, type PeerConnectStats } from './stats.ts';
import { shouldUpload } from './upload-policy.ts';
import type { TorrentClientStats } from './torrent/api.ts';
import { TorrentLoader } from './torrent-loader.ts';

declare const __PEER_CONNECT_CONFIG__: BridgeConfig;
const config: BridgeConfig = __PEER_CONNECT_CONFIG__;

export interface PeerConnectApi {
  stats(): PeerConnectStats;
  /** The WebTorrent client's counters; null until this page used or seeded a torrent. */
  torrentStats(): TorrentClientStats | null;
  /** Resolves when the worker controls the page (or cannot) and first-visit elements are in place. */
  ready: Promise<void>;
}

declare global {
  interface Window {
    peerConnect?: PeerConnectApi;
  }
}

function start(): void {
  if (window.peerConnect) return; // the script was included twice
  const script = document.currentScript as HTMLScriptElement | null;
  const base = new URL(script?.src ?? location.href);
  const peerId = newId();
  // The page's build is what its HTML put in our script's URL (the script file could come from a
  // cache of another deploy); the worker serves only pages of its own build.
  const pageBuild = bridgeBuildFromUrl(script?.src ?? '') ?? config.build;
  const swarm = config.swarm ?? location.host;
  const uploading = shouldUpload(config.upload);
  const stats = new StatsBoard({
    peerId, swarm, signaling: 'off', peers: 0, connectedPeers: [], bannedPeers: [],
    bytesFromPeers: 0, bytesFromOrigin: 0, bytesFromCache: 0, bytesUploaded: 0, failures: 0, badPieces: 0, uploading,
    pageBuild, workerBuild: null,
  });
  const localHave = new LocalHave({ uploading, signal: () => signal, links: () => pool.links.values() });

  const pool = new PeerPool({
    iceServers: config.iceServers,
    parkOffers: uploading,
    localHave: () => localHave.list(),
    onChange: () => {
      stats.set('peers', pool.links.size);
      stats.set('connectedPeers', [...pool.links.keys()]);
      stats.set('bannedPeers', [...pool.banned]);
    },
    hooks: {
      readPiece: (hash, index) => (uploading ? readPiece(hash, index) : Promise.resolve(null)),
      onUploaded: (n) => stats.add('bytesUploaded', n),
      onHave: () => undefined,
    },
  });

  let signal: SignalClient | null = null;
  if ('RTCPeerConnection' in window && 'WebSocket' in window) {
    const wsUrl = config.signal ?? `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${DEFAULT_SIGNAL_PATH}`;
    signal = new SignalClient({
      url: wsUrl,
      swarm,
      peerId,
      newPeerId: () => {
        const id = newId();
        stats.set('peerId', id);
        return id;
      },
      joinState: async () => {
        localHave.addListed(await completeAssets());
        // Join at once, offers after: making them waits for ICE gathering, and every request of
        // a new page waits for the join.
        return { have: localHave.list(), offers: [] };
      },
      onMessage: (m) => {
        pool.onSignal(m);
        if (m.type === 'joined') void pool.offersForJoin().then((offers) => offers.length > 0 && signal?.send({ type: 'offers', offers }));
      },
      onState: (s) => stats.set('signaling', s),
    });
    pool.signal = signal;
  }

  const torrents = new TorrentLoader({ config, base, uploading, onUploaded: (n) => stats.add('bytesUploaded', n) });

  const ctx = {
    pool,
    signal,
    onFailure: () => stats.add('failures', 1),
    onBadPiece: (badPeer: string) => {
      stats.add('badPieces', 1);
      pool.ban(badPeer);
    },
  };

  // Set before registering: the worker's messages wait in the queue until a handler exists.
  navigator.serviceWorker?.addEventListener('message', (event: MessageEvent) => {
    const decoded = decodeWorkerToBridge(event.data);
    if (!decoded.ok) return;
    const m = decoded.value;
    if (m.pc === 'hello?') {
      sayHello();
    } else if (m.pc === 'welcome') {
      stats.set('workerBuild', m.build);
      welcomed();
    } else if (m.pc === 'fetch') {
      const port = event.ports[0];
      const torrent = torrents.torrentFor(m.hash);
      if (port && torrent) torrents.serve(torrent, m.size, m.pieces, port);
      else if (port) void servePieceRequest(ctx, m.hash, m.pieces, port);
    } else if (m.pc === 'stored') {
      localHave.stored(m.hash);
    } else if (m.pc === 'lost') {
      localHave.lost(m.hashes);
    } else {
      stats.add('bytesFromPeers', m.bytes.peer);
      stats.add('bytesFromOrigin', m.bytes.origin);
      stats.add('bytesFromCache', m.bytes.cache);
      window.dispatchEvent(new CustomEvent(SERVED_EVENT, { detail: m }));
    }
  });
  navigator.serviceWorker?.startMessages();
  // Tell the worker this window listens and which build its page is, now and whenever a new
  // worker takes control.
  let welcomed: () => void = () => undefined;
  let welcome = Promise.resolve();
  const sayHello = (): void => {
    const controller = navigator.serviceWorker?.controller;
    if (!controller) return;
    welcome = new Promise((resolve) => (welcomed = resolve));
    controller.postMessage({ pc: 'hello', build: pageBuild } satisfies BridgeToWorker);
  };
  sayHello();
  navigator.serviceWorker?.addEventListener('controllerchange', sayHello);

  const wasControlled = Boolean(navigator.serviceWorker?.controller);
  const ready = (async () => {
    const status = await registerWorker(new URL(config.workerFile, base));
    if (config.firstVisit === 'reload' && reloadOnce(wasControlled, status)) return new Promise<void>(() => undefined);
    // The elements put back next are fetched through the worker: it must know this page first,
    // or they go to the origin (it serves only pages whose build it knows).
    if (status === 'controlled') await Promise.race([welcome, sleep(WELCOME_TIMEOUT_MS)]);
    await domReady();
    swapInMarkedElements();
  })();
  // On a page the worker already controls, the media's torrents start with the document, not
  // with the worker's registration and the swap: a viewer's play() then finds them ready.
  if (wasControlled) void domReady().then(() => torrents.prepareFor(document));
  // After the page's own work: re-adding a torrent reads and hashes its stored pieces.
  void ready.then(() => torrents.seedStored()).catch(() => undefined);
  window.peerConnect = { stats: () => stats.snapshot(), torrentStats: () => torrents.stats(), ready };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

start();
