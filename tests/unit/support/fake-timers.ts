/**
 * A clock a test moves by hand, for code that takes a TimerSource (sw/deadline.ts): no test
 * depends on how fast the machine is. Timers run in due order as the clock passes them; real
 * promise callbacks and I/O queued meanwhile get to run between timers.
 */
import type { TimerSource } from '../../../sw/deadline.ts';

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
}

/** Lets queued promise callbacks and immediate I/O (fake streams, verified hashes) run. */
export async function settleTasks(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

export class FakeTimers implements TimerSource {
  private time = 0;
  private seq = 0;
  private readonly pending = new Map<number, Pending>();

  now(): number {
    return this.time;
  }

  set(fn: () => void, ms: number): unknown {
    const id = ++this.seq;
    this.pending.set(id, { at: this.time + Math.max(0, ms), seq: id, fn });
    return id;
  }

  clear(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** Moves the clock by `ms`, running each timer due on the way (settling tasks after each). */
  async advance(ms: number): Promise<void> {
    const end = this.time + ms;
    await settleTasks();
    for (;;) {
      const next = [...this.pending.values()].filter((p) => p.at <= end).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!next) break;
      this.pending.delete(next.seq);
      this.time = Math.max(this.time, next.at); // an overdue timer (after stall) runs late, the clock never goes back
      next.fn();
      await settleTasks();
    }
    this.time = end;
  }

  /** Moves the clock without running anything: a device whose event loop was held up. */
  stall(ms: number): void {
    this.time += ms;
  }
}
