/**
 * The tab's WebRTC connections: offers parked on the signaling server for newcomers, answers to
 * offers we were handed, a bounded number of open links, and the peers we no longer trust.
 */
import Peer, { type SignalData } from '@thaunknown/simple-peer/lite.js';
import { type Clock, timerClock } from '../protocol/clock.ts';
import {
  CONNECT_TIMEOUT_MS,
  MAX_CONNECTIONS,
  MAX_PENDING_ANSWERS,
  MAX_PENDING_PARKED_OFFERS,
  OFFER_ANSWER_TIMEOUT_MS,
  PARKED_OFFERS,
} from '../protocol/limits.ts';
import type { ClientMessage, ParkedOffer, PeerCandidate, Sdp, ServerMessage } from '../protocol/signal-messages.ts';
import { PeerLink, type PeerLinkHooks } from './peer-link.ts';
import { OriginRateEstimate } from './peer-score.ts';

/** Where the pool's offers and answers go: the signaling client (page-bridge/signal-client.ts). */
export interface SignalSender {
  /** False when the message could not be sent (not joined). */
  send(message: ClientMessage): boolean;
}

export interface PoolOptions {
  /** The signaling client; null when this browser has none (no WebSocket or no WebRTC). */
  signal: SignalSender | null;
  iceServers: RTCIceServer[];
  /** Whether to park offers for newcomers (false when not uploading). */
  parkOffers: boolean;
  hooks: Omit<PeerLinkHooks, 'onClose' | 'onViolation' | 'onSettled' | 'onPieces'>;
  onChange: () => void;
  /** Hashes to tell a new link we have. */
  localHave: () => string[];
  /** Assets being fetched here, with the pieces stored so far: told to a new link (`hp`). */
  fetchingPieces?: () => Array<[hash: string, pieces: number[]]>;
  /** Makes each WebRTC peer; default simple-peer (non-trickle). Tests pass fakes. */
  createPeer?: PeerFactory;
  /** Time for the attempts' timeouts and the links' throughput; real timers unless a test brings its own. */
  clock?: Clock;
}

/** One WebRTC peer: `initiator` makes the offer; ICE servers from the build's config. */
export type PeerFactory = (options: { initiator: boolean; iceServers: RTCIceServer[] }) => Peer;

const simplePeer: PeerFactory = ({ initiator, iceServers }) => new Peer({ initiator, trickle: false, config: { iceServers } });

/**
 * A connection being set up. `parked`: one of our offers, on the server or taken by a newcomer
 * whose answer has not come (MAX_PENDING_PARKED_OFFERS); `answer`: one we answer or offer through
 * the relay (MAX_PENDING_ANSWERS). Separate budgets: newcomers taking offers and never answering
 * cannot stop this tab from connecting to holders, nor the reverse.
 */
type Attempt = { peer: Peer; remote: string | null; timer: unknown; kind: 'parked' | 'answer' };

export const newId = (bytes = 15): string => {
  const raw = crypto.getRandomValues(new Uint8Array(bytes));
  return btoa(String.fromCharCode(...raw))
    .replaceAll('+', '-')
    .replaceAll('/', '_')
    .replaceAll('=', '');
};

export class PeerPool {
  readonly links = new Map<string, PeerLink>();
  readonly banned = new Set<string>();
  /** The origin's rate as the worker reported it, to weigh slow peers against (piece-requests.ts). */
  readonly origin = new OriginRateEstimate();
  /** Our offers on the server (connId → attempt), and connections being set up. */
  private readonly parked = new Map<string, Attempt>();
  private readonly attempts = new Map<string, Attempt>();
  private readonly connectWaiters = new Map<string, Array<(link: PeerLink | null) => void>>();

  private readonly clock: Clock;

  constructor(private readonly options: PoolOptions) {
    this.clock = options.clock ?? timerClock;
  }

  /** Connections being set up of each kind (see Attempt), parked offers included. */
  pending(kind: Attempt['kind']): number {
    let n = kind === 'parked' ? this.parked.size : 0;
    for (const a of this.attempts.values()) if (a.kind === kind) n++;
    return n;
  }

  /** Offers parked on the server now (not yet taken). */
  get parkedOffers(): number {
    return this.parked.size;
  }

  /** Fresh offers to park when (re)joining; old ones are void once the server forgets us. */
  async offersForJoin(): Promise<ParkedOffer[]> {
    for (const [connId, a] of this.parked) this.drop(this.parked, connId, a, false);
    if (!this.options.parkOffers) return [];
    const made = await Promise.all(Array.from({ length: PARKED_OFFERS }, () => this.makeOffer()));
    return made.filter((o): o is ParkedOffer => o !== null);
  }

  onSignal(message: ServerMessage): void {
    if (message.type === 'joined') {
      // Introductions: connect now; what they hold arrives over the wire as `have`.
      if (message.peers.length > 0) void this.connectTo(message.peers, null);
    } else if (message.type === 'offer-used') {
      const a = this.parked.get(message.connId);
      if (!a) return;
      this.parked.delete(message.connId);
      a.remote = message.by;
      this.attempts.set(message.connId, a);
      a.timer = this.clock.setTimeout(() => this.drop(this.attempts, message.connId, a), OFFER_ANSWER_TIMEOUT_MS);
      this.replenish();
    } else if (message.type === 'signal') {
      if (this.banned.has(message.from)) return;
      if (message.sdp.type === 'answer') {
        const a = this.attempts.get(message.connId);
        if (a && a.remote === message.from) a.peer.signal(message.sdp);
      } else if (!this.links.has(message.from) && this.canAnswer(1)) {
        this.answer(message.from, message.connId, message.sdp);
      }
    }
  }

  /**
   * Connects to holders of `hash` the server gave us; resolves with the first link that opens,
   * or null if none opens in time.
   */
  connectTo(candidates: PeerCandidate[], hash: string | null): Promise<PeerLink | null> {
    // The server says these peers hold `hash` (or fetch it); a link we already have may not have told us yet.
    const fetcher = new Set(candidates.filter((c) => c.fetching === true).map((c) => c.peerId));
    const mark = (link: PeerLink): void => {
      if (!hash) return;
      if (fetcher.has(link.peerId)) link.markFetching(hash);
      else link.haves.add(hash);
    };
    const linked = candidates.map((c) => this.links.get(c.peerId)).filter((l): l is PeerLink => l?.isOpen === true);
    for (const l of linked) mark(l);
    if (linked[0]) return Promise.resolve(linked[0]);
    const fresh = candidates.filter((c) => !this.links.has(c.peerId) && !this.banned.has(c.peerId));
    if (fresh.length === 0) return Promise.resolve(null);
    // Several requests often discover the same peer at once: join the attempt already under way.
    const connecting = new Set([...this.attempts.values()].map((a) => a.remote));
    this.makeRoom(fresh.filter((c) => !connecting.has(c.peerId)).length);
    const room = Math.max(0, MAX_PENDING_ANSWERS - this.pending('answer'));
    let started = 0;
    return new Promise((resolve) => {
      let waiting = fresh.length;
      let settled = false;
      for (const c of fresh) {
        const onLink = (link: PeerLink | null): void => {
          waiting--;
          if (link) mark(link);
          if (settled) return;
          if (link || waiting === 0) {
            settled = true;
            resolve(link);
          }
        };
        const list = this.connectWaiters.get(c.peerId) ?? [];
        list.push(onLink);
        this.connectWaiters.set(c.peerId, list);
        if (connecting.has(c.peerId)) continue;
        if (started >= room) {
          // No room for another connection being set up: this holder counts as failed now.
          queueMicrotask(() => this.notify(c.peerId, null));
          continue;
        }
        started++;
        connecting.add(c.peerId);
        if (c.offer) this.answer(c.peerId, c.offer.connId, c.offer.sdp);
        else this.initiate(c.peerId);
      }
    });
  }

  private settledWaiters: Array<() => void> = [];

  /** Resolves when any link finishes a request (or closes), i.e. when a request slot may be free. */
  requestSettled(): Promise<void> {
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  private settled(): void {
    for (const w of this.settledWaiters.splice(0)) w();
  }

  ban(peerId: string): void {
    this.banned.add(peerId);
    this.links.get(peerId)?.close();
    this.options.onChange();
  }

  holders(hash: string): PeerLink[] {
    return [...this.links.values()].filter((l) => l.isOpen && l.haves.has(hash) && !this.banned.has(l.peerId));
  }

  /** Open links that hold `hash` or are fetching it (issue 13): whom to ask for its pieces. */
  sources(hash: string): PeerLink[] {
    return [...this.links.values()].filter((l) => l.isOpen && l.isSource(hash) && !this.banned.has(l.peerId));
  }

  /** Open links plus connections that would become links: parked offers on the server do not count. */
  private capacity(): number {
    return MAX_CONNECTIONS - this.links.size - this.attempts.size;
  }

  /** Whether `n` more answers (or relayed offers) may be set up now. */
  private canAnswer(n: number): boolean {
    return this.capacity() >= n && this.pending('answer') + n <= MAX_PENDING_ANSWERS;
  }

  /** Closes the least recently used idle links so `needed` new ones fit. */
  private makeRoom(needed: number): void {
    const idle = [...this.links.values()].filter((l) => l.inFlight === 0).sort((a, b) => a.lastUsed - b.lastUsed);
    while (this.capacity() < needed && idle.length > 0) idle.shift()!.close();
  }

  /**
   * Tops the parked offers back up to PARKED_OFFERS, within MAX_PENDING_PARKED_OFFERS and while
   * links have room. Runs whenever one may be missing: an offer taken (`offer-used`), an attempt
   * dropped (its answer never came, set-up failed or timed out), a link closed.
   */
  private replenish(): void {
    if (!this.options.parkOffers || !this.options.signal) return;
    while (
      this.parked.size < PARKED_OFFERS &&
      this.pending('parked') < MAX_PENDING_PARKED_OFFERS &&
      this.links.size + this.attempts.size < MAX_CONNECTIONS
    ) {
      void this.makeOffer().then((offer) => {
        if (!offer || this.options.signal?.send({ type: 'offers', offers: [offer] })) return;
        // Not joined: the server never got it. The next join parks fresh ones (offersForJoin).
        const a = this.parked.get(offer.connId);
        if (a) this.drop(this.parked, offer.connId, a, false);
      });
    }
  }

  private makeOffer(): Promise<ParkedOffer | null> {
    const connId = newId();
    const peer = this.newPeer(true);
    const attempt: Attempt = { peer, remote: null, timer: undefined, kind: 'parked' };
    this.parked.set(connId, attempt);
    this.wire(connId, attempt);
    return new Promise((resolve) => {
      // An offer that never comes (ICE gathering stuck) frees its place: the next replenish makes another.
      const timer = this.clock.setTimeout(() => {
        if (this.parked.get(connId) === attempt) this.drop(this.parked, connId, attempt, false);
        resolve(null);
      }, CONNECT_TIMEOUT_MS);
      peer.on('signal', (data: SignalData) => {
        if (data.type !== 'offer' || !data.sdp) return;
        this.clock.clearTimeout(timer);
        resolve({ connId, sdp: { type: 'offer', sdp: data.sdp } });
      });
    });
  }

  private answer(remote: string, connId: string, offer: Sdp): void {
    const peer = this.newPeer(false);
    const attempt: Attempt = { peer, remote, timer: undefined, kind: 'answer' };
    this.attempts.set(connId, attempt);
    this.wire(connId, attempt);
    peer.on('signal', (data: SignalData) => {
      if (data.type === 'answer' && data.sdp)
        this.options.signal?.send({ type: 'signal', to: remote, connId, sdp: { type: 'answer', sdp: data.sdp } });
    });
    attempt.timer = this.clock.setTimeout(() => this.drop(this.attempts, connId, attempt), CONNECT_TIMEOUT_MS);
    peer.signal(offer);
  }

  /** A holder with no parked offer left: we offer, it answers through the relay. */
  private initiate(remote: string): void {
    const connId = newId();
    const peer = this.newPeer(true);
    const attempt: Attempt = { peer, remote, timer: undefined, kind: 'answer' };
    this.attempts.set(connId, attempt);
    this.wire(connId, attempt);
    peer.on('signal', (data: SignalData) => {
      if (data.type === 'offer' && data.sdp)
        this.options.signal?.send({ type: 'signal', to: remote, connId, sdp: { type: 'offer', sdp: data.sdp } });
    });
    attempt.timer = this.clock.setTimeout(() => this.drop(this.attempts, connId, attempt), CONNECT_TIMEOUT_MS * 2);
  }

  private newPeer(initiator: boolean): Peer {
    return (this.options.createPeer ?? simplePeer)({ initiator, iceServers: this.options.iceServers });
  }

  private wire(connId: string, attempt: Attempt): void {
    const { peer } = attempt;
    peer.on('error', () => this.drop(this.attempts, connId, attempt));
    peer.on('close', () => this.drop(this.attempts, connId, attempt));
    peer.on('connect', () => {
      this.clock.clearTimeout(attempt.timer);
      this.attempts.delete(connId);
      this.parked.delete(connId);
      const remote = attempt.remote;
      if (!remote || this.banned.has(remote) || this.links.has(remote)) return peer.destroy();
      const link = new PeerLink(
        remote,
        peer,
        {
          ...this.options.hooks,
          onSettled: () => this.settled(),
          // A request waiting for a source of a piece may go now: one said it has it, whole or in part.
          onPieces: () => this.settled(),
          onHave: (l, hashes) => {
            this.options.hooks.onHave(l, hashes);
            this.settled();
          },
          onClose: (l) => {
            if (this.links.get(l.peerId) === l) this.links.delete(l.peerId);
            this.settled();
            this.options.onChange();
            this.replenish();
          },
          onViolation: (l, reason) => {
            console.warn(`[peer-connect] peer ${l.peerId} broke the protocol: ${reason}`);
            this.ban(l.peerId);
          },
        },
        this.clock,
      );
      this.links.set(remote, link);
      link.sendHave(this.options.localHave());
      for (const [hash, pieces] of this.options.fetchingPieces?.() ?? []) link.sendPieces(hash, pieces);
      this.options.onChange();
      this.notify(remote, link);
    });
  }

  private notify(remote: string, link: PeerLink | null): void {
    const list = this.connectWaiters.get(remote);
    this.connectWaiters.delete(remote);
    for (const w of list ?? []) w(link);
  }

  /** Ends an attempt; `refill`: park again if an offer is missing (not while a join replaces them all, nor while one cannot be made or sent). */
  private drop(map: Map<string, Attempt>, connId: string, attempt: Attempt, refill = true): void {
    this.clock.clearTimeout(attempt.timer);
    // Only a taken offer or an answer refills: a parked offer that fails on its own (its connection
    // could not even be made) would otherwise be replaced, fail and be replaced again, endlessly.
    const known = this.attempts.get(connId) === attempt;
    if (map.get(connId) === attempt) map.delete(connId);
    if (this.parked.get(connId) === attempt) this.parked.delete(connId);
    if (!attempt.peer.connected) {
      attempt.peer.destroy();
      if (attempt.remote && !this.links.has(attempt.remote)) this.notify(attempt.remote, null);
    }
    // An expired or failed attempt frees a place: park again (once: a destroyed peer's own close event finds nothing).
    if (known && refill) this.replenish();
  }
}
