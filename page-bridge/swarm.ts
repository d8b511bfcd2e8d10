/**
 * The tab in its swarm: the signaling client and the peer pool, made in the order their references
 * need and started last. The pool is given the signaling client (its offers and answers go there);
 * the client hands the pool what the server says. `stop()` undoes all of it: the socket closed for
 * good, every WebRTC peer (parked offer, attempt, open link) destroyed.
 */
import Peer from '@thaunknown/simple-peer/lite.js';
import type { BridgeConfig } from '../protocol/bridge-config.ts';
import type { WorkerToBridge } from '../protocol/bridge-messages.ts';
import { timerClock } from '../protocol/clock.ts';
import { DEFAULT_SIGNAL_PATH } from '../protocol/routes.ts';
import type { P2pMode } from '../protocol/usage-report.ts';
import { type FetchingNow, holdingReader } from './fetching-now.ts';
import type { LocalHave } from './local-have.ts';
import { completeAssets, readPiece } from './local-pieces.ts';
import { newId, type PeerFactory, PeerPool } from './peer-pool.ts';
import { SignalClient } from './signal-client.ts';
import { SERVED_EVENT, type StatsBoard } from './stats.ts';
import { DEFAULT_UPLOAD_LIMITS, type UploadGate, UploadLedger } from './upload-budget.ts';

export interface SwarmOptions {
  config: BridgeConfig;
  peerId: string;
  swarm: string;
  uploading: boolean;
  stats: StatsBoard;
  /** The page's assets: what it holds and what it used (it outlives a stop and a start). */
  localHave: LocalHave;
  /** Asked before every piece goes out: the site's mode and upload cap (index.ts). */
  mayUpload: UploadGate;
  /** Bytes that went out to peers (counted against the upload cap). */
  onUploaded: (bytes: number) => void;
  /** The swarm's P2P mode, from `joined` and each `p2p-mode` (the site owner's switch). */
  onMode: (mode: P2pMode) => void;
  /** Assets this page is fetching now: a request for a piece of one not stored yet waits for it. */
  fetching: FetchingNow;
}

export interface Swarm {
  pool: PeerPool;
  /** Null when this browser cannot signal (no WebSocket or no WebRTC): peers are never asked. */
  signal: SignalClient | null;
  /** Closes the signaling socket and every WebRTC peer; nothing reconnects. */
  stop(): void;
}

export function joinSwarm(options: SwarmOptions): Swarm {
  const { config, uploading, stats, localHave } = options;
  const canSignal = 'RTCPeerConnection' in window && 'WebSocket' in window;
  let stopped = false;
  // Every WebRTC peer the pool makes, so stop() can destroy them all (parked offers included).
  const peers = new Set<Peer>();
  const createPeer: PeerFactory = ({ initiator, iceServers }) => {
    const peer = new Peer({ initiator, trickle: false, config: { iceServers } });
    if (stopped) peer.destroy();
    else {
      peers.add(peer);
      peer.on('close', () => peers.delete(peer));
    }
    return peer;
  };
  // Each refers to the ones made after it only through callbacks that run once the client started.
  const signal = canSignal
    ? signalClient(
        options,
        () => !stopped,
        () => pool,
      )
    : null;
  const countHaves = (): void =>
    stats.set(
      'peerHaves',
      [...pool.links.values()].reduce((n, l) => n + l.haves.size, 0),
    );
  const readHeld = holdingReader(options.fetching, readPiece);
  const pool = new PeerPool({
    signal,
    iceServers: config.iceServers,
    parkOffers: uploading,
    // A new link hears only of the held assets this page used (local-have.ts), not the store's history.
    localHave: () => localHave.forLink(),
    fetchingPieces: () => options.fetching.storedPieces(),
    onChange: () => {
      stats.setPeers([...pool.links.keys()], [...pool.banned]);
      countHaves();
    },
    createPeer,
    hooks: {
      // A piece being fetched here is served the moment it is stored (fetching-now.ts).
      readPiece: (hash, index, signal) => (uploading && options.mayUpload(0) ? readHeld(hash, index, signal) : Promise.resolve(null)),
      onUploaded: (n) => {
        stats.add('bytesUploaded', n);
        options.onUploaded(n);
      },
      onHave: () => countHaves(),
      uploads: new UploadLedger(timerClock, DEFAULT_UPLOAD_LIMITS, options.mayUpload),
    },
  });
  // What the worker saw of the origin, to weigh slow peers against.
  window.addEventListener(SERVED_EVENT, (event) => {
    const report = (event as CustomEvent<Extract<WorkerToBridge, { pc: 'served' }>>).detail;
    pool.origin.observe(report.bytes, report.ms);
  });
  signal?.start();
  return {
    pool,
    signal,
    stop: () => {
      if (stopped) return;
      stopped = true;
      signal?.stop();
      for (const link of [...pool.links.values()]) link.close();
      for (const peer of [...peers]) peer.destroy();
      peers.clear();
      stats.set('signaling', 'off');
    },
  };
}

/** The signaling client: joins with what this tab holds, passes what the server says to the pool while `live`. */
function signalClient(
  { config, peerId, swarm, stats, localHave, onMode }: SwarmOptions,
  live: () => boolean,
  pool: () => PeerPool,
): SignalClient {
  const url = config.signal ?? `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${DEFAULT_SIGNAL_PATH}`;
  /** The swarm's mode as the server last said (`joined`, `p2p-mode`). */
  let mode: P2pMode = 'on';
  const signal: SignalClient = new SignalClient({
    url,
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
    held: () => localHave.list(),
    onMessage: (m) => {
      if (!live()) return; // stopped: a message already on its way makes no connection
      if (m.type === 'p2p-mode') {
        mode = m.mode;
        return onMode(m.mode);
      }
      if (m.type === 'joined') {
        mode = m.mode ?? 'on';
        onMode(mode);
      }
      // off is no P2P: closing the links is not enough, a page would link again to the peers
      // `joined` introduces and answer the offers relayed to it (and park its own).
      if (mode === 'off') return;
      pool().onSignal(m);
      if (m.type === 'joined')
        void pool()
          .offersForJoin()
          .then((offers) => offers.length > 0 && signal.send({ type: 'offers', offers }));
    },
    onState: (s) => live() && stats.set('signaling', s),
  });
  return signal;
}
