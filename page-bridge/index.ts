/**
 * The page bridge: registers the worker, joins the swarm, holds the peer connections, fetches
 * pieces for the worker and uploads stored pieces to others. Exposed as `window.peerConnect`.
 */
import { type BridgeConfig, bridgeBuildFromUrl } from '../protocol/bridge-config.ts';
import { domReady, readyForFirstVisit } from './first-visit.ts';
import { newId } from './peer-pool.ts';
import { type RequestContext, servePieceRequest } from './piece-requests.ts';
import { type PeerConnectStats, StatsBoard } from './stats.ts';
import { joinSwarm } from './swarm.ts';
import type { TorrentClientStats } from './torrent/api.ts';
import { TorrentLoader } from './torrent-loader.ts';
import { shouldUpload } from './upload-policy.ts';
import { WorkerHello } from './worker-hello.ts';
import { listenToWorker } from './worker-messages.ts';

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
  // The page's build is what its HTML put in our script's URL (the script file could come from a
  // cache of another deploy); the worker serves only pages of its own build.
  const pageBuild = bridgeBuildFromUrl(script?.src ?? '') ?? config.build;
  const uploading = shouldUpload(config.upload);
  const peerId = newId();
  const swarmId = config.swarm ?? location.host;
  const stats = new StatsBoard({ peerId, swarm: swarmId, uploading, pageBuild });
  const { pool, signal, localHave } = joinSwarm({ config, peerId, swarm: swarmId, uploading, stats });
  const torrents = new TorrentLoader({ config, base, uploading, onUploaded: (n) => stats.add('bytesUploaded', n) });
  const requests: RequestContext = {
    pool,
    signal,
    onFailure: () => stats.add('failures', 1),
    onBadPiece: (badPeer) => {
      stats.add('badPieces', 1);
      pool.ban(badPeer);
    },
  };
  const hello = new WorkerHello(pageBuild);

  // Before registering: the worker's messages wait in the queue until a handler exists.
  listenToWorker(navigator.serviceWorker, {
    helloAsked: () => hello.say(),
    welcome: (build) => {
      stats.set('workerBuild', build);
      hello.onWelcome();
    },
    fetch: (m, port) => {
      const torrent = torrents.torrentFor(m.hash);
      if (torrent) torrents.serve(torrent, m.size, m.pieces, port);
      else void servePieceRequest(requests, m.hash, m.pieces, port);
    },
    stored: (hash) => localHave.stored(hash),
    lost: (hashes) => localHave.lost(hashes),
    served: (report) => stats.served(report),
  });
  hello.say();
  navigator.serviceWorker?.addEventListener('controllerchange', () => hello.say());

  const wasControlled = Boolean(navigator.serviceWorker?.controller);
  const workerUrl = new URL(config.workerFile, base);
  const ready = readyForFirstVisit({
    workerUrl,
    welcomedWithin: (ms) => hello.welcomedWithin(ms),
    onStatus: (status) => stats.set('worker', status),
  });
  // On a page the worker already controls, the media's torrents start with the document, not
  // with the worker's registration and the swap: a viewer's play() then finds them ready.
  if (wasControlled) void domReady().then(() => torrents.prepareFor(document));
  // After the page's own work: re-adding a torrent reads and hashes its stored pieces.
  void ready.then(() => torrents.seedStored()).catch(() => undefined);
  window.peerConnect = { stats: () => stats.snapshot(), torrentStats: () => torrents.stats(), ready };
}

start();
