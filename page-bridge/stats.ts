/** The bridge's counters, exposed as `window.peerConnect.stats()` and the `peerconnect:update` event. */
export interface PeerConnectStats {
  peerId: string;
  swarm: string;
  signaling: 'connecting' | 'open' | 'closed' | 'off';
  /** Open data channels. */
  peers: number;
  connectedPeers: string[];
  bannedPeers: string[];
  /** Verified bytes the worker served, by where they came from. */
  bytesFromPeers: number;
  bytesFromOrigin: number;
  bytesFromCache: number;
  bytesUploaded: number;
  /** Piece requests to peers that failed (timeout, refusal, closed connection). */
  failures: number;
  /** Pieces from peers that failed their hash. */
  badPieces: number;
  uploading: boolean;
  /** The build this page is of (Manifest.build, from our script's URL). */
  pageBuild: string;
  /**
   * The build of the worker controlling the page, from its `welcome`; null before it answered or
   * without a worker. Another value than `pageBuild` means the worker passes this page's requests
   * to the network until the worker of this page's build takes over (see "Deploying a new version").
   */
  workerBuild: string | null;
}

export const UPDATE_EVENT = 'peerconnect:update';
export const SERVED_EVENT = 'peerconnect:served';

export class StatsBoard {
  private scheduled = false;
  constructor(readonly values: PeerConnectStats) {}

  add(key: 'bytesFromPeers' | 'bytesFromOrigin' | 'bytesFromCache' | 'bytesUploaded' | 'failures' | 'badPieces', n: number): void {
    this.values[key] += n;
    this.changed();
  }

  set<K extends keyof PeerConnectStats>(key: K, value: PeerConnectStats[K]): void {
    this.values[key] = value;
    this.changed();
  }

  snapshot(): PeerConnectStats {
    return { ...this.values, connectedPeers: [...this.values.connectedPeers], bannedPeers: [...this.values.bannedPeers] };
  }

  /** Coalesces bursts (one event per task), so a page listening to updates costs nothing per piece. */
  private changed(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setTimeout(() => {
      this.scheduled = false;
      window.dispatchEvent(new CustomEvent(UPDATE_EVENT, { detail: this.snapshot() }));
    }, 0);
  }
}
