/**
 * Gathers the pieces one response needs, from wherever they are fastest and verified:
 * local store first, then peers through a bridge, racing the origin for whatever peers have not
 * delivered after the hedge delay (sw/hedge-policy.ts) or delivered wrong: the first verified copy
 * of a piece wins. When peers cannot help before anything was served (no bridge ready, no holder,
 * a critical destination, nothing from peers within the hedge delay) and the caller can send the
 * page's own request to the network (`mayHandOver`), the gather hands over instead of cutting the
 * origin's answer into Range runs (see handedOver). Pieces come out in order, as soon as each is
 * verified. Runtime APIs (storage, bridge, fetch, timers) are injected, so this runs in Node tests.
 */
import { type BridgeReply, type SourceBytes, STORED_PEER_ID, WEB_SEED_PEER_ID, type WorkerFeedback } from '../protocol/bridge-messages.ts';
import { type Clock, timerClock } from '../protocol/clock.ts';
import type { ManifestAsset } from '../protocol/manifest.ts';
import { consecutiveRuns, pieceSpan } from '../protocol/pieces.ts';
import { Deadline } from './deadline.ts';
import { asGatherError, GatherError } from './gather-errors.ts';
import { crowdFirstMs, type HedgeDelays, hedgeDelays, SourceSpeeds } from './hedge-policy.ts';
import { readOriginRun } from './origin-run.ts';

export type Source = 'cache' | 'peer' | 'origin';

/** Why a gather handed the page's request to the network (see PieceGatherer.handedOver). */
export type HandOverReason = 'critical' | 'no-bridge' | 'no-peers' | 'no-peers-known' | 'hedge';

export interface GatheredPiece {
  index: number;
  data: Uint8Array;
  source: Source;
}

/** One fetch port to the page's bridge: feedback on what it sent, and its end. */
export type BridgeSession = { report(f: WorkerFeedback): void; close(): void };

export interface GatherDeps {
  readPieces(hash: string, indexes: readonly number[]): Promise<Array<ArrayBuffer | undefined>>;
  writePiece(hash: string, index: number, data: ArrayBuffer): Promise<boolean>;
  deletePiece(hash: string, index: number): Promise<void>;
  verify(data: ArrayBuffer | Uint8Array, expectedHex: string): Promise<boolean>;
  /**
   * The SHA-256 (hex) piece `index` of `asset` must have (sw/piece-lists.ts). Rejects with a
   * `piece-list` GatherError when the asset's hash list cannot be had: the gather then fails.
   */
  pieceHash(asset: ManifestAsset, index: number): Promise<string>;
  openBridge(
    request: { pc: 'fetch'; hash: string; size: number; pieces: number[] },
    onReply: (reply: BridgeReply) => void,
  ): Promise<BridgeSession | null>;
  fetchOrigin(url: string, init: RequestInit): Promise<Response>;
  /** The origin's file is not the manifest's (size or a piece's hash): called once per gather. */
  onAssetChanged?(hash: string): void;
  /** Whether the page's bridge has delivered peer pieces already (else its start-up is still to come: a cold hedge delay). */
  bridgeWarm?(): boolean;
  /** A verified peer piece came (the page's bridge is warm from now on). */
  onPeerPiece?(): void;
  /** The gather went to the origin without asking the page's bridge (`no-peers-known`): tell it all the same. */
  fetchingFromOrigin?(): void;
  /** Fixed hedge delays (tests); otherwise learned from `speeds` (sw/hedge-policy.ts). */
  timeouts?: Partial<HedgeDelays>;
  /** What this worker measured of peers and origin: read for the hedge delays, fed by every gather. */
  speeds?: SourceSpeeds;
  /** The deadlines' time (sw/deadline.ts); real timers unless a test brings its own clock. */
  timers?: Clock;
}

/** A torrent's bytes pass through the bridge whether they came from peers, the web seed or storage. */
const sourceOf = (peerId: string): Source => (peerId === WEB_SEED_PEER_ID ? 'origin' : peerId === STORED_PEER_ID ? 'cache' : 'peer');

type Slot = {
  state: 'wait' | 'peer' | 'origin' | 'done';
  piece?: GatheredPiece;
  waiters: Array<(p: GatheredPiece | Error) => void>;
  error?: Error;
};

export class PieceGatherer {
  readonly bytes: SourceBytes = { peer: 0, origin: 0, cache: 0 };
  /** Peers that sent a piece failing its hash. */
  readonly badPeers = new Set<string>();
  private readonly slots = new Map<number, Slot>();
  private session: BridgeSession | null = null;
  /** The one deadline: when it expires, the origin is asked for everything still expected from peers, who keep sending. */
  private readonly deadline: Deadline;
  private readonly controller = new AbortController();
  private finished = false;
  private limits: HedgeDelays;
  private readonly gatherBytes: number;
  /** Peers were asked with no bridge ready: the first piece's time is a cold sample. */
  private cold = false;
  private readonly speeds: SourceSpeeds;
  /** When peers were asked (timers' clock), and when their first piece came: for the speeds. */
  private peersAskedAt = -1;
  /** The bridge's `accepted` rank: this visitor is one of a crowd fetching the asset (crowdFirstMs). */
  private rank: number | undefined;
  private peerFirstAt = -1;
  private peerBytesAfterFirst = 0;
  private handOver: () => void = () => undefined;
  /** Resolves when this gather hands the page's request to the network as it is (see handedOver). */
  private readonly handOverPromise: Promise<void>;
  /**
   * Settles once this gather knows which version of the file it serves, so a response commits
   * its headers only after it (see serveAsset) and a changed file is served whole from the origin
   * rather than stitched to stored pieces of the old one. Resolves when every piece is in hand;
   * earlier when a piece from a peer has verified (peers hold only the manifest's version), or,
   * when no piece came from storage, when the origin's first piece has verified (the response
   * then holds only that answer's bytes and can follow it if it changes: see mayFollow). Rejects
   * with the GatherError that came first otherwise (the origin's file changed, refused, failed).
   */
  private readonly proof: Promise<void>;
  private settleProof: (error?: GatherError) => void = () => undefined;
  private proven = false;
  /** Some piece of this gather was read from storage. */
  private hasCached = false;
  /** Set by commit(): bytes of this version have reached the page, so the origin can no longer stand in for it. */
  private committed = false;
  /** Once the origin is known to serve another version, it may not supply any piece of this one. */
  private originBarred: GatherError | null = null;

  constructor(
    private readonly asset: ManifestAsset,
    private readonly url: string,
    private readonly pieceSize: number,
    readonly indexes: readonly number[],
    private readonly deps: GatherDeps,
    private readonly options: {
      mayFollowOrigin?: boolean;
      /** The caller can send the page's own request to the network instead (see handedOver). */
      mayHandOver?: boolean;
      /** A destination the page needs to render or run (hedge-policy.ts isCritical): peers are not asked. */
      critical?: boolean;
      /**
       * How many pieces from this gather's first are asked of the origin at once, not of peers
       * (a torrent asset's head while its torrent starts: hedge-policy.ts originHeadPieces). Should
       * the origin fail them (unreachable, 5xx), they are asked of peers after all.
       */
      originHead?: number;
    } = {},
  ) {
    for (const i of indexes) this.slots.set(i, { state: 'wait', waiters: [] });
    this.unresolved = this.slots.size;
    this.speeds = deps.speeds ?? new SourceSpeeds();
    let bytes = 0;
    for (const i of indexes) {
      const span = pieceSpan(i, asset.size, pieceSize);
      bytes += span.end - span.start;
    }
    this.gatherBytes = bytes;
    this.limits = { ...hedgeDelays(this.speeds, bytes, pieceSize), ...deps.timeouts };
    this.deadline = new Deadline(deps.timers ?? timerClock, () => this.hedge());
    this.handOverPromise = new Promise<void>((resolve) => (this.handOver = resolve));
    this.proof = new Promise<void>((resolve, reject) => {
      this.settleProof = (error) => {
        if (this.proven) return;
        this.proven = true;
        if (error) reject(error);
        else resolve();
      };
    });
    this.proof.catch(() => undefined); // a gather nobody asks about must not leave an unhandled rejection
  }

  /** See `proof`. */
  versionProven(): Promise<void> {
    return this.proof;
  }

  /**
   * Resolves (and the gather stops, having fetched nothing from the origin) when peers cannot help
   * before any byte was served: no bridge ready, `no-peers`, a critical destination, or no peer
   * piece within the hedge delay. Only with `mayHandOver`, and only while nothing came from storage
   * or peers: the caller then answers with the page's own request to the network (sw/direct-fetch.ts),
   * which keeps the browser's priority and is the origin's own answer, one version whole.
   */
  handedOver(): Promise<void> {
    return this.handOverPromise;
  }

  /** The hedge delays this gather runs on (ms). */
  get delays(): HedgeDelays {
    return this.limits;
  }

  private canHandOver(): boolean {
    return (
      this.options.mayHandOver === true &&
      !this.finished &&
      !this.committed &&
      !this.hasCached &&
      this.originBarred === null &&
      this.unresolved === this.slots.size &&
      this.pending('origin').length === 0
    );
  }

  /** Why this gather handed over (for the response's `x-peer-connect-why` header). */
  handOverReason: HandOverReason | null = null;

  /** Hands the request over (true), or does nothing (false) when this gather may not. */
  private tryHandOver(reason: HandOverReason): boolean {
    if (!this.canHandOver()) return false;
    this.handOverReason = reason;
    this.finish();
    this.handOver();
    return true;
  }

  /** The response's headers and first bytes are out: from now on a changed origin cannot replace this version. */
  commit(): void {
    this.committed = true;
  }

  /** Resolves with piece `index` once verified (or rejects if even the origin failed). */
  piece(index: number): Promise<GatheredPiece> {
    const slot = this.slots.get(index);
    if (!slot) return Promise.reject(new Error(`piece ${index} not part of this gather`));
    if (slot.piece) return Promise.resolve(slot.piece);
    if (slot.error) return Promise.reject(slot.error);
    return new Promise((resolve, reject) => slot.waiters.push((p) => (p instanceof Error ? reject(p) : resolve(p))));
  }

  async start(): Promise<void> {
    // Storage is an optimisation: if it fails, behave as if it were empty.
    const cached = await this.deps.readPieces(this.asset.hash, this.indexes).catch(() => [] as Array<ArrayBuffer | undefined>);
    const missing: number[] = [];
    for (const [k, index] of this.indexes.entries()) {
      const data = cached[k];
      const good = data ? await this.matches(index, data) : false;
      if (good === null) return;
      if (data && good) {
        this.hasCached = true;
        this.resolve(index, new Uint8Array(data), 'cache');
      } else {
        if (data) void this.deps.deletePiece(this.asset.hash, index); // corrupted storage: forget it
        missing.push(index);
      }
    }
    if (missing.length === 0) return;
    if (this.options.critical) {
      if (!this.tryHandOver('critical')) this.fromOrigin(missing);
      return;
    }
    const headEnd = (this.indexes[0] ?? 0) + (this.options.originHead ?? 0);
    const head = missing.filter((i) => i < headEnd);
    if (head.length > 0) {
      this.headEnd = headEnd;
      this.fromOrigin(head);
    }
    const rest = missing.filter((i) => i >= headEnd);
    if (rest.length > 0) await this.fromPeers(rest);
  }

  /** Pieces below this index were asked of the origin first (options.originHead): -1 when none. */
  private headEnd = -1;
  /** The session that asks peers for a head the origin failed (see headFailed). */
  private headSession: BridgeSession | null = null;

  /**
   * The origin could not serve the head run `first..last` (unreachable, or a 5xx): its pieces are
   * asked of peers in a session of their own, since the rest's session is already under way.
   * False when that cannot help (not a head run; the origin refused the file itself; no bridge),
   * and the pieces fail as any origin run's do.
   */
  private headFailed(first: number, last: number, error: GatherError): boolean {
    const refused = error.code === 'origin-status' && (error.response?.status ?? 500) < 500;
    if (first >= this.headEnd || refused || error.code === 'asset-changed' || this.headSession) return false;
    const pieces: number[] = [];
    for (let i = first; i <= last; i++) if (this.slots.get(i)?.state === 'origin') pieces.push(i);
    if (pieces.length === 0) return true;
    for (const i of pieces) this.setState(this.slots.get(i)!, 'peer');
    const request = { pc: 'fetch' as const, hash: this.asset.hash, size: this.asset.size, pieces };
    const failAll = (): void => {
      for (const i of pieces) if (this.slots.get(i)?.state === 'peer') this.fail(i, error);
    };
    this.headSession = { report: () => undefined, close: () => undefined }; // one fallback per gather
    void this.deps
      .openBridge(request, (reply) => {
        if (reply.pc === 'no-peers') failAll();
        else void this.onReply(reply, this.headSession);
      })
      .catch(() => null)
      .then((session) => {
        if (this.finished) return session?.close();
        if (!session) return failAll();
        this.headSession = session;
        // Peers that accept and then send nothing must not hold the head for good: with no
        // deadline running (the rest's pieces all came), this session gets one of its own.
        if (!this.deadline.armed && this.expectedFromPeers > 0) this.arm(this.limits.firstMs);
      });
    return true;
  }

  cancel(): void {
    const cancelled = new GatherError('cancelled', 'gather cancelled');
    this.settleProof(cancelled);
    for (const index of this.slots.keys()) this.fail(index, cancelled);
    this.finish();
    this.controller.abort();
  }

  /** Pieces still expected from peers, and pieces not yet resolved: counted, not scanned, per piece. */
  private expectedFromPeers = 0;
  private unresolved = 0;

  private setState(slot: Slot, state: Slot['state']): void {
    if (slot.state === 'peer') this.expectedFromPeers--;
    if (state === 'peer') this.expectedFromPeers++;
    if (state === 'done') this.unresolved--;
    slot.state = state;
  }

  private pending(state: Slot['state']): number[] {
    return [...this.slots].filter(([, s]) => s.state === state).map(([i]) => i);
  }

  private async fromPeers(missing: number[]): Promise<void> {
    for (const i of missing) this.setState(this.slots.get(i)!, 'peer');
    const request = { pc: 'fetch' as const, hash: this.asset.hash, size: this.asset.size, pieces: missing };
    const timers = this.deps.timers ?? timerClock;
    this.cold = this.deps.bridgeWarm ? !this.deps.bridgeWarm() : false;
    // Peers were just seen to hold nothing: do not wait for this page's bridge to start.
    if (this.cold && this.speeds.expectNoPeers(timers.now()) && this.tryHandOver('no-peers-known')) {
      // Not asked, but told: its bridge still lists this tab as fetching it (a crowd's first fetcher).
      this.deps.fetchingFromOrigin?.();
      return;
    }
    this.limits = { ...hedgeDelays(this.speeds, this.gatherBytes, this.pieceSize, this.cold), ...this.deps.timeouts };
    // A page's bridge that is still starting is waited for (≤ BRIDGE_HELLO_TIMEOUT_MS, in
    // client-registry.ts) before the hedge delay starts: until it says hello no peer can be asked,
    // and the cold delay then covers its signaling and WebRTC set-up.
    const session = await this.deps.openBridge(request, (reply) => void this.onReply(reply, this.session)).catch(() => null);
    if (this.finished) {
      session?.close();
      return;
    }
    this.session = session;
    if (!session) {
      if (!this.tryHandOver('no-bridge')) this.fromOrigin(this.pending('peer'));
      return;
    }
    this.peersAskedAt = timers.now();
    const ahead = this.speeds.peerBacklogBytes;
    this.owed = this.pendingBytes('peer');
    this.speeds.backlog(this.owed);
    if (!this.deps.timeouts?.firstMs)
      this.limits.firstMs = crowdFirstMs(hedgeDelays(this.speeds, this.gatherBytes, this.pieceSize, this.cold, ahead).firstMs, this.rank);
    // Unless a reply already settled it (a fake bridge can answer before this line runs).
    if (this.expectedFromPeers > 0 && this.peerFirstAt < 0) this.arm(this.limits.firstMs);
  }

  /** Bytes of this gather counted in the worker's peer backlog (SourceSpeeds.peerBacklogBytes). */
  private owed = 0;

  private pendingBytes(state: Slot['state']): number {
    let n = 0;
    for (const i of this.pending(state)) {
      const span = pieceSpan(i, this.asset.size, this.pieceSize);
      n += span.end - span.start;
    }
    return n;
  }

  /** Takes `bytes` (or all this gather still counts) out of the worker's peer backlog. */
  private unowe(bytes = this.owed): void {
    const n = Math.min(bytes, this.owed);
    this.owed -= n;
    this.speeds.backlog(-n);
  }

  private arm(ms: number): void {
    this.deadline.arm(ms);
  }

  /**
   * The hedge delay passed (first piece, or a gap between pieces): the origin is asked for every
   * piece still expected from peers, and peers keep sending; the first verified copy wins.
   * With nothing served yet, the page's own request may go to the network instead (tryHandOver).
   */
  private hedge(): void {
    this.deadline.clear();
    this.unowe();
    if (this.tryHandOver('hedge')) return;
    this.fromOrigin(this.pending('peer'));
  }

  /**
   * The bridge says this visitor is the `rank`-th of a crowd fetching the asset: a first-piece
   * hedge still pending waits longer (hedge-policy.ts crowdFirstMs), counted from when peers
   * were asked. Not with fixed delays (tests), nor once a peer piece came.
   */
  private crowded(rank: number): void {
    this.rank = rank;
    if (this.peerFirstAt >= 0 || this.peersAskedAt < 0 || !this.deadline.armed || this.deps.timeouts?.firstMs) return;
    const firstMs = crowdFirstMs(this.limits.firstMs, rank);
    if (firstMs === this.limits.firstMs) return;
    this.limits.firstMs = firstMs;
    this.arm(Math.max(0, firstMs - ((this.deps.timers ?? timerClock).now() - this.peersAskedAt)));
  }

  /** Peers cannot help (`no-peers`): the same as a hedge, without waiting. */
  private abandonPeers(): void {
    this.deadline.clear();
    this.unowe();
    this.session?.close();
    this.session = null;
    if (this.tryHandOver('no-peers')) return;
    this.fromOrigin(this.pending('peer'));
  }

  /** A bridge reply from `from` (the main session, or a head's fallback: see headFailed). */
  private async onReply(reply: BridgeReply, from: Pick<BridgeSession, 'report'> | null): Promise<void> {
    if (this.finished) return;
    switch (reply.pc) {
      case 'accepted':
        if (reply.rank !== undefined) this.crowded(reply.rank);
        return;
      case 'no-peers':
        this.speeds.noPeersAnswered((this.deps.timers ?? timerClock).now());
        return this.abandonPeers();
      case 'piece-failed':
        if (this.slots.get(reply.index)?.state === 'peer') this.fromOrigin([reply.index]);
        return;
      case 'piece': {
        const slot = this.slots.get(reply.index);
        // A piece the origin was asked for too (a hedge) is still taken from a peer that is first.
        if (!slot || slot.state === 'done' || slot.state === 'wait') return;
        if (this.expectedFromPeers > 0) this.arm(this.limits.stallMs);
        const span = pieceSpan(reply.index, this.asset.size, this.pieceSize);
        const good = reply.data.byteLength === span.end - span.start && (await this.matches(reply.index, reply.data));
        if (good === null) return;
        if (!good) {
          this.badPeers.add(reply.peerId);
          from?.report({ pc: 'bad-piece', index: reply.index, peerId: reply.peerId });
          if (slot.state === 'peer') this.fromOrigin([reply.index]);
          return;
        }
        const state = this.slots.get(reply.index)?.state;
        if (state !== 'peer' && state !== 'origin') return; // the origin won the race meanwhile
        this.measurePeer(reply.data.byteLength);
        this.unowe(reply.data.byteLength);
        this.resolve(reply.index, new Uint8Array(reply.data), sourceOf(reply.peerId));
        this.store(reply.index, reply.data);
        // Nothing left for peers alone: no more hedging; the session stays for pieces the origin races.
        if (this.expectedFromPeers === 0) this.deadline.clear();
      }
    }
  }

  private fromOrigin(indexes: number[]): void {
    const wanted = indexes.filter((i) => {
      const s = this.slots.get(i);
      return s && (s.state === 'peer' || s.state === 'wait');
    });
    const barred = this.originBarred;
    if (barred) {
      for (const i of wanted) this.fail(i, barred);
      return;
    }
    for (const i of wanted) this.setState(this.slots.get(i)!, 'origin');
    for (const run of consecutiveRuns(wanted)) void this.originRun(run.first, run.last);
  }

  /** A verified peer piece of `bytes` came now: the peers' first-piece time and rate, for later hedges. */
  private measurePeer(bytes: number): void {
    const now = (this.deps.timers ?? timerClock).now();
    this.speeds.peerPieceCame(now);
    if (this.peerFirstAt < 0) this.deps.onPeerPiece?.();
    if (this.peerFirstAt < 0) {
      this.peerFirstAt = now;
      if (this.peersAskedAt >= 0) this.speeds.peerFirstPiece(now - this.peersAskedAt, this.cold);
      return;
    }
    this.peerBytesAfterFirst += bytes;
    if (this.expectedFromPeers <= 1) this.speeds.peerRate(this.peerBytesAfterFirst, now - this.peerFirstAt);
  }

  private async originRun(first: number, last: number): Promise<void> {
    const { asset, pieceSize, url, deps } = this;
    /** Passing on this answer's bytes as they are: its file changed after its first bytes went out (see mayFollow). */
    let following = false;
    const timers = deps.timers ?? timerClock;
    const askedAt = timers.now();
    let firstAt = -1;
    let runBytes = 0;
    try {
      await readOriginRun({
        url,
        size: asset.size,
        pieceSize,
        first,
        last,
        fetchOrigin: deps.fetchOrigin,
        signal: this.controller.signal,
        onPiece: async (index, data) => {
          const now = timers.now();
          if (firstAt < 0) firstAt = now;
          else runBytes += data.byteLength;
          if (index === last) this.speeds.origin(firstAt - askedAt, runBytes, now - firstAt);
          const slot = this.slots.get(index);
          if (!slot || slot.state === 'done') return;
          const good = following || (await this.matches(index, data));
          if (good === null) return;
          if (good) {
            this.resolve(index, data, 'origin');
            if (!following) this.store(index, data.slice().buffer as ArrayBuffer);
            return;
          }
          if (!this.mayFollow(first, last))
            throw new GatherError('asset-changed', `${url}: the origin's piece ${index} is not the manifest's`);
          following = true;
          this.originBarred = new GatherError('asset-changed', `${url}: the response follows the origin's new version`);
          deps.onAssetChanged?.(asset.hash);
          this.resolve(index, data, 'origin');
        },
      });
    } catch (error) {
      if (this.finished) return;
      const err = asGatherError(error);
      if (err.code === 'asset-changed') return this.originChanged(err);
      if (this.headFailed(first, last, err)) return;
      if (!this.proven) this.settleProof(err);
      // Pieces a changed origin handed back to peers meanwhile are theirs now.
      for (let i = first; i <= last; i++) if (this.slots.get(i)?.state === 'origin') this.fail(i, err);
    }
  }

  /**
   * A response whose every byte so far came from this one origin answer may follow that answer
   * to its end when a later piece turns out to be another version: what the page has received is
   * then the start of the origin's new file (same size: a different size fails before any byte,
   * in readOriginRun), and the rest of that answer completes it. Those bytes are passed on
   * unverified, as the origin is trusted, and never stored or shared. Only a single-window
   * response, and only when the run covers the whole gather: other sources would be stitched in.
   */
  private mayFollow(first: number, last: number): boolean {
    return (
      this.committed &&
      this.options.mayFollowOrigin === true &&
      this.bytes.cache === 0 &&
      this.bytes.peer === 0 &&
      first === this.indexes[0] &&
      last === this.indexes[this.indexes.length - 1]
    );
  }

  /**
   * The origin serves another version now. Its bytes are never passed on, stored or shared. Before
   * the response committed, the whole gather fails with `asset-changed` (the page gets the origin's
   * answer to its own request instead); after, what is missing may only come from peers, who hold
   * the manifest's version, and fails if they cannot supply it.
   */
  private originChanged(error: GatherError): void {
    const first = this.originBarred === null;
    this.originBarred = error;
    this.controller.abort();
    if (first) this.deps.onAssetChanged?.(this.asset.hash);
    if (!this.committed) {
      this.settleProof(error);
      for (const index of this.slots.keys()) this.fail(index, error);
      this.finish();
      return;
    }
    // What the session closed next was still to send comes back in the new one: a head that
    // changed would otherwise cut off the rest of its window, which peers were sending meanwhile.
    const missing = [...this.pending('origin'), ...this.pending('peer')].sort((a, b) => a - b);
    if (missing.length === 0) return;
    for (const i of missing) this.setState(this.slots.get(i)!, 'wait');
    this.session?.close();
    this.session = null;
    this.deadline.clear();
    void this.fromPeers(missing);
  }

  /**
   * Whether `data` is piece `index`, or null when the asset's hash list could not be had: then
   * nothing of this gather can be verified, and it fails (before any byte went out, since no
   * piece could resolve) with that `piece-list` error.
   */
  private async matches(index: number, data: ArrayBuffer | Uint8Array): Promise<boolean | null> {
    let expected: string;
    try {
      expected = await this.deps.pieceHash(this.asset, index);
    } catch (error) {
      this.listFailed(asGatherError(error));
      return null;
    }
    return this.deps.verify(data, expected);
  }

  private listFailed(error: GatherError): void {
    if (this.finished) return;
    this.settleProof(error);
    for (const index of this.slots.keys()) this.fail(index, error);
    this.finish();
    this.controller.abort();
  }

  /**
   * A verified piece to the worker's store. Not awaited: the store records each write when it
   * lands, and decides on its own when the asset is complete (sw/store/), so a response never
   * waits on storage.
   */
  private store(index: number, data: ArrayBuffer): void {
    void this.deps.writePiece(this.asset.hash, index, data).catch(() => false); // not stored: fetched again next time
  }

  /** Drops the pieces (already read) while keeping the byte counts. */
  releasePieces(): void {
    this.slots.clear();
  }

  private resolve(index: number, data: Uint8Array, source: Source): void {
    const slot = this.slots.get(index);
    if (!slot || slot.state === 'done') return;
    this.setState(slot, 'done');
    slot.piece = { index, data, source };
    this.bytes[source] += data.byteLength;
    if (source === 'peer' || (source === 'origin' && !this.hasCached) || this.unresolved === 0) this.settleProof();
    for (const w of slot.waiters.splice(0)) w(slot.piece);
    if (this.unresolved === 0) this.finish();
  }

  private fail(index: number, error: Error): void {
    const slot = this.slots.get(index);
    if (!slot || slot.state === 'done') return;
    slot.error = error;
    for (const w of slot.waiters.splice(0)) w(error);
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.unowe();
    this.deadline.clear();
    this.session?.close();
    this.session = null;
    this.headSession?.close();
    this.headSession = null;
    // Origin runs racing peers for pieces peers delivered first: no longer needed.
    this.controller.abort();
  }
}
