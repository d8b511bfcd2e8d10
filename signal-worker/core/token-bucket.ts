/**
 * Per-connection rate limit: a bucket of `burst` tokens refilled at `perSecond`. Refill is computed
 * lazily from the clock on each take, so an idle connection costs no timer.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Takes one token; false when the bucket is empty (the caller is over its rate). */
  take(now: number): boolean {
    const elapsed = Math.max(0, now - this.last); // a clock that steps back must not mint tokens
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + (elapsed * this.perSecond) / 1000);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
