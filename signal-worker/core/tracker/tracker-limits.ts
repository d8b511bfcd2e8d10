/**
 * The tracker's limits as one object so tests (and operators) can lower them (`resolveLimits` in
 * ../socket/limits.ts: lowered, never raised past protocol/limits.ts).
 */
import {
  MAX_MESSAGES_PER_SECOND,
  MAX_TRACKER_MESSAGE_CHARS,
  MESSAGE_BURST,
  TRACKER_ANNOUNCE_INTERVAL_S,
  TRACKER_MAX_MEMBERSHIPS_PER_CONNECTION,
  TRACKER_MAX_OFFERS,
  TRACKER_MAX_PEERS_PER_SWARM,
  TRACKER_MAX_SWARMS,
  TRACKER_MIN_ANNOUNCE_INTERVAL_S,
  TRACKER_PEER_TTL_MS,
  TRACKER_SWEEP_INTERVAL_MS,
} from '../../../protocol/limits.ts';

export interface TrackerLimits {
  /** Largest text frame, in UTF-16 code units, checked before parsing. */
  maxMessageChars: number;
  /** Offers handed out per announce (numwant is clamped to this). */
  maxOffers: number;
  maxPeersPerSwarm: number;
  maxSwarms: number;
  /** info_hash × peer_id pairs one connection may hold. */
  maxMembershipsPerConnection: number;
  /** Token-bucket refill rate per connection (the signaling server's values). */
  messagesPerSecond: number;
  messageBurst: number;
  /** `interval` in announce responses, seconds. */
  announceIntervalS: number;
  /** `min interval` in announce responses, seconds. */
  minAnnounceIntervalS: number;
  /** A peer silent this long is swept; a connection silent this long is closed. */
  peerTtlMs: number;
  sweepIntervalMs: number;
}

export const DEFAULT_TRACKER_LIMITS: Readonly<TrackerLimits> = Object.freeze({
  maxMessageChars: MAX_TRACKER_MESSAGE_CHARS,
  maxOffers: TRACKER_MAX_OFFERS,
  maxPeersPerSwarm: TRACKER_MAX_PEERS_PER_SWARM,
  maxSwarms: TRACKER_MAX_SWARMS,
  maxMembershipsPerConnection: TRACKER_MAX_MEMBERSHIPS_PER_CONNECTION,
  messagesPerSecond: MAX_MESSAGES_PER_SECOND,
  messageBurst: MESSAGE_BURST,
  announceIntervalS: TRACKER_ANNOUNCE_INTERVAL_S,
  minAnnounceIntervalS: TRACKER_MIN_ANNOUNCE_INTERVAL_S,
  peerTtlMs: TRACKER_PEER_TTL_MS,
  sweepIntervalMs: TRACKER_SWEEP_INTERVAL_MS,
});
