/**
 * Who is in which swarm, who has what, and which offers each peer has parked: the signaling
 * server's whole state, with no sockets in it. Other peers are reached only through `PeerSink`,
 * so this file runs the same on every runtime and in unit tests.
 */
import { type Failure, fail, ok, type Result, type Success } from '../../../protocol/result.ts';
import type { ParkedOffer, PeerCandidate, Sdp, ServerMessage, SignalErrorCode } from '../../../protocol/signal-messages.ts';
import { RandomSet } from '../random-set.ts';
import { type IndexStats, SwarmTable } from '../swarm-table.ts';
import type { SignalLimits } from './signal-limits.ts';

/** How the index reaches a peer other than the one whose message it is handling. */
export interface PeerSink {
  deliver(message: ServerMessage): void;
}

interface Swarm {
  readonly id: string;
  readonly peers: Map<string, SwarmPeer>;
  /** Asset hash → peers announcing it. */
  readonly holders: Map<string, RandomSet<SwarmPeer>>;
  /** Peers holding something and with at least one parked offer: whom a newcomer is introduced to. */
  readonly offering: RandomSet<SwarmPeer>;
}

/** One joined peer; the handle its connection passes back to every index call. */
export class SwarmPeer {
  readonly haves = new Set<string>();
  offers: ParkedOffer[] = [];
  left = false;

  constructor(
    readonly swarm: Swarm,
    readonly peerId: string,
    readonly sink: PeerSink,
  ) {}
}

export interface Joined {
  peer: SwarmPeer;
  swarmSize: number;
}

/** `addHaves` succeeds once per `have` message: one shared value, not one per call. */
const ADDED: Success<void> = Object.freeze(ok(undefined));
type Limits = Pick<SignalLimits, 'maxHavePerPeer' | 'maxPeersPerSwarm' | 'maxParkedOffers' | 'maxPeersPerWant'>;

export class SwarmIndex {
  private readonly swarms = new SwarmTable<Swarm, SwarmPeer>((id) => ({
    id,
    peers: new Map(),
    holders: new Map(),
    offering: new RandomSet(),
  }));

  constructor(
    private readonly limits: Limits,
    private readonly random: () => number = Math.random,
  ) {}

  stats(): IndexStats {
    return this.swarms.stats();
  }

  join(
    swarmId: string,
    peerId: string,
    sink: PeerSink,
    have: readonly string[],
    offers: readonly ParkedOffer[],
  ): Result<Joined, SignalErrorCode> {
    const existing = this.swarms.get(swarmId);
    if (existing?.peers.has(peerId)) return fail(`peer id ${peerId} is already in swarm ${swarmId}`, 'duplicate-peer-id');
    if (existing && existing.peers.size >= this.limits.maxPeersPerSwarm)
      return fail(`swarm ${swarmId} has ${this.limits.maxPeersPerSwarm} peers`, 'swarm-full');
    if (new Set(have).size > this.limits.maxHavePerPeer) return this.tooManyHaves();
    const swarm = this.swarms.open(swarmId);
    const peer = new SwarmPeer(swarm, peerId, sink);
    this.swarms.addPeer(swarm, peerId, peer);
    this.addHaves(peer, have);
    this.parkOffers(peer, offers);
    return ok({ peer, swarmSize: swarm.peers.size });
  }

  /** Records more complete assets; refuses (changing nothing) past maxHavePerPeer distinct. */
  addHaves(peer: SwarmPeer, hashes: readonly string[]): Result<void, SignalErrorCode> {
    if (peer.left) return ADDED;
    const fresh = new Set(hashes.filter((h) => !peer.haves.has(h)));
    if (peer.haves.size + fresh.size > this.limits.maxHavePerPeer) return this.tooManyHaves();
    for (const hash of fresh) {
      peer.haves.add(hash);
      let holders = peer.swarm.holders.get(hash);
      if (!holders) peer.swarm.holders.set(hash, (holders = new RandomSet()));
      holders.add(peer);
    }
    this.updateOffering(peer);
    return ADDED;
  }

  removeHaves(peer: SwarmPeer, hashes: readonly string[]): void {
    for (const hash of hashes) {
      if (!peer.haves.delete(hash)) continue;
      const holders = peer.swarm.holders.get(hash);
      holders?.delete(peer);
      if (holders?.size === 0) peer.swarm.holders.delete(hash);
    }
    this.updateOffering(peer);
  }

  /**
   * Adds offers to the peer's parked ones. A connId already parked is replaced (a resend); past
   * maxParkedOffers the oldest go first, since an old offer is the likeliest to have gone stale.
   */
  parkOffers(peer: SwarmPeer, offers: readonly ParkedOffer[]): void {
    if (peer.left) return;
    for (const offer of offers) {
      peer.offers = peer.offers.filter((o) => o.connId !== offer.connId);
      peer.offers.push(offer);
    }
    if (peer.offers.length > this.limits.maxParkedOffers) peer.offers.splice(0, peer.offers.length - this.limits.maxParkedOffers);
    this.updateOffering(peer);
  }

  private updateOffering(peer: SwarmPeer): void {
    if (!peer.left && peer.offers.length > 0 && peer.haves.size > 0) peer.swarm.offering.add(peer);
    else peer.swarm.offering.delete(peer);
  }

  /** Hands out one parked offer of `holder` to `requester` (telling the holder), if it has one. */
  private handOut(holder: SwarmPeer, requester: SwarmPeer): PeerCandidate {
    const offer = holder.offers.shift();
    this.updateOffering(holder);
    if (!offer) return { peerId: holder.peerId };
    holder.sink.deliver({ type: 'offer-used', connId: offer.connId, by: requester.peerId });
    return { peerId: holder.peerId, offer };
  }

  /**
   * Up to `count` random peers that hold something and have an offer parked, each handing one
   * to the newcomer: it connects while its page loads, before it asks for anything.
   */
  introduce(requester: SwarmPeer, count: number): PeerCandidate[] {
    if (requester.left || count <= 0) return [];
    const n = Math.min(count, this.limits.maxPeersPerWant);
    const chosen = requester.swarm.offering.sample(n, (p) => p !== requester, 1, this.random);
    return chosen.map((holder) => this.handOut(holder, requester));
  }

  /**
   * Chooses random holders of `hash` for `requester` (never itself nor anyone in `exclude`), and
   * hands it one parked offer of each chosen holder that has one; that holder is told with
   * `offer-used` so it can answer-wait on that connId and park a fresh offer.
   */
  want(requester: SwarmPeer, hash: string, exclude: readonly string[]): PeerCandidate[] {
    const holders = requester.swarm.holders.get(hash);
    if (requester.left || !holders) return [];
    const excluded = new Set(exclude);
    const accept = (p: SwarmPeer): boolean => p !== requester && !excluded.has(p.peerId);
    const chosen = holders.sample(this.limits.maxPeersPerWant, accept, excluded.size + 1, this.random);
    return chosen.map((holder) => this.handOut(holder, requester));
  }

  /** Passes an offer/answer to a peer of the sender's own swarm; false when there is none. */
  relay(from: SwarmPeer, to: string, connId: string, sdp: Sdp): boolean {
    if (from.left || to === from.peerId) return false;
    const target = from.swarm.peers.get(to);
    if (!target) return false;
    target.sink.deliver({ type: 'signal', from: from.peerId, connId, sdp });
    return true;
  }

  /** Forgets the peer with its offers and haves. Safe to call more than once. */
  leave(peer: SwarmPeer): void {
    if (peer.left) return;
    peer.left = true;
    this.removeHaves(peer, [...peer.haves]);
    peer.offers = [];
    peer.swarm.offering.delete(peer);
    this.swarms.removePeer(peer.swarm, peer.peerId, peer);
  }

  private tooManyHaves(): Failure<'too-many-haves'> {
    return fail(`more than ${this.limits.maxHavePerPeer} assets announced`, 'too-many-haves');
  }
}
