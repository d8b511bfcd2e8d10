/**
 * Swarms by id and the peers in each, kept the same way by both indexes (signaling swarms by
 * swarm id, tracker swarms by info_hash): a swarm exists while it has a peer, a peer id is
 * held by one peer at a time, and the table counts swarms and peers for the health route.
 * What a swarm holds beyond its peers is the index's own.
 */

/** The part of a swarm the table keeps. */
export interface TableSwarm<P> {
  readonly id: string;
  readonly peers: Map<string, P>;
}

/** What the health route reports of an index. */
export interface IndexStats {
  swarms: number;
  peers: number;
}

export class SwarmTable<S extends TableSwarm<P>, P> {
  private readonly byId = new Map<string, S>();
  private peerCount = 0;

  /** `create` makes an empty swarm for an id. */
  constructor(private readonly create: (id: string) => S) {}

  get(id: string): S | undefined {
    return this.byId.get(id);
  }

  get size(): number {
    return this.byId.size;
  }

  /** Every swarm as a copy, so the caller may remove peers while it walks them. */
  all(): S[] {
    return [...this.byId.values()];
  }

  /** Swarm `id`, made if there is none; the caller gives it a peer (`addPeer`) before anything else runs. */
  open(id: string): S {
    let swarm = this.byId.get(id);
    if (!swarm) this.byId.set(id, (swarm = this.create(id)));
    return swarm;
  }

  addPeer(swarm: S, peerId: string, peer: P): void {
    swarm.peers.set(peerId, peer);
    this.peerCount++;
  }

  /**
   * Takes `peer` out of its swarm if it is the one holding `peerId` there (false otherwise), and
   * forgets the swarm once it is empty.
   */
  removePeer(swarm: S, peerId: string, peer: P): boolean {
    if (swarm.peers.get(peerId) !== peer) return false;
    swarm.peers.delete(peerId);
    this.peerCount--;
    if (swarm.peers.size === 0) this.byId.delete(swarm.id);
    return true;
  }

  stats(): IndexStats {
    return { swarms: this.byId.size, peers: this.peerCount };
  }
}
