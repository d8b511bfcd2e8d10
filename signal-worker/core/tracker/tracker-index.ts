/**
 * The tracker's whole state with no sockets in it: torrent swarms, their peers, the counts that
 * announce and scrape report, and who forwards offers and answers to whom. Peers are reached
 * through `TrackerSink`, so this file runs the same on every runtime and in unit tests.
 *
 * Behaviour follows bittorrent-tracker's server (lib/server/swarm.js, server.js) where a client
 * can tell, and differs where it only protects the server: swarms and peers are bounded and
 * refused past the bound (not LRU-evicted), a peer_id belongs to one connection, a seeder's
 * offers go only to peers still downloading, and `downloaded` counts real completions.
 */
import { fail, ok, type Result, type Success } from '../../../protocol/result.ts';
import type { AnnounceRequest, BinaryId, ScrapeFile, TrackerAnswer, TrackerResponse } from '../../../protocol/tracker-messages.ts';
import { RandomSet } from '../random-set.ts';
import { type IndexStats, SwarmTable } from '../swarm-table.ts';
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
}

class TrackerPeer {
  constructor(
    readonly swarm: Swarm,
    readonly peerId: BinaryId,
    readonly sink: TrackerSink,
    public complete: boolean,
    public lastSeen: number,
  ) {}
}

/** One peer of one torrent as plain data, for a runtime that must rebuild the index after eviction. */
export interface TrackerMembership {
  infoHash: BinaryId;
  peerId: BinaryId;
  complete: boolean;
  lastSeen: number;
}

/** Why the index refused an announce or an answer (the wire carries only the message, as `failure reason`). */
export type TrackerIndexCode = 'peer-id-in-use' | 'swarm-full' | 'tracker-full' | 'too-many-torrents' | 'not-in-swarm';

const NO_PEERS: SwarmCounts = Object.freeze({ complete: 0, incomplete: 0 });
/** `relayAnswer` succeeds once per answer: one shared value, not one per call. */
const RELAYED: Success<void> = Object.freeze(ok(undefined));

type Limits = Pick<TrackerLimits, 'maxPeersPerSwarm' | 'maxSwarms' | 'maxMembershipsPerConnection'>;

export class TrackerIndex {
  private readonly swarms = new SwarmTable<Swarm, TrackerPeer>((id) => ({
    id,
    peers: new Map(),
    members: new RandomSet(),
    complete: 0,
    incomplete: 0,
    downloaded: 0,
  }));
  /** Every peer a connection announced, so closing it (or counting its memberships) is O(its peers). */
  private readonly bySink = new Map<TrackerSink, Set<TrackerPeer>>();

  constructor(
    private readonly limits: Limits,
    private readonly random: () => number = Math.random,
  ) {}

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
    this.forwardOffers(peer, request);
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
    if (existing && existing.peers.size >= this.limits.maxPeersPerSwarm) return fail('swarm is full', 'swarm-full');
    if (!existing && this.swarms.size >= this.limits.maxSwarms) return fail('tracker is full', 'tracker-full');
    const swarm = existing ?? this.swarms.open(request.infoHash);
    // An unknown peer sending `completed` or `update` is treated as `started`, as bittorrent-tracker does.
    const peer = new TrackerPeer(swarm, request.peerId, sink, request.left === 0, now);
    this.admit(peer);
    return ok(peer);
  }

  /** Enters a new peer in its swarm's tables, its connection's list and the counts. */
  private admit(peer: TrackerPeer): void {
    const swarm = peer.swarm;
    this.swarms.addPeer(swarm, peer.peerId, peer);
    swarm.members.add(peer);
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
   */
  private forwardOffers(from: TrackerPeer, request: AnnounceRequest): void {
    const count = Math.min(request.numwant, request.offers.length);
    if (count === 0) return;
    const accept = (p: TrackerPeer): boolean => p !== from && !(from.complete && p.complete);
    const rejectable = from.complete ? from.swarm.complete : 1;
    const chosen = from.swarm.members.sample(count, accept, rejectable, this.random);
    chosen.forEach((to, i) => {
      const offer = request.offers[i];
      if (!offer) return;
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
    this.bySink.get(peer.sink)?.delete(peer);
  }

  /** The swarm itself, read through `SwarmCounts`: no copy per announce. */
  private counts(swarm: Swarm | undefined): Success<SwarmCounts> {
    return ok(swarm ?? NO_PEERS);
  }
}
