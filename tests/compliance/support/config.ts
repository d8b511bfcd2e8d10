/**
 * How every runtime is started for the compliance suite: limits lowered so each one can be hit
 * in a few messages, and an origin list so the origin check is exercised. The cases read the
 * same values, so a limit is changed here and nowhere else.
 */
import type { LaunchOptions } from '../../runtimes/types.ts';

/** The one page origin the suite's servers accept on the signaling route. */
export const GOOD_ORIGIN = 'http://good.example';

/** The swarm the health case counts: a sharded runtime (workerd) answers health only for listed swarms. */
export const HEALTH_SWARM = 'health.example';

export const SIGNAL_LIMITS = {
  maxMessageChars: 4096,
  maxHavePerPeer: 8,
  maxPeersPerSwarm: 3,
  // A burst of 30, refilled so slowly (one token per 2 s) that the rate case knows which of its
  // messages is the first refused (the cases each send far fewer per connection).
  messagesPerSecond: 0.5,
  messageBurst: 30,
  // Short so the idle case waits little; every other case finishes within a fraction of it.
  idleTimeoutMs: 2_500,
  // A requester holding 1 offer it did not answer gets none for the cooldown (longer than any
  // case); one that answers takes a holder's default 2 per window.
  maxUnansweredOffers: 1,
} as const;

/**
 * A second server for the cases that need full-size messages, the default rate and sockets that
 * stay open a while: two relayers can then queue more than the kernel's socket buffers hold for
 * a client that stopped reading, and one address can open its share of sockets unhurried.
 */
export const HOSTILE_LIMITS = {
  maxBufferedBytes: 256 * 1024,
  maxPeersPerSwarm: 4,
  maxConnectionsPerAddress: 12,
  // Long enough that no socket of these cases idles out, whatever the machine's load.
  idleTimeoutMs: 60_000,
} as const;

export const TRACKER_LIMITS = {
  // Room for bittorrent-tracker's client, which sends 5 non-trickle offers in one announce.
  maxMessageChars: 32 * 1024,
  maxPeersPerSwarm: 3,
  messagesPerSecond: 0.5,
  messageBurst: 30,
  // A failed WebRTC attempt is retried only at the next announce; 2 s keeps it inside a case.
  announceIntervalS: 2,
  // Above the 2 s announce interval, so a live client is never swept; also the idle timeout.
  peerTtlMs: 4_000,
  sweepIntervalMs: 1_000,
  // Hostile clients (tracker-hostile.ts): a churning socket is cut after 6 fresh peer ids, and
  // refills one a minute, so the case knows within one how many pass. The offer budgets stay at
  // their defaults: bittorrent-tracker's Client (webtorrent-client.ts) retries a failed WebRTC
  // attempt with a fresh offer at each 2 s announce.
  newPeerIdBurst: 6,
  newPeerIdsPerMinute: 1,
} as const;

/** The dashboard token of the compliance servers (the dashboard, metrics and P2P switch cases). */
export const COMPLIANCE_TOKEN = 'compliance-dashboard-token-0123';

/** A swarm the config turns off, and one the usage cases report in. */
export const OFF_SWARM = 'off.example';

/** Past every runtime's frame cap (the Node adapter's is 3 bytes per allowed character). */
export const HUGE_FRAME_CHARS = 2 * 1024 * 1024;

export const HOSTILE_LAUNCH: LaunchOptions = {
  limits: HOSTILE_LIMITS,
  // The tracker route counts sockets per address the same way.
  trackerLimits: { maxConnectionsPerAddress: HOSTILE_LIMITS.maxConnectionsPerAddress },
  allowedOrigins: [GOOD_ORIGIN],
  startTimeoutMs: 20_000,
};

export const COMPLIANCE_LAUNCH: LaunchOptions = {
  limits: SIGNAL_LIMITS,
  trackerLimits: TRACKER_LIMITS,
  allowedOrigins: [GOOD_ORIGIN],
  healthSwarms: [HEALTH_SWARM],
  p2p: { [OFF_SWARM]: 'off' },
  dashboardToken: COMPLIANCE_TOKEN,
  startTimeoutMs: 20_000,
};
