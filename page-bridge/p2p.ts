/**
 * Everything P2P of one page, from `start` to `stop`: the swarm (signaling socket, WebRTC peers),
 * the WebTorrent loader, and how a worker request is served by them. Nothing of it exists before
 * it starts (see index.ts: at once with `--start auto`, on `peerConnect.start()` with `manual`),
 * and `stop()` closes all of it. A page may start and stop it several times: each start is a new
 * peer id, so two sessions of one page cannot be linked by it.
 */
import type { BridgeConfig } from '../protocol/bridge-config.ts';
import { timerClock } from '../protocol/clock.ts';
import type { P2pMode } from '../protocol/usage-report.ts';
import { FetchingNow } from './fetching-now.ts';
import type { LocalHave } from './local-have.ts';
import { newId } from './peer-pool.ts';
import { type RequestContext, registerFetching, servePieceRequest } from './piece-requests.ts';
import type { StatsBoard } from './stats.ts';
import { joinSwarm } from './swarm.ts';
import type { TorrentClientStats } from './torrent/api.ts';
import { TorrentLoader } from './torrent-loader.ts';
import type { UploadGate } from './upload-budget.ts';
import type { FetchRequest } from './worker-messages.ts';

export interface P2pOptions {
  config: BridgeConfig;
  /** The folder of the bridge script (the worker's scope). */
  base: URL;
  swarm: string;
  uploading: boolean;
  stats: StatsBoard;
  localHave: LocalHave;
  /** Asked before every piece goes out to a peer (the site's mode and upload cap). */
  mayUpload: UploadGate;
  /** Bytes that went out to peers, WebTorrent's included. */
  onUploaded: (bytes: number) => void;
  /** The swarm's mode, as the signaling server says it. */
  onMode: (mode: P2pMode) => void;
}

export interface P2p {
  /** The signaling client's announcer and the open links, for the page's LocalHave. */
  readonly swarm: ReturnType<typeof joinSwarm>;
  /** Answers one worker `fetch` from the torrent or the peers. */
  serve(request: FetchRequest, port: MessagePort): void;
  /** The worker stored piece `index` of `hash` for this page: a peer's request held for it is served. */
  pieceStored(hash: string, index: number): void;
  /** The worker stored every piece of `hash`: it is held, no longer fetched. */
  stored(hash: string): void;
  /** The worker takes `hash` from the origin without asking us: register as fetching it, serve its pieces as they land. */
  fetchingFromOrigin(hash: string): void;
  /** Joins the torrents of the page's media early (see TorrentLoader.prepareFor). */
  prepareFor(doc: Document): void;
  /** Seeds again the torrents whose pieces are stored here. */
  seedStored(): Promise<number>;
  torrentStats(): TorrentClientStats | null;
  /** Closes every open peer link, keeping the signaling socket (the site turned P2P off: its switch can turn it on again). */
  closeLinks(): void;
  /** The site's mode changed: WebTorrent's throttle follows (the peer path asks `mayUpload` per piece). */
  setUploading(on: boolean): void;
  /** Closes the signaling socket, every WebRTC peer and the WebTorrent client. */
  stop(): void;
}

export function startP2p(options: P2pOptions): P2p {
  const { config, base, uploading, stats, localHave } = options;
  const peerId = newId();
  stats.set('peerId', peerId);
  const { mayUpload, onUploaded, onMode } = options;
  // What this page is fetching now: peers arriving together ask it for those pieces (issue 13).
  const fetching = new FetchingNow(timerClock);
  const swarm = joinSwarm({ config, peerId, swarm: options.swarm, uploading, stats, localHave, mayUpload, onUploaded, onMode, fetching });
  const { pool, signal } = swarm;
  const torrents = new TorrentLoader({
    config,
    base,
    uploading,
    onUploaded: (n) => {
      stats.add('bytesUploaded', n);
      onUploaded(n);
    },
    mayUpload,
  });
  const requests: RequestContext = {
    pool,
    signal,
    onFailure: () => stats.add('failures', 1),
    onBadPiece: (badPeer) => {
      stats.add('badPieces', 1);
      pool.ban(badPeer);
    },
  };
  return {
    swarm,
    serve: (m, port) => {
      const torrent = torrents.torrentFor(m.hash);
      if (torrent) return torrents.serve(torrent, m.size, m.pieces, port);
      // Whatever peers do not send, the worker takes from the origin and stores: either way this
      // page is fetching the asset, and serves its pieces as they land (fetching-now.ts). Not a
      // page that does not upload: it announces nothing it holds (local-have.ts), so it says
      // nothing of what it fetches either (no `hp`, not listed as a fetcher), and would refuse
      // every piece it was asked for.
      const serving = uploading && m.peersOnly !== true;
      if (serving) fetching.begin(m.hash);
      void servePieceRequest(requests, m.hash, m.pieces, port, m.peersOnly === true, m.size, serving);
    },
    pieceStored: (hash, index) => {
      // BEP 3's `have`, for a piece of an asset still being fetched: the links' requesters ask
      // a source known to have a piece before one that is only fetching it.
      if (fetching.pieceStored(hash, index)) for (const link of pool.links.values()) link.sendPieces(hash, [index]);
    },
    stored: (hash) => fetching.complete(hash),
    fetchingFromOrigin: (hash) => {
      if (!uploading || torrents.torrentFor(hash)) return;
      fetching.begin(hash);
      void registerFetching(requests, hash);
    },
    prepareFor: (doc) => void torrents.prepareFor(doc),
    seedStored: () => torrents.seedStored(),
    torrentStats: () => torrents.stats(),
    setUploading: (on) => torrents.setUploading(on),
    closeLinks: () => {
      for (const link of [...pool.links.values()]) link.close();
    },
    stop: () => {
      fetching.clear();
      swarm.stop();
      torrents.destroy();
    },
  };
}
