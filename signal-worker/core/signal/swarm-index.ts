/**
 * Who is in which swarm, who has what, and which offers each peer has parked: the signaling
 * server's whole state, with no sockets in it. Other peers are reached only through `PeerSink`,
 * so this file runs the same on every runtime and in unit tests.
 *
 * Everything it holds is bounded (README "Limits and deadlines"): swarms, peers, peers of one
 * address in one swarm, distinct hashes per swarm and in all, (peer, hash) announcements, and
 * how many offers a requester may take from a holder or hold unanswered.
 */
import { MAX_FETCHING_PER_PEER } from '../../../protocol/limits.ts';
import { type Failure, fail, ok, type Result, type Success } from '../../../protocol/result.ts';
import type { ParkedOffer, PeerCandidate, Sdp, ServerMessage, SignalErrorCode } from '../../../protocol/signal-messages.ts';
import { RandomSet } from '../random-set.ts';
import { type IndexStats, SwarmTable } from '../swarm-table.ts';
import type { SignalLimits } from './signal-limits.ts';

/** How the index reaches a peer other than the one whose message it is handling. */
export interface PeerSink {
  /**
   * Sends `message`; false when it was not sent because the peer's socket is not reading (its
   * queue is past its bound): that peer's connection has then been closed and has left.
   */
  deliver(message: ServerMessage): boolean;
  /** When the peer last sent a frame, in clock ms: a full swarm evicts the idle one silent longest. */
  lastHeardAt(): number;
  /** Closes the peer's connection with `failure` (it leaves the index as it closes). */
  evict(failure: Failure<'evicted'>): void;
}

interface Swarm {
  readonly id: string;
  readonly peers: Map<string, SwarmPeer>;
  /** Asset hash → peers announcing it. */
  readonly holders: Map<string, RandomSet<SwarmPeer>>;
  /** Asset hash → peers fetching it (some of its pieces held, the rest coming): listed after the holders. */
  readonly fetchers: Map<string, RandomSet<SwarmPeer>>;
  /** Peers holding something and with at least one parked offer: whom a newcomer is introduced to. */
  readonly offering: RandomSet<SwarmPeer>;
  /**
   * Peers with a parked offer that hold and fetch nothing yet: visitors still loading a page,
   * whom a newcomer is introduced to when too few hold anything (a crowd arriving together).
   */
  readonly loading: RandomSet<SwarmPeer>;
  /** Client address → joined peers from it, for `maxPeersPerAddressInSwarm`. */
  readonly byAddress: Map<string, number>;
}

/** What one requester took of others' parked offers (see `SwarmIndex.mayTakeOffer`). */
interface OfferLedger {
  /** Start of the current offer window, in clock ms. */
  windowStart: number;
  /** Offers taken in the current window, by holder peer id. */
  takenFrom: Map<string, number>;
  /** Holders in `takenFrom` whose share for this window is used up: kept as a count so `want` never walks the map. */
  spent: number;
  /** Offers it took and has not answered, by connId, with their holder. */
  unanswered: Map<string, SwarmPeer>;
  /** Until when (clock ms) it gets no offers, having asked for more while holding too many unanswered. */
  cooldownUntil: number;
}

/** One joined peer; the handle its connection passes back to every index call. */
export class SwarmPeer {
  readonly haves = new Set<string>();
  /**
   * Assets it is fetching, oldest first, each with its rank when it registered (the fetchers
   * before it): at most MAX_FETCHING_PER_PEER; its `have` of one ends it.
   */
  readonly fetching = new Map<string, number>();
  offers: ParkedOffer[] = [];
  left = false;
  /** As a requester: what it took of others' offers; made on its first `want`, so a peer that never asks costs nothing for it. */
  ledger: OfferLedger | null = null;

  constructor(
    readonly swarm: Swarm,
    readonly peerId: string,
    readonly sink: PeerSink,
    /** The client address its socket came from; null where the runtime did not say. */
    readonly address: string | null,
  ) {}

  /** Holds nothing the swarm can use: no hash announced, no offer parked. */
  get holdsNothing(): boolean {
    return this.haves.size === 0 && this.fetching.size === 0 && this.offers.length === 0;
  }
}

export interface Joined {
  peer: SwarmPeer;
  swarmSize: number;
}

/** `addHaves` succeeds once per `have` message: one shared value, not one per call. */
const ADDED: Success<void> = Object.freeze(ok(undefined));
type Limits = Pick<
  SignalLimits,
  | 'maxHavePerPeer'
  | 'maxPeersPerSwarm'
  | 'maxParkedOffers'
  | 'maxPeersPerWant'
  | 'maxSwarms'
  | 'maxPeers'
  | 'maxPeersPerAddressInSwarm'
  | 'maxHashesPerSwarm'
  | 'maxHashes'
  | 'maxHaveEntries'
  | 'maxParkedOfferChars'
  | 'offerWindowMs'
  | 'maxOffersPerHolderPerRequester'
  | 'maxUnansweredOffers'
  | 'offerCooldownMs'
>;

export class SwarmIndex {
  private readonly swarms = new SwarmTable<Swarm, SwarmPeer>((id) => ({
    id,
    peers: new Map(),
    holders: new Map(),
    fetchers: new Map(),
    offering: new RandomSet(),
    loading: new RandomSet(),
    byAddress: new Map(),
  }));
  /** Distinct (swarm, hash) pairs: the sum of every swarm's `holders.size`. */
  private hashCount = 0;
  /** (peer, hash) announcements: the sum of every peer's `haves.size`. */
  private haveCount = 0;
  /** SDP characters of every parked offer, for `maxParkedOfferChars`. */
  private offerChars = 0;

  constructor(
    private readonly limits: Limits,
    private readonly random: () => number = Math.random,
  ) {}

  stats(): IndexStats {
    return this.swarms.stats();
  }

  /**
   * Adds a peer. A full swarm makes room by evicting its idle non-holder silent longest (one that
   * announced nothing and parked no offer), and refuses only when every member holds something.
   */
  join(
    swarmId: string,
    peerId: string,
    sink: PeerSink,
    have: readonly string[],
    offers: readonly ParkedOffer[],
    address: string | null = null,
  ): Result<Joined, SignalErrorCode> {
    const existing = this.swarms.get(swarmId);
    if (existing?.peers.has(peerId)) return fail(`peer id ${peerId} is already in swarm ${swarmId}`, 'duplicate-peer-id');
    // Checked before anyone is evicted to make room: a newcomer refused anyway must cost no one their place.
    const room = this.haveRoom(swarmId, existing, 0, new Set(have));
    if (room) return room;
    if (!existing && this.swarms.size >= this.limits.maxSwarms)
      return fail(`this server holds ${this.limits.maxSwarms} swarms`, 'server-full');
    if (existing && address !== null && (existing.byAddress.get(address) ?? 0) >= this.limits.maxPeersPerAddressInSwarm)
      return fail(`${this.limits.maxPeersPerAddressInSwarm} peers from one address in swarm ${swarmId}`, 'too-many-peers');
    if (existing && existing.peers.size >= this.limits.maxPeersPerSwarm) {
      const idle = this.idlestNonHolder(existing);
      if (!idle) return fail(`swarm ${swarmId} has ${this.limits.maxPeersPerSwarm} peers, all holding something`, 'swarm-full');
      idle.sink.evict(fail(`swarm ${swarmId} is full and you held nothing: a newcomer took your place`, 'evicted'));
      // A sink that did not leave as it closed would leave the swarm over its limit.
      this.leave(idle);
    }
    if (this.swarms.stats().peers >= this.limits.maxPeers) return fail(`this server holds ${this.limits.maxPeers} peers`, 'server-full');
    const swarm = this.swarms.open(swarmId);
    const peer = new SwarmPeer(swarm, peerId, sink, address);
    this.swarms.addPeer(swarm, peerId, peer);
    if (address !== null) swarm.byAddress.set(address, (swarm.byAddress.get(address) ?? 0) + 1);
    const added = this.addHaves(peer, have);
    if (!added.ok) {
      this.leave(peer);
      return added;
    }
    this.parkOffers(peer, offers);
    return ok({ peer, swarmSize: swarm.peers.size });
  }

  /** The member that holds nothing and was heard from longest ago, if any. */
  private idlestNonHolder(swarm: Swarm): SwarmPeer | null {
    let idlest: SwarmPeer | null = null;
    let idlestAt = Number.POSITIVE_INFINITY;
    for (const peer of swarm.peers.values()) {
      if (!peer.holdsNothing) continue;
      const at = peer.sink.lastHeardAt();
      if (at < idlestAt) {
        idlest = peer;
        idlestAt = at;
      }
    }
    return idlest;
  }

  /**
   * Records more complete assets; refuses (changing nothing) past maxHavePerPeer distinct
   * (`too-many-haves`), past the swarm's distinct hashes (`too-many-hashes`) or past the
   * server's hashes or announcements (`server-full`).
   */
  addHaves(peer: SwarmPeer, hashes: readonly string[]): Result<void, SignalErrorCode> {
    if (peer.left) return ADDED;
    const fresh = new Set(hashes.filter((h) => !peer.haves.has(h)));
    if (fresh.size === 0) return ADDED;
    const room = this.haveRoom(peer.swarm.id, peer.swarm, peer.haves.size, fresh);
    if (room) return room;
    for (const hash of fresh) {
      this.stopFetching(peer, hash);
      peer.haves.add(hash);
      let holders = peer.swarm.holders.get(hash);
      if (!holders) {
        peer.swarm.holders.set(hash, (holders = new RandomSet()));
        this.hashCount++;
      }
      holders.add(peer);
    }
    this.haveCount += fresh.size;
    this.updateOffering(peer);
    return ADDED;
  }

  /**
   * Why `fresh` hashes (none held yet by a peer holding `held`) cannot be announced in swarm
   * `swarmId` (`swarm`, or none yet), or null when they can.
   */
  private haveRoom(swarmId: string, swarm: Swarm | undefined, held: number, fresh: ReadonlySet<string>): Failure<SignalErrorCode> | null {
    if (held + fresh.size > this.limits.maxHavePerPeer) return this.tooManyHaves();
    let newToSwarm = 0;
    for (const hash of fresh) if (!swarm?.holders.has(hash)) newToSwarm++;
    if ((swarm?.holders.size ?? 0) + newToSwarm > this.limits.maxHashesPerSwarm)
      return fail(`swarm ${swarmId} holds ${this.limits.maxHashesPerSwarm} distinct hashes`, 'too-many-hashes');
    if (this.hashCount + newToSwarm > this.limits.maxHashes)
      return fail(`this server holds ${this.limits.maxHashes} hashes`, 'server-full');
    if (this.haveCount + fresh.size > this.limits.maxHaveEntries)
      return fail(`this server holds ${this.limits.maxHaveEntries} announcements`, 'server-full');
    return null;
  }

  removeHaves(peer: SwarmPeer, hashes: readonly string[]): void {
    for (const hash of hashes) {
      if (!peer.haves.delete(hash)) continue;
      this.haveCount--;
      const holders = peer.swarm.holders.get(hash);
      holders?.delete(peer);
      if (holders?.size === 0) {
        peer.swarm.holders.delete(hash);
        this.hashCount--;
      }
    }
    this.updateOffering(peer);
  }

  /**
   * Registers `peer` as fetching `hash` (a `want` with `fetching`), unless it holds it; past
   * MAX_FETCHING_PER_PEER its oldest registration is dropped. Soft state: not in snapshots.
   */
  private startFetching(peer: SwarmPeer, hash: string): void {
    if (peer.left || peer.haves.has(hash) || peer.fetching.has(hash)) return;
    while (peer.fetching.size >= MAX_FETCHING_PER_PEER) {
      const oldest = peer.fetching.keys().next().value;
      if (oldest === undefined) break;
      this.stopFetching(peer, oldest);
    }
    peer.fetching.set(hash, this.fetchersOf(peer, hash));
    let fetchers = peer.swarm.fetchers.get(hash);
    if (!fetchers) peer.swarm.fetchers.set(hash, (fetchers = new RandomSet()));
    fetchers.add(peer);
    this.updateOffering(peer);
  }

  private stopFetching(peer: SwarmPeer, hash: string): void {
    if (!peer.fetching.delete(hash)) return;
    const fetchers = peer.swarm.fetchers.get(hash);
    fetchers?.delete(peer);
    if (fetchers?.size === 0) peer.swarm.fetchers.delete(hash);
  }

  /**
   * Adds offers to the peer's parked ones. A connId already parked is replaced (a resend); past
   * maxParkedOffers the oldest go first, since an old offer is the likeliest to have gone stale.
   * An offer that would take the server past maxParkedOfferChars is not parked.
   */
  parkOffers(peer: SwarmPeer, offers: readonly ParkedOffer[]): void {
    if (peer.left) return;
    for (const offer of offers) {
      const resent = peer.offers.find((o) => o.connId === offer.connId);
      if (resent) this.unpark(peer, resent);
      if (this.offerChars + offer.sdp.sdp.length > this.limits.maxParkedOfferChars) continue;
      peer.offers.push(offer);
      this.offerChars += offer.sdp.sdp.length;
    }
    while (peer.offers.length > this.limits.maxParkedOffers) this.unpark(peer, peer.offers[0] as ParkedOffer);
    this.updateOffering(peer);
  }

  /** Takes one of the peer's parked offers off the server. */
  private unpark(peer: SwarmPeer, offer: ParkedOffer): void {
    const at = peer.offers.indexOf(offer);
    if (at < 0) return;
    peer.offers.splice(at, 1);
    this.offerChars -= offer.sdp.sdp.length;
  }

  private updateOffering(peer: SwarmPeer): void {
    const offering = !peer.left && peer.offers.length > 0;
    const useful = peer.haves.size > 0 || peer.fetching.size > 0;
    if (offering && useful) peer.swarm.offering.add(peer);
    else peer.swarm.offering.delete(peer);
    if (offering && !useful) peer.swarm.loading.add(peer);
    else peer.swarm.loading.delete(peer);
  }

  /**
   * Whether `requester` may take one more offer of `holder` now: not in its cooldown, not holding
   * maxUnansweredOffers it never answered (asking for more then starts the cooldown), and under
   * maxOffersPerHolderPerRequester from that holder in the current window. Starts a new window
   * (forgetting the old counts) when the last one is over.
   */
  private mayTakeOffer(holder: SwarmPeer, requester: SwarmPeer, now: number): boolean {
    const ledger = (requester.ledger ??= { windowStart: now, takenFrom: new Map(), spent: 0, unanswered: new Map(), cooldownUntil: 0 });
    if (now < ledger.cooldownUntil) return false;
    if (ledger.unanswered.size >= this.limits.maxUnansweredOffers) {
      // It asks for more while holding that many it never answered: a drainer, not a visitor.
      ledger.cooldownUntil = now + this.limits.offerCooldownMs;
      ledger.unanswered.clear();
      return false;
    }
    if (now - ledger.windowStart >= this.limits.offerWindowMs) {
      ledger.windowStart = now;
      ledger.takenFrom.clear();
      ledger.spent = 0;
    }
    return (ledger.takenFrom.get(holder.peerId) ?? 0) < this.limits.maxOffersPerHolderPerRequester;
  }

  /** Counts an offer taken, against its holder's share and as unanswered until its answer is relayed. */
  private recordTaken(holder: SwarmPeer, ledger: OfferLedger, connId: string): void {
    const taken = (ledger.takenFrom.get(holder.peerId) ?? 0) + 1;
    ledger.takenFrom.set(holder.peerId, taken);
    if (taken === this.limits.maxOffersPerHolderPerRequester) ledger.spent++;
    ledger.unanswered.set(connId, holder);
  }

  /**
   * Hands out one parked offer of `holder` to `requester` (telling the holder), if it has one and
   * the requester may take it; otherwise lists the holder without an offer (the requester then
   * offers itself through `signal`). Null when the holder turned out not to read its socket.
   */
  private handOut(holder: SwarmPeer, requester: SwarmPeer, now: number): PeerCandidate | null {
    if (holder.offers.length === 0 || !this.mayTakeOffer(holder, requester, now)) return { peerId: holder.peerId };
    const offer = holder.offers[0] as ParkedOffer;
    if (!holder.sink.deliver({ type: 'offer-used', connId: offer.connId, by: requester.peerId })) return null;
    this.unpark(holder, offer);
    this.updateOffering(holder);
    if (requester.ledger) this.recordTaken(holder, requester.ledger, offer.connId);
    return { peerId: holder.peerId, offer };
  }

  private handOutAll(chosen: readonly SwarmPeer[], requester: SwarmPeer, now: number): PeerCandidate[] {
    const out: PeerCandidate[] = [];
    for (const holder of chosen) {
      const candidate = this.handOut(holder, requester, now);
      if (candidate) out.push(candidate);
    }
    return out;
  }

  /**
   * Up to `count` random peers that hold (or fetch) something and have an offer parked, each
   * handing one to the newcomer: it connects while its page loads, before it asks for anything.
   * Too few of those, and the rest are peers still loading (an offer parked, nothing held yet),
   * as a BitTorrent tracker names leechers as well as seeders (BEP 3): in a crowd arriving
   * together nobody holds anything yet, and links made while the pages load are ready when
   * their images are asked for, instead of being set up then, past the worker's hedge delay
   * (issue 13). Bounded probes: a join costs O(count) whatever the swarm's size.
   */
  introduce(requester: SwarmPeer, count: number, now: number): PeerCandidate[] {
    if (requester.left || count <= 0) return [];
    const n = Math.min(count, this.limits.maxPeersPerWant);
    const { offering, loading } = requester.swarm;
    const chosen = offering.sample(n, (p) => p !== requester, 1, this.random);
    if (chosen.length < n) chosen.push(...loading.sample(n - chosen.length, (p) => p !== requester, 1, this.random));
    return this.handOutAll(chosen, requester, now);
  }

  /**
   * Chooses random holders of `hash` for `requester` (never itself nor anyone in `exclude`), and
   * hands it one parked offer of each chosen holder that has one and that it may take; that
   * holder is told with `offer-used` so it can answer-wait on that connId and park a fresh offer.
   */
  want(requester: SwarmPeer, hash: string, exclude: readonly string[], now: number, fetching = false): PeerCandidate[] {
    if (requester.left) return [];
    const found = this.holdersFor(requester, hash, exclude, now);
    const room = this.limits.maxPeersPerWant - found.length;
    const fetchers = requester.swarm.fetchers.get(hash);
    if (room > 0 && fetchers) {
      // Visitors arriving together: peers fetching it hold some pieces now and the rest soon.
      const listed = new Set(found.map((c) => c.peerId));
      const excluded = new Set(exclude);
      const accept = (p: SwarmPeer): boolean => p !== requester && !excluded.has(p.peerId) && !listed.has(p.peerId);
      const chosen = this.roomFirst(fetchers, room, accept, excluded.size + listed.size + 1);
      for (const c of this.handOutAll(chosen, requester, now)) found.push({ ...c, fetching: true });
    }
    if (fetching) this.startFetching(requester, hash);
    return found;
  }

  /**
   * The rank a `want` with `fetching` answers: the rank `requester` registered with, or, not
   * registered yet, the peers fetching `hash` now. Kept for its later wants (a large asset's next
   * windows, each its own session): counted again, every member of a group of N would read N − 1.
   */
  rankOf(requester: SwarmPeer, hash: string): number {
    return requester.fetching.get(hash) ?? this.fetchersOf(requester, hash);
  }

  /** Peers fetching `hash` now, `requester` aside: its rank, when asked before it registers. */
  fetchersOf(requester: SwarmPeer, hash: string): number {
    const fetchers = requester.swarm.fetchers.get(hash);
    return (fetchers?.size ?? 0) - (fetchers?.has(requester) ? 1 : 0);
  }

  /** Up to maxPeersPerWant holders of `hash` (see `want`). */
  private holdersFor(requester: SwarmPeer, hash: string, exclude: readonly string[], now: number): PeerCandidate[] {
    const holders = requester.swarm.holders.get(hash);
    if (!holders) return [];
    const excluded = new Set(exclude);
    const accept = (p: SwarmPeer): boolean => p !== requester && !excluded.has(p.peerId);
    const max = this.limits.maxPeersPerWant;
    const ledger = this.spentLedger(requester, now);
    if (ledger === null) return this.handOutAll(this.roomFirst(holders, max, accept, excluded.size + 1), requester, now);
    // Holders whose offers it may still take come first; the others only fill what is left, listed without one.
    const share = this.limits.maxOffersPerHolderPerRequester;
    const unspent = (p: SwarmPeer): boolean => accept(p) && (ledger.takenFrom.get(p.peerId) ?? 0) < share;
    const fresh = holders.sample(max, unspent, excluded.size + 1 + ledger.spent, this.random);
    if (fresh.length === max) return this.handOutAll(fresh, requester, now);
    const taken = new Set(fresh);
    const rest = holders.sample(max - fresh.length, (p) => accept(p) && !taken.has(p), excluded.size + 1 + taken.size, this.random);
    return this.handOutAll([...fresh, ...rest], requester, now);
  }

  /**
   * Up to `count` of `set` that `accept` takes, those with a parked offer first: a bridge parks
   * offers only while it has room for another link (page-bridge/peer-pool.ts replenish), so one
   * without any is likely full and would refuse the newcomer. Visitors arriving together
   * otherwise pile onto the first few, whose links are all taken. The preference costs a bounded
   * number of random probes, never a walk of the set.
   */
  private roomFirst(set: RandomSet<SwarmPeer>, count: number, accept: (p: SwarmPeer) => boolean, rejectable: number): SwarmPeer[] {
    const first = set.probeSome(count, (p) => p.offers.length > 0 && accept(p), 8 * (count + rejectable), this.random);
    if (first.length >= count) return first;
    const taken = new Set(first);
    return [...first, ...set.sample(count - first.length, (p) => accept(p) && !taken.has(p), rejectable + taken.size, this.random)];
  }

  /**
   * The requester's ledger when it has used up some holder's share in the current window; null
   * when none is spent, or when it may take none at all (cooldown), where preferring some holders
   * would change nothing.
   */
  private spentLedger(requester: SwarmPeer, now: number): OfferLedger | null {
    const ledger = requester.ledger;
    if (!ledger || ledger.spent === 0 || now < ledger.cooldownUntil || now - ledger.windowStart >= this.limits.offerWindowMs) return null;
    return ledger;
  }

  /**
   * Passes an offer/answer to a peer of the sender's own swarm. An answer to an offer the sender
   * took from that peer counts as answered. `peer-busy` when the target is not reading its
   * socket (it is closed, the relay dropped); `not-in-swarm`-like misses are not failures: the
   * sender's connect attempt simply times out, as when a peer leaves.
   */
  relay(from: SwarmPeer, to: string, connId: string, sdp: Sdp): Result<void, 'peer-busy'> {
    if (from.left || to === from.peerId) return ADDED;
    const target = from.swarm.peers.get(to);
    if (!target) return ADDED;
    if (sdp.type === 'answer' && from.ledger?.unanswered.get(connId) === target) from.ledger.unanswered.delete(connId);
    if (!target.sink.deliver({ type: 'signal', from: from.peerId, connId, sdp })) {
      return fail(`${to} is not reading its messages: relay dropped, and its connection closed`, 'peer-busy');
    }
    return ADDED;
  }

  /** Forgets the peer with its offers and haves. Safe to call more than once. */
  leave(peer: SwarmPeer): void {
    if (peer.left) return;
    peer.left = true;
    this.removeHaves(peer, [...peer.haves]);
    for (const hash of [...peer.fetching.keys()]) this.stopFetching(peer, hash);
    for (const offer of peer.offers) this.offerChars -= offer.sdp.sdp.length;
    peer.offers = [];
    peer.ledger = null;
    peer.swarm.offering.delete(peer);
    peer.swarm.loading.delete(peer);
    if (this.swarms.removePeer(peer.swarm, peer.peerId, peer) && peer.address !== null) {
      const left = (peer.swarm.byAddress.get(peer.address) ?? 1) - 1;
      if (left > 0) peer.swarm.byAddress.set(peer.address, left);
      else peer.swarm.byAddress.delete(peer.address);
    }
  }

  private tooManyHaves(): Failure<'too-many-haves'> {
    return fail(`more than ${this.limits.maxHavePerPeer} assets announced`, 'too-many-haves');
  }
}
