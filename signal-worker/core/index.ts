/** The runtime-free signaling core. Adapters import this; it imports no runtime. */
export { SignalHub, type SignalHubOptions, type SignalStats } from './signal-hub.ts';
export { SignalConnection, type SignalSocket, type SignalSnapshot, type SignalConnectionOptions, CLOSE_POLICY_VIOLATION, CLOSE_INTERNAL_ERROR, CLOSE_GOING_AWAY } from './connection.ts';
export { SwarmIndex, SwarmPeer, type PeerSink, type JoinResult } from './swarm-index.ts';
export { DEFAULT_SIGNAL_LIMITS, resolveSignalLimits, type SignalLimits } from './limits.ts';
export { timerClock, type Clock, type TimerHandle } from './clock.ts';
export { RandomSet } from './random-set.ts';
export { TokenBucket, type TokenBucketState } from './token-bucket.ts';
export { TrackerHub, type TrackerHubOptions, type TrackerStats } from './tracker-hub.ts';
export { TrackerConnection, type TrackerSocket, type TrackerSnapshot } from './tracker-connection.ts';
export { TrackerIndex, type TrackerSink, type TrackerMembership, type AnnounceOutcome } from './tracker-index.ts';
export { DEFAULT_TRACKER_LIMITS, resolveTrackerLimits, type TrackerLimits } from './tracker-limits.ts';
