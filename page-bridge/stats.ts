/** The bridge's counters, exposed as `window.peerConnect.stats()` and the `peerconnect:update` event. */

import type { WorkerToBridge } from '../protocol/bridge-messages.ts';
import type { P2pMode } from '../protocol/usage-report.ts';
import type { WorkerStatus } from './first-visit.ts';
import type { PrefetchSkip } from './prefetch/policy.ts';

/**
 * Prefetch through peers in this page view (page-bridge/prefetch/): `pending` until the page has
 * loaded and is idle; `planning` (reading the linked pages' lists), `running` (the worker
 * gathers from peers), `done`; or why it did not run (PrefetchSkip).
 */
export type PrefetchState = 'pending' | 'planning' | 'running' | 'done' | PrefetchSkip;

export interface PeerConnectStats {
  peerId: string;
  swarm: string;
  /** `off`: P2P is not running (not started, stopped, opted out), or this browser cannot signal. */
  signaling: 'connecting' | 'open' | 'closed' | 'off';
  /**
   * Whether P2P runs in this page: `on`; `waiting` for `peerConnect.start()` (`--start manual`);
   * `opted-out`: the visitor said `peerConnect.stop()`, in this page or an earlier one of the origin.
   */
  p2p: P2pState;
  /** Open data channels. */
  peers: number;
  connectedPeers: string[];
  bannedPeers: string[];
  /** Assets the open links say they hold (`have`), summed over links: at most MAX_HAVES_PER_LINK each. */
  peerHaves: number;
  /** Verified bytes the worker served, by where they came from. */
  bytesFromPeers: number;
  bytesFromOrigin: number;
  bytesFromCache: number;
  bytesUploaded: number;
  /** Piece requests to peers that failed (timeout, refusal, closed connection). */
  failures: number;
  /** Pieces from peers that failed their hash. */
  badPieces: number;
  /** Peers this page banned (a bad piece, a protocol violation), over its P2P sessions. */
  bans: number;
  prefetch: PrefetchState;
  /** Assets this page view asked the worker to prefetch (not held, within the budget), whatever peers then had. */
  prefetchAsked: number;
  /** Verified bytes this page view prefetched from peers for the pages it links to (never from the origin). */
  bytesPrefetched: number;
  /** Bytes prefetched (by this page view or the tab's previous one) that a page of this tab was then served from the store. */
  bytesPrefetchedUsed: number;
  /** Bytes the tab's previous page view prefetched that this page has not used (counted from its load on: page-bridge/prefetch/ledger.ts). */
  bytesPrefetchedUnused: number;
  /**
   * The site owner's switch for this swarm, as the signaling server said (`on` until it says):
   * `download-only` uploads nothing; `off` closes the links and the worker passes every request
   * to the network.
   */
  siteMode: P2pMode;
  uploading: boolean;
  /** The build this page is of (Manifest.build, from our script's URL). */
  pageBuild: string;
  /**
   * The build of the worker controlling the page, from its `welcome`; null before it answered or
   * without a worker. Another value than `pageBuild` means the worker passes this page's requests
   * to the network until the worker of this page's build takes over (see "Deploying a new version").
   */
  workerBuild: string | null;
  /**
   * The page's worker registration: `registering` until it settles; `controlled`; `bypassed` (a
   * hard reload skipped the worker: nothing will control this page); `timeout` (no worker took
   * control in time); `failed` (the registration failed); `unsupported` (no service workers).
   */
  worker: WorkerStatus | 'registering';
}

export type P2pState = 'on' | 'waiting' | 'opted-out';

export const UPDATE_EVENT = 'peerconnect:update';
export const SERVED_EVENT = 'peerconnect:served';
/** Dispatched on `window` once `window.peerConnect` exists (the script is async: a consent callback may run first). */
export const LOADED_EVENT = 'peerconnect:loaded';

/** What a page's stats start from: its ids, whether it uploads, its build, whether P2P starts. */
export type StatsStart = Pick<PeerConnectStats, 'peerId' | 'swarm' | 'uploading' | 'pageBuild' | 'p2p'>;

export class StatsBoard {
  private scheduled = false;
  readonly values: PeerConnectStats;

  constructor(start: StatsStart) {
    this.values = {
      ...start,
      signaling: 'off',
      peers: 0,
      connectedPeers: [],
      bannedPeers: [],
      peerHaves: 0,
      bytesFromPeers: 0,
      bytesFromOrigin: 0,
      bytesFromCache: 0,
      bytesUploaded: 0,
      failures: 0,
      badPieces: 0,
      bans: 0,
      prefetch: 'pending',
      prefetchAsked: 0,
      bytesPrefetched: 0,
      bytesPrefetchedUsed: 0,
      bytesPrefetchedUnused: 0,
      siteMode: 'on',
      workerBuild: null,
      worker: 'registering',
    };
  }

  add(
    key: 'bytesFromPeers' | 'bytesFromOrigin' | 'bytesFromCache' | 'bytesUploaded' | 'failures' | 'badPieces' | 'bytesPrefetched',
    n: number,
  ): void {
    this.values[key] += n;
    this.changed();
  }

  set<K extends keyof PeerConnectStats>(key: K, value: PeerConnectStats[K]): void {
    this.values[key] = value;
    this.changed();
  }

  /** The pool's open links and banned peers changed. */
  setPeers(connected: string[], banned: string[]): void {
    // A session's ban list only grows; a new session starts it empty.
    const known = this.values.bannedPeers;
    this.values.bans += banned.filter((p) => !known.includes(p)).length;
    this.values.peers = connected.length;
    this.values.connectedPeers = connected;
    this.values.bannedPeers = banned;
    this.changed();
  }

  /** One response the worker finished: its bytes counted, and the report re-dispatched as SERVED_EVENT for the page. */
  served(report: Extract<WorkerToBridge, { pc: 'served' }>): void {
    const { bytes } = report;
    this.values.bytesFromPeers += bytes.peer;
    this.values.bytesFromOrigin += bytes.origin;
    this.values.bytesFromCache += bytes.cache;
    this.changed();
    window.dispatchEvent(new CustomEvent(SERVED_EVENT, { detail: report }));
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
