/**
 * The gather's one deadline (accept, first piece, gap between pieces), counted in time this client
 * could run. On a busy device (a phone with other tabs, a CPU-starved test machine) the worker's
 * own timer fires late, and the bridge and WebTorrent, in the page's renderer, were starved the
 * same while: abandoning peers then sends to the origin what was on its way. So:
 * - a timer that fires late by more than half its own length is re-armed once for the time lost
 *   (at most its length again): the peers get the time the device actually gave them;
 * - before it expires, it lets the tasks already queued run (a piece that arrived meanwhile
 *   re-arms it), so the worker's own backlog is never taken for the peers' silence.
 * A device that is simply slow throughout gets no extension: its timers fire on time.
 */

import type { Clock } from '../protocol/clock.ts';

export class Deadline {
  private handle: unknown = undefined;
  /** Bumped by every arm and clear: a callback of an older arm does nothing. */
  private generation = 0;

  constructor(
    private readonly timers: Clock,
    private readonly onExpire: () => void,
  ) {}

  /** (Re)starts the deadline `ms` from now. */
  arm(ms: number): void {
    this.clear();
    const generation = this.generation;
    this.schedule(generation, this.timers.now() + ms, ms, false);
  }

  /** A timer is pending: armed, and neither expired nor cleared since. */
  get armed(): boolean {
    return this.handle !== undefined;
  }

  clear(): void {
    this.generation++;
    if (this.handle !== undefined) this.timers.clearTimeout(this.handle);
    this.handle = undefined;
  }

  private schedule(generation: number, due: number, ms: number, extended: boolean): void {
    this.handle = this.timers.setTimeout(() => this.fired(generation, due, ms, extended), Math.max(0, due - this.timers.now()));
  }

  private fired(generation: number, due: number, ms: number, extended: boolean): void {
    if (generation !== this.generation) return;
    const lag = this.timers.now() - due;
    if (!extended && lag > ms / 2) return this.schedule(generation, this.timers.now() + Math.min(lag, ms), ms, true);
    // One more turn: replies queued behind this timer run first, and re-arm it if they bring a piece.
    this.handle = this.timers.setTimeout(() => {
      if (generation !== this.generation) return;
      this.handle = undefined;
      this.onExpire();
    }, 0);
  }
}
