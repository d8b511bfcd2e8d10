/**
 * A clock a test moves by hand, for code that takes a Clock (protocol/clock.ts): the signaling
 * core's timers, the worker's deadlines. No test depends on how fast the machine is.
 * - `advance(ms)` fires due timers in order, synchronously (code whose timers do all the work);
 * - `advanceSettled(ms)` also lets real promise callbacks and immediate I/O run after each timer
 *   (code that awaits between timers: fake streams, hashes);
 * - `stall(ms)` moves time without firing anything: a device whose event loop was held up.
 */
import type { Clock } from '../../../protocol/clock.ts';

interface Pending {
  at: number;
  id: number;
  callback: () => void;
}

/** Lets queued promise callbacks and immediate I/O run. */
export async function settleTasks(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

export class FakeClock implements Clock {
  private time: number;
  private nextId = 1;
  private timers: Pending[] = [];

  constructor(start = 1_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): number {
    const id = this.nextId++;
    this.timers.push({ at: this.time + Math.max(0, ms), callback, id });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((t) => t.id !== handle);
  }

  /** Timers set and not yet fired or cleared. */
  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Moves time forward, firing due timers in order (timers set by timers included). */
  advance(ms: number): void {
    const until = this.time + ms;
    for (let due = this.nextDue(until); due; due = this.nextDue(until)) this.fire(due);
    this.time = Math.max(this.time, until);
  }

  /** As advance, letting promise callbacks and immediate I/O run before and after each timer. */
  async advanceSettled(ms: number): Promise<void> {
    const until = this.time + ms;
    await settleTasks();
    for (let due = this.nextDue(until); due; due = this.nextDue(until)) {
      this.fire(due);
      await settleTasks();
    }
    this.time = Math.max(this.time, until);
  }

  stall(ms: number): void {
    this.time += ms;
  }

  private nextDue(until: number): Pending | undefined {
    return this.timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at || a.id - b.id)[0];
  }

  private fire(due: Pending): void {
    this.timers = this.timers.filter((t) => t !== due);
    // An overdue timer (after a stall) runs late; the clock never goes back.
    this.time = Math.max(this.time, due.at);
    due.callback();
  }
}
