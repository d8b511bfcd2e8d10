import type { Clock, TimerHandle } from './clock.ts';

/**
 * Closes a silent connection: `onIdle` runs once nothing has been `touch`ed for `timeoutMs`.
 * One timer per connection, re-armed only when it fires: a message just moves `lastSeen`, so a
 * busy connection costs no timer churn.
 */
export class IdleTimer {
  private lastSeen: number;
  private handle: TimerHandle | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly timeoutMs: number,
    private readonly onIdle: () => void,
  ) {
    this.lastSeen = clock.now();
    this.arm(timeoutMs);
  }

  touch(now: number): void {
    this.lastSeen = now;
  }

  stop(): void {
    if (this.handle !== null) this.clock.clearTimeout(this.handle);
    this.handle = null;
  }

  private arm(ms: number): void {
    this.handle = this.clock.setTimeout(() => {
      this.handle = null;
      const silentFor = this.clock.now() - this.lastSeen;
      if (silentFor >= this.timeoutMs) this.onIdle();
      else this.arm(this.timeoutMs - silentFor);
    }, ms);
  }
}
