/** Messages between bench/edge-load.ts and its load child (edge-load/load-child.ts), over fork IPC. */

export interface EdgeLoadPlan {
  /** The WebTorrent tracker's WebSocket URL (ours: `/peer-connect/announce`; bittorrent-tracker: `/`). */
  url: string;
  peers: number;
  swarms: number;
  /** Offers per announce, and so answers expected back (WebTorrent clients send 5). */
  offersPerAnnounce: number;
  /** Announce rounds outstanding at once in the measured loop. */
  concurrency: number;
  /** Shortest gap between two announces of one peer, so no socket nears the server's rate limit. */
  minAnnounceGapMs: number;
  /** Rounds run before counting starts (connections and JIT warm), then the counted window. */
  warmupMs: number;
  windowMs: number;
  /** A round whose response or answers have not all come back by then counts as incomplete. */
  roundTimeoutMs: number;
  /** Every join (open + `started` announce) must be done by then; the rest count as failed. */
  joinLimitMs: number;
}

/** Why the server refused or cut something, and how often (the load never retries). */
export interface Refusals {
  /** `failure reason` replies, by reason text. */
  failures: Record<string, number>;
  /** Sockets the server closed while the load was running, by close code. */
  closed: Record<string, number>;
}

export interface EdgeJoinResult {
  ms: number;
  connected: number;
  failed: number;
}

export interface EdgeLoadResult {
  /** Rounds started in the window: all answers back / response or an answer missing. */
  rounds: number;
  roundsIncomplete: number;
  /** Messages the clients sent / received inside the window. */
  sent: number;
  received: number;
  windowMs: number;
  /** Relay latencies of rounds started in the window, ms, sorted: offer A → B, answer B → A. */
  offerLatencies: number[];
  answerLatencies: number[];
  /** Offers announced in the window that never reached anyone, or whose answer never came back. */
  offersLost: number;
  /** The pacing bound on rounds/s (peers ÷ minimum gap): a throughput near it is the load's limit, not the server's. */
  roundCap: number;
  refusals: Refusals;
}

export type EdgeLoadRequest = { type: 'join'; plan: EdgeLoadPlan } | { type: 'go' };
export type EdgeLoadReply =
  | { type: 'ready' }
  | { type: 'joined'; join: EdgeJoinResult }
  /** The counted window starts or ends now (the parent reads the server's CPU time). */
  | { type: 'window'; edge: 'start' | 'end' }
  | { type: 'result'; result: EdgeLoadResult }
  | { type: 'error'; message: string };
