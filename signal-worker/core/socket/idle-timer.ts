import type { Clock, TimerHandle } from '../../../protocol/clock.ts';

/**
 * Closes a silent connection: `onIdle` runs once nothing has been `touch`ed for `timeoutMs`.
 * One timer per connection, re-armed only when it fires: a message just moves `lastSeen`, so a
 * busy connection costs no timer churn.
 */
export class IdleTimer {
  private lastSeen: number;
  private handle: TimerHandle | null = null;

  /**
   * `lastSeen` carries the silence over when a connection is rebuilt (after a hibernation);
   * `heardElsewhere` reports traffic the runtime answered without the core (Cloudflare's
   * auto-response to `ping`), which must count as a sign of life too.
   */
  constructor(
    private readonly clock: Clock,
    private readonly timeoutMs: number,
    private readonly onIdle: () => void,
    lastSeen?: number,
    private readonly heardElsewhere: () => number | null = () => null,
  ) {
    this.lastSeen = Math.min(lastSeen ?? clock.now(), clock.now());
    this.arm(Math.max(0, timeoutMs - (clock.now() - this.lastSeen)));
  }

  get lastSeenAt(): number {
    return Math.max(this.lastSeen, this.heardElsewhere() ?? 0);
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
      const silentFor = this.clock.now() - this.lastSeenAt;
      if (silentFor >= this.timeoutMs) this.onIdle();
      else this.arm(this.timeoutMs - silentFor);
    }, ms);
  }
}
