/**
 * Per-connection rate limit: a bucket of `burst` tokens refilled at `perSecond`. Refill is computed
 * lazily from the clock on each take, so an idle connection costs no timer.
 */

/** The bucket's whole state, so a runtime that evicts idle objects (Cloudflare) can carry it over. */
export interface TokenBucketState {
  tokens: number;
  /** Clock time of the last take. */
  last: number;
}

export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
    now: number,
    restored?: TokenBucketState,
  ) {
    // A restored count above the burst (limits lowered since) is clamped, never trusted.
    this.tokens = restored ? Math.max(0, Math.min(burst, restored.tokens)) : burst;
    this.last = restored ? Math.min(now, restored.last) : now;
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

  snapshot(): TokenBucketState {
    return { tokens: this.tokens, last: this.last };
  }
}
