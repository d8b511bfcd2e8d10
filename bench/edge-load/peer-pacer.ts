/**
 * Hands out peers for the next announce in turn, none sooner than `minGapMs` after its previous
 * one started. The servers limit messages per connection (ours: 50/s, burst 100); a closed loop
 * picking peers at random would let an unlucky peer burst past that and be cut off, so the
 * benchmark would measure the rate limiter instead of the relay.
 */
import { sleep } from '../lib/run/budget.ts';

interface Slot<P> {
  peer: P;
  eligibleAt: number;
}

export class PeerPacer<P> {
  private readonly queue: Slot<P>[];
  private head = 0;

  constructor(
    peers: readonly P[],
    private readonly minGapMs: number,
  ) {
    this.queue = peers.map((peer) => ({ peer, eligibleAt: 0 }));
  }

  /** The next peer allowed to announce, once allowed; null if every peer is busy right now. */
  async take(): Promise<P | null> {
    const slot = this.queue[this.head];
    if (!slot) return null;
    this.head++;
    // Compact now and then so the queue does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    const wait = slot.eligibleAt - performance.now();
    if (wait > 0) await sleep(wait);
    return slot.peer;
  }

  /** The peer's announce that started at `startedAt` is over: it may go again after the gap. */
  release(peer: P, startedAt: number): void {
    this.queue.push({ peer, eligibleAt: startedAt + this.minGapMs });
  }
}
