/**
 * The signaling server's limits, as one object so tests (and operators) can lower them
 * (`resolveLimits` in ../socket/limits.ts: lowered, never raised past protocol/limits.ts).
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
