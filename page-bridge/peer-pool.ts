/**
 * The tab's WebRTC connections: offers parked on the signaling server for newcomers, answers to
 * offers we were handed, a bounded number of open links, and the peers we no longer trust.
 */
import Peer, { type SignalData } from '@thaunknown/simple-peer/lite.js';
import { CONNECT_TIMEOUT_MS, MAX_CONNECTIONS, OFFER_ANSWER_TIMEOUT_MS, PARKED_OFFERS } from '../protocol/limits.ts';
import type { ClientMessage, ParkedOffer, PeerCandidate, Sdp, ServerMessage } from '../protocol/signal-messages.ts';
import { PeerLink, type PeerLinkHooks } from './peer-link.ts';

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
  hooks: Omit<PeerLinkHooks, 'onClose' | 'onViolation' | 'onSettled'>;
  onChange: () => void;
  /** Hashes to tell a new link we have. */
  localHave: () => string[];
  /** Makes each WebRTC peer; default simple-peer (non-trickle). Tests pass fakes. */
  createPeer?: PeerFactory;
}

/** One WebRTC peer: `initiator` makes the offer; ICE servers from the build's config. */
export type PeerFactory = (options: { initiator: boolean; iceServers: RTCIceServer[] }) => Peer;

const simplePeer: PeerFactory = ({ initiator, iceServers }) => new Peer({ initiator, trickle: false, config: { iceServers } });

type Attempt = { peer: Peer; remote: string | null; timer: ReturnType<typeof setTimeout> | undefined; wantFor?: string };

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
  /** Our offers on the server (connId → attempt), and connections being set up. */
  private readonly parked = new Map<string, Attempt>();
  private readonly attempts = new Map<string, Attempt>();
  private readonly connectWaiters = new Map<string, Array<(link: PeerLink | null) => void>>();

  constructor(private readonly options: PoolOptions) {}

  /** Fresh offers to park when (re)joining; old ones are void once the server forgets us. */
  async offersForJoin(): Promise<ParkedOffer[]> {
    for (const [connId, a] of this.parked) this.drop(this.parked, connId, a);
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
      a.timer = setTimeout(() => this.drop(this.attempts, message.connId, a), OFFER_ANSWER_TIMEOUT_MS);
      void this.replenish();
    } else if (message.type === 'signal') {
      if (this.banned.has(message.from)) return;
      if (message.sdp.type === 'answer') {
        const a = this.attempts.get(message.connId);
        if (a && a.remote === message.from) a.peer.signal(message.sdp);
      } else if (!this.links.has(message.from) && this.capacity() > 0) {
        this.answer(message.from, message.connId, message.sdp);
      }
    }
  }

  /**
   * Connects to holders of `hash` the server gave us; resolves with the first link that opens,
   * or null if none opens in time.
   */
  connectTo(candidates: PeerCandidate[], hash: string | null): Promise<PeerLink | null> {
    // The server says these peers hold `hash`; a link we already have may not have told us yet.
    const linked = candidates.map((c) => this.links.get(c.peerId)).filter((l): l is PeerLink => l?.isOpen === true);
    if (hash) for (const l of linked) l.haves.add(hash);
    if (linked[0]) return Promise.resolve(linked[0]);
    const fresh = candidates.filter((c) => !this.links.has(c.peerId) && !this.banned.has(c.peerId));
    if (fresh.length === 0) return Promise.resolve(null);
    // Several requests often discover the same peer at once: join the attempt already under way.
    const connecting = new Set([...this.attempts.values()].map((a) => a.remote));
    this.makeRoom(fresh.filter((c) => !connecting.has(c.peerId)).length);
    return new Promise((resolve) => {
      let waiting = fresh.length;
      let settled = false;
      for (const c of fresh) {
        const onLink = (link: PeerLink | null): void => {
          waiting--;
          if (link && hash) link.haves.add(hash);
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

  private capacity(): number {
    return MAX_CONNECTIONS - this.links.size - this.attempts.size;
  }

  /** Closes the least recently used idle links so `needed` new ones fit. */
  private makeRoom(needed: number): void {
    const idle = [...this.links.values()].filter((l) => l.inFlight === 0).sort((a, b) => a.lastUsed - b.lastUsed);
    while (this.capacity() < needed && idle.length > 0) idle.shift()!.close();
  }

  private async replenish(): Promise<void> {
    if (!this.options.parkOffers || this.parked.size >= PARKED_OFFERS || this.capacity() <= 0) return;
    const offer = await this.makeOffer();
    if (offer) this.options.signal?.send({ type: 'offers', offers: [offer] });
  }

  private makeOffer(): Promise<ParkedOffer | null> {
    const connId = newId();
    const peer = this.newPeer(true);
    const attempt: Attempt = { peer, remote: null, timer: undefined };
    this.parked.set(connId, attempt);
    this.wire(connId, attempt);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(null), CONNECT_TIMEOUT_MS);
      peer.on('signal', (data: SignalData) => {
        if (data.type !== 'offer' || !data.sdp) return;
        clearTimeout(timer);
        resolve({ connId, sdp: { type: 'offer', sdp: data.sdp } });
      });
    });
  }

  private answer(remote: string, connId: string, offer: Sdp): void {
    const peer = this.newPeer(false);
    const attempt: Attempt = { peer, remote, timer: undefined };
    this.attempts.set(connId, attempt);
    this.wire(connId, attempt);
    peer.on('signal', (data: SignalData) => {
      if (data.type === 'answer' && data.sdp)
        this.options.signal?.send({ type: 'signal', to: remote, connId, sdp: { type: 'answer', sdp: data.sdp } });
    });
    attempt.timer = setTimeout(() => this.drop(this.attempts, connId, attempt), CONNECT_TIMEOUT_MS);
    peer.signal(offer);
  }

  /** A holder with no parked offer left: we offer, it answers through the relay. */
  private initiate(remote: string): void {
    const connId = newId();
    const peer = this.newPeer(true);
    const attempt: Attempt = { peer, remote, timer: undefined };
    this.attempts.set(connId, attempt);
    this.wire(connId, attempt);
    peer.on('signal', (data: SignalData) => {
      if (data.type === 'offer' && data.sdp)
        this.options.signal?.send({ type: 'signal', to: remote, connId, sdp: { type: 'offer', sdp: data.sdp } });
    });
    attempt.timer = setTimeout(() => this.drop(this.attempts, connId, attempt), CONNECT_TIMEOUT_MS * 2);
  }

  private newPeer(initiator: boolean): Peer {
    return (this.options.createPeer ?? simplePeer)({ initiator, iceServers: this.options.iceServers });
  }

  private wire(connId: string, attempt: Attempt): void {
    const { peer } = attempt;
    peer.on('error', () => this.drop(this.attempts, connId, attempt));
    peer.on('close', () => this.drop(this.attempts, connId, attempt));
    peer.on('connect', () => {
      clearTimeout(attempt.timer);
      this.attempts.delete(connId);
      this.parked.delete(connId);
      const remote = attempt.remote;
      if (!remote || this.banned.has(remote) || this.links.has(remote)) return peer.destroy();
      const link = new PeerLink(remote, peer, {
        ...this.options.hooks,
        onSettled: () => this.settled(),
        onClose: (l) => {
          if (this.links.get(l.peerId) === l) this.links.delete(l.peerId);
          this.settled();
          this.options.onChange();
        },
        onViolation: (l, reason) => {
          console.warn(`[peer-connect] peer ${l.peerId} broke the protocol: ${reason}`);
          this.ban(l.peerId);
        },
      });
      this.links.set(remote, link);
      link.sendHave(this.options.localHave());
      this.options.onChange();
      this.notify(remote, link);
    });
  }

  private notify(remote: string, link: PeerLink | null): void {
    const list = this.connectWaiters.get(remote);
    this.connectWaiters.delete(remote);
    for (const w of list ?? []) w(link);
  }

  private drop(map: Map<string, Attempt>, connId: string, attempt: Attempt): void {
    clearTimeout(attempt.timer);
    if (map.get(connId) === attempt) map.delete(connId);
    if (this.parked.get(connId) === attempt) this.parked.delete(connId);
    if (!attempt.peer.connected) {
      attempt.peer.destroy();
      if (attempt.remote && !this.links.has(attempt.remote)) this.notify(attempt.remote, null);
    }
  }
}
