/** Messages between bench/edge-load.ts and its load child (edge-load/load-child.ts), over fork IPC. */

export interface EdgeLoadPlan {
  /** The WebTorrent tracker's WebSocket URL (ours: `/peer-connect/announce`; bittorrent-tracker: `/`). */
  url: string;
  peers: number;
  swarms: number;
  /** Offers per announce, and so answers expected back (WebTorrent clients send 5). */
  offersPerAnnounce: number;
  /**
   * Every peer re-announces (with fresh offers) once per this interval, at its own random phase,
   * whether or not anything is still outstanding: an open loop, as real clients announce on a
   * timer. Chosen so the offers each peer is handed stay well inside our tracker's offer budgets.
   */
  announceIntervalMs: number;
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
  /** Rounds/s the schedule asks for (peers ÷ announce interval): a server keeping up carries this many. */
  plannedRoundsPerSec: number;
  /** Messages one complete round is: announce, response, and per offer: forwarded, answer, relayed. */
  messagesPerRound: number;
  /** How late the load started its announces in the window, ms (p99 and worst): large means the load, not the server, fell behind. */
  lateP99Ms: number;
  lateMaxMs: number;
  /**
   * Offers a peer was handed while its offer budget, as our tracker counts it (same rules, counted
   * by the load on arrival), was under one token: during the join, and from `go` to the end, each
   * with the lowest level one of them arrived at. Our tracker sends such an offer to another peer
   * instead, so on our rows these stay ~0 (just under one token at most: the two clocks differ by
   * the delivery delay); bittorrent-tracker has no budget, so its rows say whether the workload
   * itself stays inside them.
   */
  overBudget: Record<'join' | 'run', { count: number; deepest: number }>;
  /** From `go` on, the fewest tokens an offer found in its target's bucket (of 20) and in its sender's share of it (of 4). */
  runLowest: { target: number; perSender: number };
  /** Offers the peers were handed from `go` to the end, and the most any one peer was handed. */
  offersHanded: number;
  offersHandedMaxPerPeer: number;
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
