/**
 * The core's `Clock` on a Durable Object alarm. A pending `setTimeout` keeps an object from
 * hibernating, so the core's timers (idle timeouts, the tracker sweep) live in this in-memory
 * list instead and one storage alarm wakes the object at the earliest of them. The list is lost
 * on hibernation on purpose: waking rebuilds every connection, and each re-arms its own timer
 * from the `lastSeen` it carried over.
 */
import type { Clock, TimerHandle } from '../../../protocol/clock.ts';
import type { DurableObjectStorage } from './workers-types.ts';

interface Pending {
  at: number;
  callback: () => void;
}

/** Timers due within this much of each other fire on one wake-up. */
const COALESCE_MS = 50;

export class AlarmClock implements Clock {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** The alarm this instance set, or null; an object waking from hibernation sets its own. */
  private armedAt: number | null = null;

  constructor(private readonly storage: Pick<DurableObjectStorage, 'setAlarm'>) {}

  now(): number {
    return Date.now();
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.pending.set(id, { at: this.now() + Math.max(0, ms), callback });
    this.schedule();
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    // The alarm stays where it is: an early wake-up finds nothing due and re-arms for the next.
    if (typeof handle === 'number') this.pending.delete(handle);
  }

  /** The object's `alarm()` handler: runs every due timer (timers set by timers included), then re-arms. */
  fire(): void {
    this.armedAt = null;
    // Bounded: a timer re-arming itself at 0 ms must not spin; it waits for the next alarm.
    for (let round = 0; round < 1000; round++) {
      const now = this.now();
      const due = [...this.pending.entries()].filter(([, t]) => t.at <= now + COALESCE_MS).sort((a, b) => a[1].at - b[1].at);
      if (due.length === 0) break;
      for (const [id, timer] of due) {
        if (!this.pending.delete(id)) continue; // cleared by an earlier callback
        timer.callback();
      }
    }
    this.schedule();
  }

  get size(): number {
    return this.pending.size;
  }

  private schedule(): void {
    let earliest = Infinity;
    for (const timer of this.pending.values()) earliest = Math.min(earliest, timer.at);
    if (earliest === Infinity) return; // nothing pending: a stray alarm later finds nothing due
    if (this.armedAt !== null && this.armedAt <= earliest) return;
    this.armedAt = earliest;
    // Not awaited: Durable Object storage writes are ordered and confirmed before any output
    // leaves the object, which is all the ordering an alarm needs.
    void this.storage.setAlarm(earliest);
  }
}
