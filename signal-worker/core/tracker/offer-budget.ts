/**
 * How many offers one peer may still be handed: a token bucket for all senders together and a
 * smaller one per sending connection, so a flood toward one peer is cut at the receiver's rate
 * and one flooder cannot spend the whole of it on its own. Offers past either bucket are never
 * forwarded; the index sends them to another peer that still has room, or drops them. The
 * sender is not told, as with bittorrent-tracker: an offer nobody answers simply times out in
 * the client (its OFFER_TIMEOUT, 50 s), exactly as when a swarm has fewer peers than `numwant`.
 *
 * Refill is computed lazily from the clock, so an idle peer costs no timer. A peer's budget lives
 * only in memory: a Cloudflare object rebuilt after eviction starts every peer with full buckets.
 */

/** A bucket as plain numbers: `tokens` left at clock time `last` (ms). */
interface Bucket {
  tokens: number;
  last: number;
}

/** Capacity (tokens) and refill (tokens per ms) of one kind of bucket. */
export interface BucketRule {
  readonly burst: number;
  readonly perMs: number;
}

/** The two rules every budget of one index shares. */
export interface OfferBudgetRules {
  readonly target: BucketRule;
  readonly perSender: BucketRule;
}

/**
 * Senders one budget remembers. A sender forgotten (the oldest, when a new one comes past this)
 * starts again with a full share; the target's own bucket still caps them all together.
 */
export const REMEMBERED_SENDERS = 32;

/** A rule from a burst and a per-minute rate, as tracker-limits.ts states them. */
export function bucketRule(burst: number, perMinute: number): BucketRule {
  return { burst, perMs: perMinute / 60_000 };
}

export class OfferBudget<S> {
  private readonly total: Bucket;
  private readonly bySender = new Map<S, Bucket>();

  constructor(
    private readonly rules: OfferBudgetRules,
    now: number,
  ) {
    this.total = { tokens: rules.target.burst, last: now };
  }

  /** Whether one offer from `sender` may be delivered now (takes nothing). */
  allows(sender: S, now: number): boolean {
    if (refill(this.total, this.rules.target, now) < 1) return false;
    const own = this.bySender.get(sender);
    return own === undefined || refill(own, this.rules.perSender, now) >= 1;
  }

  /** Spends one offer from `sender`; call only after `allows` said yes at the same `now`. */
  take(sender: S, now: number): void {
    refill(this.total, this.rules.target, now);
    this.total.tokens -= 1;
    let own = this.bySender.get(sender);
    if (own === undefined) {
      if (this.bySender.size >= REMEMBERED_SENDERS) {
        const oldest = this.bySender.keys().next();
        if (!oldest.done) this.bySender.delete(oldest.value);
      }
      own = { tokens: this.rules.perSender.burst, last: now };
      this.bySender.set(sender, own);
    }
    refill(own, this.rules.perSender, now);
    own.tokens -= 1;
  }
}

/** Brings `bucket` up to `now` and returns its tokens; a clock that steps back mints none. */
function refill(bucket: Bucket, rule: BucketRule, now: number): number {
  const elapsed = Math.max(0, now - bucket.last);
  bucket.last = Math.max(bucket.last, now);
  bucket.tokens = Math.min(rule.burst, bucket.tokens + elapsed * rule.perMs);
  return bucket.tokens;
}
