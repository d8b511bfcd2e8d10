/**
 * The load generator, in its own Node process (forked by bench/signaling.ts) so its CPU and
 * memory are not the server's: opens N WebSockets, joins them to M swarms, reports, then on `go`
 * runs a bounded number of lookups (bounded in time too) with a fixed number outstanding, and
 * reports counts and relay latencies. Every socket is closed before it exits.
 */

import type { LoadPlan, LoadReply, LoadRequest } from '../lib/signaling/ipc.ts';
import { counters, LoadPeer, openSocket, visitorAddress } from '../lib/signaling/load-peer.ts';
import type { Driver } from './load-driver.ts';
import { oursDriver } from './load-ours.ts';
import { trackerDriver } from './load-tracker.ts';

const OPEN_TIMEOUT_MS = 10_000;
const LOOKUP_TIMEOUT_MS = 2_000;
/** Sockets opened at once while joining: a burst of thousands would only measure the accept queue. */
const JOIN_CONCURRENCY = 200;

const reply = (m: LoadReply): void => {
  process.send?.(m);
};

async function joinAll(plan: LoadPlan, driver: Driver): Promise<{ peers: LoadPeer[]; failed: number }> {
  const peers: LoadPeer[] = [];
  let failed = 0;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < plan.peers) {
      const i = next++;
      const ws = await openSocket(plan.url, OPEN_TIMEOUT_MS, visitorAddress(i));
      if (!ws) {
        failed++;
        continue;
      }
      const peer = new LoadPeer(i, i % plan.swarms, driver.peerId(i), ws);
      peer.onJson((m) => driver.onMessage(peer, m));
      ws.on('error', () => undefined);
      const ok = await Promise.race([driver.join(peer), new Promise<boolean>((r) => setTimeout(() => r(false), OPEN_TIMEOUT_MS))]);
      if (ok) peers.push(peer);
      else failed++;
    }
  };
  await Promise.all(Array.from({ length: JOIN_CONCURRENCY }, worker));
  return { peers, failed };
}

async function lookups(plan: LoadPlan, driver: Driver, peers: LoadPeer[]) {
  const latencies: number[] = [];
  let started = 0;
  let done = 0;
  let timedOut = 0;
  counters.sent = 0;
  counters.received = 0;
  const t0 = performance.now();
  const deadline = t0 + plan.timeLimitMs;
  const worker = async (): Promise<void> => {
    while (started < plan.lookups && performance.now() < deadline) {
      started++;
      const peer = peers[Math.floor(Math.random() * peers.length)]!;
      const outcome = await driver.lookup(peer);
      latencies.push(...outcome.latencies);
      if (outcome.complete) done++;
      else timedOut++;
    }
  };
  await Promise.all(Array.from({ length: plan.concurrency }, worker));
  const phaseMs = performance.now() - t0;
  return {
    lookupsDone: done,
    lookupsTimedOut: timedOut,
    relays: latencies.length,
    sent: counters.sent,
    received: counters.received,
    phaseMs,
    latencies: latencies.sort((a, b) => a - b),
  };
}

let plan: LoadPlan | null = null;
let driver: Driver | null = null;
let joined: LoadPeer[] = [];
let joinStats = { ms: 0, failed: 0 };

process.on('message', (m: LoadRequest) => {
  void (async () => {
    try {
      if (m.type === 'start') {
        plan = m.plan;
        driver = plan.kind === 'ours' ? oursDriver(LOOKUP_TIMEOUT_MS) : trackerDriver(plan.offersPerLookup, LOOKUP_TIMEOUT_MS);
        const t0 = performance.now();
        const { peers, failed } = await joinAll(plan, driver);
        joined = peers;
        joinStats = { ms: performance.now() - t0, failed };
        reply({ type: 'joined', ms: joinStats.ms, failed });
      } else if (m.type === 'go' && plan && driver) {
        const r = await lookups(plan, driver, joined);
        for (const p of joined) p.ws.terminate();
        // Exit only once the result is through the IPC channel: with tens of thousands of
        // latencies it takes longer than a fixed delay on a busy machine, and exiting first lost it.
        process.send?.({ type: 'result', result: { joinMs: joinStats.ms, joinFailed: joinStats.failed, ...r } } satisfies LoadReply, () =>
          process.exit(0),
        );
      }
    } catch (e) {
      reply({ type: 'error', message: (e as Error).stack ?? String(e) });
      process.exit(1);
    }
  })();
});
