/**
 * The boundary between the bridge and its lazily loaded WebTorrent module
 * (`peer-connect-torrent.js`). Types only, so the bridge bundle does not pull WebTorrent in.
 */
import type { BridgeConfig, BridgeTorrent } from '../../protocol/bridge-config.ts';

export interface TorrentClientOptions {
  /** The worker's scope: torrent files and web seeds are relative to it. */
  scope: string;
  iceServers: BridgeConfig['iceServers'];
  quotaBytes: number;
  /** False: download only, never upload (metered connection or the site said `off`). */
  uploading: boolean;
  /** Bytes this tab uploaded to torrent peers. */
  onUploaded(bytes: number): void;
  /** Asked after each upload: false (the site's mode, the visitor's cap) puts the throttle at 0. */
  mayUpload?(bytes: number): boolean;
}

export interface TorrentServeRequest {
  torrent: BridgeTorrent;
  /** The asset's size and the manifest's piece size: the worker asks in manifest pieces. */
  size: number;
  pieceSize: number;
  pieces: number[];
  port: MessagePort;
}

export interface TorrentClientStats {
  torrents: number;
  /** Open WebRTC wires over all torrents (web seeds not counted). */
  peers: number;
  bytesFromPeers: number;
  bytesFromWebSeed: number;
  uploaded: number;
  /** Torrent pieces that failed their SHA-1 (each re-downloaded; the peers that sent them banned). */
  badPieces: number;
  bannedPeers: string[];
  /** WebTorrent's RTCPeerConnections being set up now (at most TORRENT_MAX_PENDING_CONNECTIONS). */
  pendingConnections: number;
  /** Offers dropped before a connection was made, because that many were being set up. */
  refusedConnections: number;
  /** RTCPeerConnections WebTorrent made through the gate (0 would mean the gate is not in its path). */
  gatedConnections: number;
}

export interface TorrentClientApi {
  /** Answers one worker `fetch` for a torrent asset on `port`, as the peer path does. */
  serve(request: TorrentServeRequest): void;
  /** Joins these torrents now (their pieces are in IndexedDB), so they seed before any request. */
  seed(torrents: readonly BridgeTorrent[]): Promise<void>;
  stats(): TorrentClientStats;
  /**
   * Whether this client may upload now (the site switched to `download-only`/`off` or back to
   * `on`): the throttle at 0, or back at its rate while the page view's budget lasts.
   */
  setUploading?(on: boolean): void;
  /** Leaves every torrent and closes the client (trackers, WebRTC wires); the store keeps its pieces. */
  destroy(): Promise<void>;
}

/** What `peer-connect-torrent.js` exports. */
export interface TorrentClientModule {
  createTorrentClient(options: TorrentClientOptions): TorrentClientApi;
}
