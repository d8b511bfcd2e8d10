/**
 * The load generator of bench/edge-load.ts, in its own Node process so the server's process is
 * measured alone: on `join` it opens N WebSockets (a bounded number at a time) and announces
 * each into one of M swarms; on `go` every peer re-announces on its own timer (tracker-client.ts)
 * through a warm-up and a counted window, waits for the rounds in flight, closes every socket and exits.
 */

import { sleep } from '../lib/run/budget.ts';
import { counters, LoadPeer, openSocket } from '../lib/signaling/load-peer.ts';
import type { EdgeJoinResult, EdgeLoadPlan, EdgeLoadReply, EdgeLoadRequest, EdgeLoadResult } from './ipc.ts';
import { TrackerSwarmClient } from './tracker-client.ts';

const OPEN_TIMEOUT_MS = 10_000;
/**
 * How long one peer's `started` announce may wait for its response. Joining is not what is
 * measured, and a slow server (workerd under wrangler dev answers a join in seconds while
 * hundreds open at once) must not lose peers the measured loop would have used.
 */
const JOIN_REPLY_TIMEOUT_MS = 10_000;
/** Sockets the server may close during the join before the load stops opening more: it is failing, not slow. */
const JOIN_CLOSES_TO_STOP = 100;
/** Sockets opening at once: a burst of thousands would only measure the accept queue. */
const JOIN_CONCURRENCY = 200;

const reply = (m: EdgeLoadReply): void => {
  process.send?.(m);
};

/** Set once the load closes its own sockets, so their closes are not counted as the server's. */
let closing = false;

const closedByServer = (client: TrackerSwarmClient): number => Object.values(client.refusals.closed).reduce((a, b) => a + b, 0);

async function joinAll(plan: EdgeLoadPlan, client: TrackerSwarmClient): Promise<{ peers: LoadPeer[]; join: EdgeJoinResult }> {
  const t0 = performance.now();
  const deadline = t0 + plan.joinLimitMs;
  const peers: LoadPeer[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < plan.peers && performance.now() < deadline && closedByServer(client) < JOIN_CLOSES_TO_STOP) {
      const i = next++;
      const ws = await openSocket(plan.url, Math.min(OPEN_TIMEOUT_MS, Math.max(1, deadline - performance.now())));
      if (!ws) continue;
      const peer = new LoadPeer(i, i % plan.swarms, client.peerId(i), ws);
      peer.onJson((m) => client.onMessage(peer, m));
      ws.on('close', (code) => {
        if (!closing) client.onClose(code);
      });
      ws.on('error', () => undefined);
      const ok = await client.join(peer, Math.max(1, Math.min(JOIN_REPLY_TIMEOUT_MS, deadline - performance.now())));
      if (ok) {
        peers.push(peer);
      } else {
        // Not joined: not part of the load, and its close is ours, not the server's.
        ws.removeAllListeners('close');
        ws.terminate();
      }
    }
  };
  await Promise.all(Array.from({ length: JOIN_CONCURRENCY }, worker));
  const ms = performance.now() - t0;
  return { peers, join: { ms, connected: peers.length, failed: plan.peers - peers.length } };
}

/** How often the schedule looks for due announces; each is sent at its own due time or this much later. */
const TICK_MS = 5;

/**
 * The measured loop, an open one: every peer re-announces once per `announceIntervalMs`, at a
 * random phase of its own (so announces are spread evenly, as clients that joined at different
 * times are), whether or not its last round or anyone else's is over. A slow server therefore
 * meets the same offered load and shows it as latency and incomplete rounds, rather than being
 * given less to do (a closed loop would wait for it).
 */
async function run(plan: EdgeLoadPlan, client: TrackerSwarmClient, peers: LoadPeer[]): Promise<EdgeLoadResult> {
  const offerMs: number[] = [];
  const answerMs: number[] = [];
  const late: number[] = [];
  let rounds = 0;
  let incomplete = 0;
  let lost = 0;
  client.phase = 'run';
  const t0 = performance.now();
  const windowStart = t0 + plan.warmupMs;
  const windowEnd = windowStart + plan.windowMs;
  // The parent reads the server's CPU time at the same two moments.
  const reading = (edge: 'start' | 'end') => {
    reply({ type: 'window', edge });
    return { at: performance.now(), sent: counters.sent, received: counters.received };
  };
  let atStart = { at: t0, sent: 0, received: 0 };
  let atEnd: ReturnType<typeof reading> | null = null;
  // Counters are read on the clock, not when a round happens to end; a busy event loop may run a
  // timer late, so the window is what elapsed between the two readings, not what was planned.
  const startTimer = setTimeout(() => (atStart = reading('start')), windowStart - t0);
  const endTimer = setTimeout(() => (atEnd = reading('end')), windowEnd - t0);

  // Due times in order; with one interval for all, re-queuing at the back keeps the order.
  const queue = peers.map((peer) => ({ peer, at: t0 + Math.random() * plan.announceIntervalMs })).sort((a, b) => a.at - b.at);
  const inFlight: Promise<void>[] = [];
  const fire = (peer: LoadPeer, dueAt: number): void => {
    const startedAt = performance.now();
    const counted = dueAt >= windowStart;
    if (counted) late.push(startedAt - dueAt);
    inFlight.push(
      client.round(peer).then((outcome) => {
        if (!counted) return;
        rounds++;
        if (!outcome.complete) incomplete++;
        lost += outcome.lost;
        offerMs.push(...outcome.offerMs);
        answerMs.push(...outcome.answerMs);
      }),
    );
  };
  let head = 0;
  while (performance.now() < windowEnd) {
    const now = performance.now();
    while (head < queue.length && queue[head]!.at <= now && queue[head]!.at < windowEnd) {
      const slot = queue[head++]!;
      fire(slot.peer, slot.at);
      queue.push({ peer: slot.peer, at: slot.at + plan.announceIntervalMs });
    }
    await sleep(TICK_MS);
  }
  // Rounds started in the window end within the round timeout.
  await Promise.all(inFlight);
  clearTimeout(startTimer);
  clearTimeout(endTimer);
  // The last round can end in the same loop turn as the window, before its timer ran.
  const end = atEnd ?? reading('end');
  const windowMs = end.at - atStart.at;
  late.sort((a, b) => a - b);
  const handed = [...client.handedInRun.values()];
  return {
    rounds,
    roundsIncomplete: incomplete,
    sent: end.sent - atStart.sent,
    received: end.received - atStart.received,
    windowMs,
    offerLatencies: offerMs.sort((a, b) => a - b),
    answerLatencies: answerMs.sort((a, b) => a - b),
    offersLost: lost,
    plannedRoundsPerSec: (peers.length * 1000) / plan.announceIntervalMs,
    messagesPerRound: 2 + 3 * plan.offersPerAnnounce,
    lateP99Ms: late.length ? late[Math.min(late.length - 1, Math.floor(late.length * 0.99))]! : 0,
    lateMaxMs: late.at(-1) ?? 0,
    overBudget: { join: { ...client.overBudget.join }, run: { ...client.overBudget.run } },
    runLowest: { ...client.runLowest },
    offersHanded: handed.reduce((a, b) => a + b, 0),
    offersHandedMaxPerPeer: Math.max(0, ...handed),
    refusals: client.refusals,
  };
}

let plan: EdgeLoadPlan | null = null;
let client: TrackerSwarmClient | null = null;
let joined: LoadPeer[] = [];

process.on('message', (m: EdgeLoadRequest) => {
  void (async () => {
    try {
      if (m.type === 'join') {
        plan = m.plan;
        client = new TrackerSwarmClient(plan.offersPerAnnounce, plan.roundTimeoutMs);
        const { peers, join } = await joinAll(plan, client);
        joined = peers;
        reply({ type: 'joined', join });
      } else if (m.type === 'go' && plan && client) {
        const result = await run(plan, client, joined);
        closing = true;
        // Exit only once the result is through the IPC pipe: it carries every latency (megabytes
        // at 5000 peers), and closing thousands of sockets first would keep the loop busy meanwhile.
        process.send?.({ type: 'result', result } satisfies EdgeLoadReply, undefined, {}, () => {
          for (const p of joined) p.ws.terminate();
          process.exit(0);
        });
      }
    } catch (e) {
      reply({ type: 'error', message: (e as Error).stack ?? String(e) });
      process.exit(1);
    }
  })();
});
reply({ type: 'ready' });
