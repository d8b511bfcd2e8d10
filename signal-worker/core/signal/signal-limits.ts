/**
 * The server-side limits, as one object so tests (and operators) can lower them. Defaults come
 * from protocol/limits.ts; an override may lower a limit but never raise it past the protocol's
 * value, because clients are built against those values (a raised limit would accept traffic a
 * conforming client never sends, which only helps abusers).
 */
import {
  IDLE_TIMEOUT_MS,
  MAX_HAVE_PER_PEER,
  MAX_MESSAGES_PER_SECOND,
  MAX_PARKED_OFFERS,
  MAX_PEERS_PER_SWARM,
  MAX_PEERS_PER_WANT,
  MAX_SIGNAL_MESSAGE_CHARS,
  MESSAGE_BURST,
} from '../../../protocol/limits.ts';

export interface SignalLimits {
  /** Largest text frame, in UTF-16 code units, checked before parsing. */
  maxMessageChars: number;
  /** Distinct asset hashes one peer may announce in total. */
  maxHavePerPeer: number;
  /** Peers in one swarm; one more is refused with `swarm-full`. */
  maxPeersPerSwarm: number;
  /** Offers one peer may have parked; extra offers evict its oldest. */
  maxParkedOffers: number;
  /** Holders returned for one `want`. */
  maxPeersPerWant: number;
  /** Token-bucket refill rate per connection. */
  messagesPerSecond: number;
  /** Token-bucket capacity per connection. */
  messageBurst: number;
  /** A connection silent for this long is closed with `idle`. */
  idleTimeoutMs: number;
}

export const DEFAULT_SIGNAL_LIMITS: Readonly<SignalLimits> = Object.freeze({
  maxMessageChars: MAX_SIGNAL_MESSAGE_CHARS,
  maxHavePerPeer: MAX_HAVE_PER_PEER,
  maxPeersPerSwarm: MAX_PEERS_PER_SWARM,
  maxParkedOffers: MAX_PARKED_OFFERS,
  maxPeersPerWant: MAX_PEERS_PER_WANT,
  messagesPerSecond: MAX_MESSAGES_PER_SECOND,
  messageBurst: MESSAGE_BURST,
  idleTimeoutMs: IDLE_TIMEOUT_MS,
});

/**
 * Merges overrides onto the defaults. A raised or non-positive limit is a configuration bug, so it
 * throws at start-up (exceptions are for bugs) rather than being clamped silently.
 */
export function resolveSignalLimits(overrides: Partial<SignalLimits> = {}): SignalLimits {
  const limits: SignalLimits = { ...DEFAULT_SIGNAL_LIMITS };
  for (const key of Object.keys(DEFAULT_SIGNAL_LIMITS) as Array<keyof SignalLimits>) {
    const value = overrides[key];
    if (value === undefined) continue;
    const max = DEFAULT_SIGNAL_LIMITS[key];
    if (!Number.isFinite(value) || value <= 0) throw new RangeError(`signal limit ${key} must be a positive number, got ${value}`);
    if (value > max) throw new RangeError(`signal limit ${key} may be lowered, not raised: ${value} > ${max}`);
    limits[key] = value;
  }
  return limits;
}
