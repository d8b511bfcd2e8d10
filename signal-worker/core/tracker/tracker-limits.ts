/**
 * The tracker's limits as one object so tests (and operators) can lower them (`resolveLimits` in
 * ../socket/limits.ts: lowered, never raised past protocol/limits.ts).
 */
import {
  MAX_MESSAGES_PER_SECOND,
  MAX_SIGNAL_CONNECTIONS,
  MAX_SIGNAL_CONNECTIONS_PER_ADDRESS,
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

  // ---- Hostile clients (issue 11): sybils, offer floods, peer-id churn, socket counts ----

  /** Open sockets on this hub; one more gets 503 before the upgrade (`server-full` if it raced in). */
  maxConnections: number;
  /** Open sockets from one client address; one more gets 503 before the upgrade (`too-many-connections`). */
  maxConnectionsPerAddress: number;

  /** Peer ids one connection may hold in one torrent; one more is refused (the socket stays open). */
  maxPeerIdsPerConnectionInSwarm: number;
  /** New peer ids a connection may announce at once (token-bucket capacity); past it the connection is closed. */
  newPeerIdBurst: number;
  /** Refill of that bucket, new peer ids per minute. */
  newPeerIdsPerMinute: number;
  /** Offers one peer may be handed at once, from everyone (token-bucket capacity). */
  offerBurstPerTarget: number;
  /** Refill of that bucket, offers per minute. */
  offersPerTargetPerMinute: number;
  /** Offers one peer may be handed at once from any one connection (token-bucket capacity). */
  offerBurstPerSenderToTarget: number;
  /** Refill of that bucket, offers per minute. */
  offersPerSenderToTargetPerMinute: number;
}

/**
 * Peer ids of one connection in one torrent. WebTorrent uses one peer id per client and pools
 * one socket per announce URL for every client of a page or process (bittorrent-tracker
 * lib/client/websocket-tracker.js `socketPool`), so two clients of one process in one torrent
 * share a socket; more is a sybil (4 sockets × 256 peer ids once filled a swarm of 1000).
 */
export const TRACKER_MAX_PEER_IDS_PER_CONNECTION_IN_SWARM = 2;

/**
 * New peer ids a connection may mint in a burst. BEP 3 has a downloader pick its peer id at
 * random when a download starts; WebTorrent picks one per client (`new WebTorrent()`) for all its
 * torrents. So a socket sees a new one only when a client or a download starts on it; 8 covers a
 * page that starts a few at once.
 */
export const TRACKER_NEW_PEER_ID_BURST = 8;

/** Refill of the new-peer-id bucket, per minute: a client restarting every 30 s still passes. */
export const TRACKER_NEW_PEER_IDS_PER_MINUTE = 2;

/**
 * Offers delivered to one peer in a burst, from all senders. Each offer costs the receiver an
 * RTCPeerConnection (bittorrent-tracker's client answers every offer it is handed, and WebTorrent
 * keeps at most 55 connections per torrent), so a flood (two sockets at ~22 announces/s made one
 * tab hold 498) is cut here. 20 is more than a newcomer meets in its first seconds in a busy swarm.
 */
export const TRACKER_OFFER_BURST_PER_TARGET = 20;

/**
 * Refill per target, offers per minute. Honest peers re-announce every `interval` (120 s) with at
 * most 5 offers (bittorrent-tracker's client), each to a different peer: in a swarm of 1000 that
 * is ~2.5 offers per peer per minute, 30 leaves twelve times that.
 */
export const TRACKER_OFFERS_PER_TARGET_PER_MINUTE = 30;

/**
 * Offers one connection may deliver to one peer in a burst. An honest peer sends one offer per
 * announce to a given peer; a few retries pass, a flooder is held to this share, and the rest of
 * the target's budget is left for everyone else.
 */
export const TRACKER_OFFER_BURST_PER_SENDER_TO_TARGET = 4;

/** Refill of the per-sender share, offers per minute (an honest client announces every 2 min, at least 30 s apart). */
export const TRACKER_OFFERS_PER_SENDER_TO_TARGET_PER_MINUTE = 6;

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
  // One server's sockets cost the same on either route: the same caps (protocol/limits.ts).
  maxConnections: MAX_SIGNAL_CONNECTIONS,
  maxConnectionsPerAddress: MAX_SIGNAL_CONNECTIONS_PER_ADDRESS,
  maxPeerIdsPerConnectionInSwarm: TRACKER_MAX_PEER_IDS_PER_CONNECTION_IN_SWARM,
  newPeerIdBurst: TRACKER_NEW_PEER_ID_BURST,
  newPeerIdsPerMinute: TRACKER_NEW_PEER_IDS_PER_MINUTE,
  offerBurstPerTarget: TRACKER_OFFER_BURST_PER_TARGET,
  offersPerTargetPerMinute: TRACKER_OFFERS_PER_TARGET_PER_MINUTE,
  offerBurstPerSenderToTarget: TRACKER_OFFER_BURST_PER_SENDER_TO_TARGET,
  offersPerSenderToTargetPerMinute: TRACKER_OFFERS_PER_SENDER_TO_TARGET_PER_MINUTE,
});
