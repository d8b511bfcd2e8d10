/** Messages between bench/signaling.ts and its two child processes (server, load), over fork IPC. */
export type ServerKind = 'ours' | 'tracker';

export type ServerRequest = { type: 'mem' } | { type: 'stop' };
export type ServerReply = { type: 'ready'; url: string } | { type: 'mem'; rss: number; heapUsed: number };

export interface LoadPlan {
  kind: ServerKind;
  url: string;
  peers: number;
  swarms: number;
  /** Lookups in the measured phase: at most this many, and at most `timeLimitMs`. */
  lookups: number;
  /** Lookups outstanding at once. */
  concurrency: number;
  timeLimitMs: number;
  /** Offers handed out per lookup (our MAX_PEERS_PER_WANT; the tracker's numwant). */
  offersPerLookup: number;
}

export interface LoadResult {
  joinMs: number;
  joinFailed: number;
  lookupsDone: number;
  lookupsTimedOut: number;
  relays: number;
  /** Every message the clients sent / received during the measured phase. */
  sent: number;
  received: number;
  phaseMs: number;
  /** Answer relay latencies, ms, sorted. */
  latencies: number[];
}

export type LoadRequest = { type: 'start'; plan: LoadPlan } | { type: 'go' };
export type LoadReply =
  | { type: 'joined'; ms: number; failed: number }
  | { type: 'result'; result: LoadResult }
  | { type: 'error'; message: string };
