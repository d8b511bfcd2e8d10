/**
 * The tab in its swarm: the signaling client, the peer pool, and the complete assets it announces,
 * made in the order their references need and started last. The pool is given the signaling
 * client (its offers and answers go there); the client hands the pool what the server says.
 */
import type { BridgeConfig } from '../protocol/bridge-config.ts';
import { DEFAULT_SIGNAL_PATH } from '../protocol/routes.ts';
import { LocalHave } from './local-have.ts';
import { completeAssets, readPiece } from './local-pieces.ts';
import { newId, PeerPool } from './peer-pool.ts';
import { SignalClient } from './signal-client.ts';
import type { StatsBoard } from './stats.ts';

export interface SwarmOptions {
  config: BridgeConfig;
  peerId: string;
  swarm: string;
  uploading: boolean;
  stats: StatsBoard;
}

export interface Swarm {
  pool: PeerPool;
  /** Null when this browser cannot signal (no WebSocket or no WebRTC): peers are never asked. */
  signal: SignalClient | null;
  localHave: LocalHave;
}

export function joinSwarm(options: SwarmOptions): Swarm {
  const { config, uploading, stats } = options;
  const canSignal = 'RTCPeerConnection' in window && 'WebSocket' in window;
  // Each refers to the ones made after it only through callbacks that run once the client started.
  const localHave = new LocalHave({ uploading, signal: () => signal, links: () => pool.links.values() });
  const signal = canSignal ? signalClient(options, localHave, () => pool) : null;
  const pool = new PeerPool({
    signal,
    iceServers: config.iceServers,
    parkOffers: uploading,
    // A new link hears only of the held assets this page used (local-have.ts), not the store's history.
    localHave: () => localHave.forLink(),
    onChange: () => stats.setPeers([...pool.links.keys()], [...pool.banned]),
    hooks: {
      readPiece: (hash, index) => (uploading ? readPiece(hash, index) : Promise.resolve(null)),
      onUploaded: (n) => stats.add('bytesUploaded', n),
      onHave: () => undefined,
    },
  });
  signal?.start();
  return { pool, signal, localHave };
}

/** The signaling client: joins with what this tab holds, passes what the server says to the pool. */
function signalClient({ config, peerId, swarm, stats }: SwarmOptions, localHave: LocalHave, pool: () => PeerPool): SignalClient {
  const url = config.signal ?? `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}${DEFAULT_SIGNAL_PATH}`;
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
    onMessage: (m) => {
      pool().onSignal(m);
      if (m.type === 'joined')
        void pool()
          .offersForJoin()
          .then((offers) => offers.length > 0 && signal.send({ type: 'offers', offers }));
    },
    onState: (s) => stats.set('signaling', s),
  });
  return signal;
}
