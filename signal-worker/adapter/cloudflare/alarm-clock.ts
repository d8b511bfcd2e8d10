/**
 * The core's `Clock` on a Durable Object alarm. A pending `setTimeout` keeps an object from
 * hibernating, so the core's timers (idle timeouts, the tracker sweep) live in this in-memory
 * list instead and one storage alarm wakes the object at the earliest of them. The list is lost
 * on hibernation on purpose: waking rebuilds every connection, and each re-arms its own timer
 * from the `lastSeen` it carried over.
 *
 * An alarm can run late (wrangler dev on a busy machine ran them past 3 × the idle timeout), so
 * the object also calls `runDue()` on every event it handles: a timer that is due runs at the
 * first of its alarm or the object's next frame, never before its time.
 */
import type { Clock, TimerHandle } from '../../../protocol/clock.ts';
import type { DurableObjectStorage } from './workers-types.ts';

interface Pending {
  at: number;
  callback: () => void;
}

/** A timer that re-arms itself due at once must not spin one handler forever; the rest waits for the next alarm. */
const MAX_ROUNDS = 1000;

export class AlarmClock implements Clock {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  /** The alarm this instance set, or null; an object waking from hibernation sets its own. */
  private armedAt: number | null = null;
  /** True while due timers run: timers they set are scheduled once, after the last of them. */
  private running = false;
  /**
   * No pending timer is due before this (a lower bound: a cleared timer may leave it early). Lets
   * `runDue`, called on every frame, return without a scan of every socket's timer.
   */
  private earliestAt = Infinity;

  constructor(
    private readonly storage: Pick<DurableObjectStorage, 'setAlarm'>,
    readonly now: () => number = Date.now,
  ) {}

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    const at = this.now() + Math.max(0, ms);
    this.pending.set(id, { at, callback });
    this.earliestAt = Math.min(this.earliestAt, at);
    if (!this.running) this.schedule();
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    // The alarm stays where it is: an early wake-up finds nothing due and re-arms for the next.
    if (typeof handle === 'number') this.pending.delete(handle);
  }

  /** The object's `alarm()` handler: runs every due timer, then sets the alarm for the next one. */
  fire(): void {
    // The alarm that woke us is spent, whatever armedAt said: set the next one afresh, last
    // (Cloudflare's advice for handlers that re-arm: an alarm set early in a handler that then
    // throws suppresses the retries).
    this.armedAt = null;
    this.runDue();
    // An alarm that finds nothing due (runDue's early return) must still leave one set for the next.
    this.schedule();
  }

  /**
   * Runs every timer whose time has come (timers set by timers included, in time order), then
   * makes sure an alarm is set for the earliest one left. Safe to call on any event. Returns
   * how many timers ran.
   */
  runDue(): number {
    if (this.running || this.earliestAt > this.now()) return 0;
    this.running = true;
    let ran = 0;
    try {
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const now = this.now();
        const due = [...this.pending.entries()].filter(([, t]) => t.at <= now).sort((a, b) => a[1].at - b[1].at);
        if (due.length === 0) break;
        for (const [id, timer] of due) {
          if (!this.pending.delete(id)) continue; // cleared by an earlier callback
          ran++;
          timer.callback();
        }
      }
    } finally {
      this.running = false;
      this.schedule();
    }
    return ran;
  }

  get size(): number {
    return this.pending.size;
  }

  private schedule(): void {
    let earliest = Infinity;
    for (const timer of this.pending.values()) earliest = Math.min(earliest, timer.at);
    this.earliestAt = earliest;
    if (earliest === Infinity) return; // nothing pending: a stray alarm later finds nothing due
    if (this.armedAt !== null && this.armedAt <= earliest && this.armedAt > this.now()) return;
    this.armedAt = earliest;
    // Not awaited: Durable Object storage writes are ordered and confirmed before any output
    // leaves the object, which is all the ordering an alarm needs.
    void this.storage.setAlarm(earliest);
  }
}
