/**
 * The tracker's whole state with no sockets in it: torrent swarms, their peers, the counts that
 * announce and scrape report, and who forwards offers and answers to whom. Peers are reached
 * through `TrackerSink`, so this file runs the same on every runtime and in unit tests.
 *
 * Behaviour follows bittorrent-tracker's server (lib/server/swarm.js, server.js) where a client
 * can tell, and differs where it only protects the server: swarms and peers are bounded and
 * refused past the bound (not LRU-evicted), a peer_id belongs to one connection, a seeder's
 * offers go only to peers still downloading, and `downloaded` counts real completions.
 *
 * Against hostile clients (issue 11): a connection holds at most
 * `maxPeerIdsPerConnectionInSwarm` peer ids in one torrent; a full swarm makes room for a
 * connection new to it by evicting a peer of the connection holding the most peer ids there
 * (the longest silent of them), and refuses only when every connection there holds one; and
 * each peer has an `OfferBudget`, so offers delivered to it are rate-limited in total and per
 * sending connection.
 *
 * Per-address counting is not done: the socket layer gives the core no client address
 * (`ClientSocket` has none). The hook is `Swarm.bySink`: keyed by address instead of connection
 * (with a larger cap, for NAT), the same cap and eviction would count per address.
 */
import { fail, ok, type Result, type Success } from '../../../protocol/result.ts';
import type { AnnounceRequest, BinaryId, ScrapeFile, TrackerAnswer, TrackerResponse } from '../../../protocol/tracker-messages.ts';
import { RandomSet } from '../random-set.ts';
import { type IndexStats, SwarmTable } from '../swarm-table.ts';
import { bucketRule, OfferBudget, type OfferBudgetRules } from './offer-budget.ts';
import type { TrackerLimits } from './tracker-limits.ts';

/** How the index reaches a connection (one per WebSocket; it may hold many peers). */
export interface TrackerSink {
  deliver(response: TrackerResponse): void;
}

/** What an announce response reports of a swarm. */
export interface SwarmCounts {
  readonly complete: number;
  readonly incomplete: number;
}

interface Swarm extends SwarmCounts {
  /** The torrent's info_hash. */
  readonly id: BinaryId;
  readonly peers: Map<BinaryId, TrackerPeer>;
  /** The same peers, for O(1) random choice of whom to forward an offer to. */
  readonly members: RandomSet<TrackerPeer>;
  complete: number;
  incomplete: number;
  /** `completed` events seen while this swarm existed (it is forgotten once empty). */
  downloaded: number;
  /** Each connection's peers in this swarm, in the order they joined (see the per-connection cap). */
  readonly bySink: Map<TrackerSink, TrackerPeer[]>;
}

class TrackerPeer {
  constructor(
    readonly swarm: Swarm,
    readonly peerId: BinaryId,
    readonly sink: TrackerSink,
    public complete: boolean,
    public lastSeen: number,
  ) {}

  /** Offers this peer may still be handed; made at the first offer toward it. */
  budget: OfferBudget<TrackerSink> | null = null;
}

/** One peer of one torrent as plain data, for a runtime that must rebuild the index after eviction. */
export interface TrackerMembership {
  infoHash: BinaryId;
  peerId: BinaryId;
  complete: boolean;
  lastSeen: number;
}

/** Why the index refused an announce or an answer (the wire carries only the message, as `failure reason`). */
export type TrackerIndexCode =
  | 'peer-id-in-use'
  | 'swarm-full'
  | 'tracker-full'
  | 'too-many-torrents'
  | 'too-many-peer-ids'
  | 'not-in-swarm';

const NO_PEERS: SwarmCounts = Object.freeze({ complete: 0, incomplete: 0 });
/** `relayAnswer` succeeds once per answer: one shared value, not one per call. */
const RELAYED: Success<void> = Object.freeze(ok(undefined));

export type TrackerIndexLimits = Pick<
  TrackerLimits,
  | 'maxPeersPerSwarm'
  | 'maxSwarms'
  | 'maxMembershipsPerConnection'
  | 'maxPeerIdsPerConnectionInSwarm'
  | 'offerBurstPerTarget'
  | 'offersPerTargetPerMinute'
  | 'offerBurstPerSenderToTarget'
  | 'offersPerSenderToTargetPerMinute'
  | 'announceIntervalS'
  | 'minAnnounceIntervalS'
>;

export class TrackerIndex {
  private readonly swarms = new SwarmTable<Swarm, TrackerPeer>((id) => ({
    id,
    peers: new Map(),
    members: new RandomSet(),
    complete: 0,
    incomplete: 0,
    downloaded: 0,
    bySink: new Map(),
  }));
  /** Every peer a connection announced, so closing it (or counting its memberships) is O(its peers). */
  private readonly bySink = new Map<TrackerSink, Set<TrackerPeer>>();
  private readonly budgetRules: OfferBudgetRules;

  constructor(
    private readonly limits: TrackerIndexLimits,
    private readonly random: () => number = Math.random,
  ) {
    this.budgetRules = {
      target: bucketRule(limits.offerBurstPerTarget, limits.offersPerTargetPerMinute),
      perSender: bucketRule(limits.offerBurstPerSenderToTarget, limits.offersPerSenderToTargetPerMinute),
    };
  }

  stats(): IndexStats {
    return this.swarms.stats();
  }

  /**
   * Applies one announce (not an answer) from `sink`, then forwards its offers to up to
   * `request.numwant` random other peers of the swarm. Returns the counts for the response.
   */
  announce(request: AnnounceRequest, sink: TrackerSink, now: number): Result<SwarmCounts, TrackerIndexCode> {
    const swarm = this.swarms.get(request.infoHash);
    const existing = swarm?.peers.get(request.peerId);
    // Peer ids travel with every forwarded offer, so anyone in the swarm knows them: a second
    // connection claiming one would steal the answers meant for it.
    if (existing && existing.sink !== sink) return fail('peer_id is in use by another connection', 'peer-id-in-use');

    if (request.event === 'stopped') {
      if (existing) this.remove(existing);
      return this.counts(swarm);
    }

    let peer = existing;
    if (!peer) {
      const joined = this.join(request, sink, swarm, now);
      if (!joined.ok) return joined;
      peer = joined.value;
    } else {
      peer.lastSeen = now;
      if (!peer.complete && (request.left === 0 || request.event === 'completed')) {
        this.markComplete(peer);
        if (request.event === 'completed') peer.swarm.downloaded++;
      }
    }
    this.forwardOffers(peer, request, now);
    return this.counts(peer.swarm);
  }

  /**
   * Relays an answer to the peer whose offer it answers. The sender must be in the swarm on this
   * connection (it was sent the offer as a member); a target that has left is not an error: the
   * offerer's own offer timeout cleans up, exactly as with bittorrent-tracker.
   */
  relayAnswer(
    infoHash: BinaryId,
    fromPeerId: BinaryId,
    sink: TrackerSink,
    answer: TrackerAnswer,
    now: number,
  ): Result<void, TrackerIndexCode> {
    const swarm = this.swarms.get(infoHash);
    const from = swarm?.peers.get(fromPeerId);
    if (!swarm || !from || from.sink !== sink) return fail('answer from a peer that has not announced in this swarm', 'not-in-swarm');
    from.lastSeen = now;
    const to = swarm.peers.get(answer.toPeerId);
    if (to && to !== from) {
      to.sink.deliver({ action: 'announce', info_hash: infoHash, peer_id: fromPeerId, offer_id: answer.offerId, answer: answer.answer });
    }
    return RELAYED;
  }

  scrape(infoHashes: readonly BinaryId[]): Record<BinaryId, ScrapeFile> {
    const files: Record<BinaryId, ScrapeFile> = {};
    for (const infoHash of infoHashes) {
      const swarm = this.swarms.get(infoHash);
      files[infoHash] = { complete: swarm?.complete ?? 0, incomplete: swarm?.incomplete ?? 0, downloaded: swarm?.downloaded ?? 0 };
    }
    return files;
  }

  isMember(infoHash: BinaryId, peerId: BinaryId, sink: TrackerSink): boolean {
    return this.swarms.get(infoHash)?.peers.get(peerId)?.sink === sink;
  }

  /** Whether `sink` holds `peerId` in any torrent (an announce of it elsewhere mints no new peer id). O(its memberships). */
  holdsPeerId(sink: TrackerSink, peerId: BinaryId): boolean {
    for (const peer of this.bySink.get(sink) ?? []) if (peer.peerId === peerId) return true;
    return false;
  }

  membershipCount(sink: TrackerSink): number {
    return this.bySink.get(sink)?.size ?? 0;
  }

  /** What `sink` has announced, for a snapshot of its connection. */
  memberships(sink: TrackerSink): TrackerMembership[] {
    return [...(this.bySink.get(sink) ?? [])].map((p) => ({
      infoHash: p.swarm.id,
      peerId: p.peerId,
      complete: p.complete,
      lastSeen: p.lastSeen,
    }));
  }

  /**
   * Puts back a membership taken by `memberships`. The swarm limits were checked when it was first
   * announced, so only a peer id another connection holds by now is skipped (false).
   */
  restore(sink: TrackerSink, membership: TrackerMembership): boolean {
    const swarm = this.swarms.open(membership.infoHash);
    if (swarm.peers.has(membership.peerId)) return false;
    this.admit(new TrackerPeer(swarm, membership.peerId, sink, membership.complete, membership.lastSeen));
    return true;
  }

  /** The connection closed: all its peers leave their swarms (bittorrent-tracker's synthetic `stopped`). */
  dropSink(sink: TrackerSink): void {
    for (const peer of [...(this.bySink.get(sink) ?? [])]) this.remove(peer);
    this.bySink.delete(sink);
  }

  /** Removes peers not heard from since `olderThan`; returns how many went. */
  sweep(olderThan: number): number {
    let swept = 0;
    for (const swarm of this.swarms.all()) {
      for (const peer of [...swarm.peers.values()]) {
        if (peer.lastSeen < olderThan) {
          this.remove(peer);
          swept++;
        }
      }
    }
    return swept;
  }

  private join(
    request: AnnounceRequest,
    sink: TrackerSink,
    existing: Swarm | undefined,
    now: number,
  ): Result<TrackerPeer, TrackerIndexCode> {
    if (this.membershipCount(sink) >= this.limits.maxMembershipsPerConnection) {
      return fail(`more than ${this.limits.maxMembershipsPerConnection} torrents on one connection`, 'too-many-torrents');
    }
    const held = existing?.bySink.get(sink)?.length ?? 0;
    if (held >= this.limits.maxPeerIdsPerConnectionInSwarm) {
      return fail(
        `more than ${this.limits.maxPeerIdsPerConnectionInSwarm} peer ids of one connection in this torrent`,
        'too-many-peer-ids',
      );
    }
    if (existing && existing.peers.size >= this.limits.maxPeersPerSwarm) {
      const victim = held === 0 ? this.evictable(existing, now) : null;
      if (!victim) return fail('swarm is full', 'swarm-full');
      this.remove(victim);
    }
    if (!existing && this.swarms.size >= this.limits.maxSwarms) return fail('tracker is full', 'tracker-full');
    const swarm = existing ?? this.swarms.open(request.infoHash);
    // An unknown peer sending `completed` or `update` is treated as `started`, as bittorrent-tracker does.
    const peer = new TrackerPeer(swarm, request.peerId, sink, request.left === 0, now);
    this.admit(peer);
    return ok(peer);
  }

  /**
   * Whom a full swarm gives up for a connection new to it, in order:
   * 1. a peer of the connection holding the most peer ids there, the longest silent of them, if
   *    that connection holds more than one;
   * 2. else the longest silent peer, if it is overdue: silent for longer than `interval` plus
   *    `min interval`, so it missed the announce every client makes each `interval` (BEP 3's
   *    tracker `interval`; bittorrent-tracker's client re-announces on it). It is probably gone,
   *    and the sweep would drop it at the peer TTL anyway.
   * Otherwise the newcomer is refused. Evicting the longest silent peer whatever its silence is
   * not done: an honest viewer announces every 2 minutes, a fake as often as the rate limit
   * allows, so the viewers would go first. O(peers in the swarm), only when it is full.
   */
  private evictable(swarm: Swarm, now: number): TrackerPeer | null {
    let victim: TrackerPeer | null = null;
    let most = 2;
    for (const peers of swarm.bySink.values()) {
      if (peers.length < most) continue;
      if (peers.length > most) {
        most = peers.length;
        victim = null;
      }
      for (const peer of peers) if (!victim || peer.lastSeen < victim.lastSeen) victim = peer;
    }
    if (victim) return victim;
    const overdueBefore = now - (this.limits.announceIntervalS + this.limits.minAnnounceIntervalS) * 1000;
    for (const peer of swarm.peers.values())
      if (peer.lastSeen < overdueBefore && (!victim || peer.lastSeen < victim.lastSeen)) victim = peer;
    return victim;
  }

  /** Enters a new peer in its swarm's tables, its connection's list and the counts. */
  private admit(peer: TrackerPeer): void {
    const swarm = peer.swarm;
    this.swarms.addPeer(swarm, peer.peerId, peer);
    swarm.members.add(peer);
    const inSwarm = swarm.bySink.get(peer.sink);
    if (inSwarm) inSwarm.push(peer);
    else swarm.bySink.set(peer.sink, [peer]);
    if (peer.complete) swarm.complete++;
    else swarm.incomplete++;
    let own = this.bySink.get(peer.sink);
    if (!own) this.bySink.set(peer.sink, (own = new Set()));
    own.add(peer);
  }

  private markComplete(peer: TrackerPeer): void {
    peer.complete = true;
    peer.swarm.incomplete--;
    peer.swarm.complete++;
  }

  /**
   * One offer per chosen peer, as bittorrent-tracker does. A seeder's offers skip other seeders:
   * two complete peers have nothing to exchange, and the connection would only be torn down.
   * They also skip peers whose `OfferBudget` is spent (for everyone, or for this connection):
   * such an offer goes to another peer, or nowhere, silently (see offer-budget.ts).
   */
  private forwardOffers(from: TrackerPeer, request: AnnounceRequest, now: number): void {
    const count = Math.min(request.numwant, request.offers.length);
    if (count === 0) return;
    const sender = from.sink;
    const accept = (p: TrackerPeer): boolean =>
      p !== from && !(from.complete && p.complete) && (p.budget === null || p.budget.allows(sender, now));
    // A hint for the sampler only (spent budgets are not counted): a wrong one costs time, not results.
    const rejectable = from.complete ? from.swarm.complete : 1;
    const chosen = from.swarm.members.sample(count, accept, rejectable, this.random);
    chosen.forEach((to, i) => {
      const offer = request.offers[i];
      if (!offer) return;
      to.budget ??= new OfferBudget(this.budgetRules, now);
      to.budget.take(sender, now);
      to.sink.deliver({
        action: 'announce',
        info_hash: request.infoHash,
        peer_id: from.peerId,
        offer_id: offer.offerId,
        offer: offer.offer,
      });
    });
  }

  private remove(peer: TrackerPeer): void {
    const swarm = peer.swarm;
    if (!this.swarms.removePeer(swarm, peer.peerId, peer)) return;
    swarm.members.delete(peer);
    if (peer.complete) swarm.complete--;
    else swarm.incomplete--;
    const inSwarm = swarm.bySink.get(peer.sink);
    if (inSwarm) {
      const rest = inSwarm.filter((p) => p !== peer);
      if (rest.length > 0) swarm.bySink.set(peer.sink, rest);
      else swarm.bySink.delete(peer.sink);
    }
    this.bySink.get(peer.sink)?.delete(peer);
  }

  /** The swarm itself, read through `SwarmCounts`: no copy per announce. */
  private counts(swarm: Swarm | undefined): Success<SwarmCounts> {
    return ok(swarm ?? NO_PEERS);
  }
}
