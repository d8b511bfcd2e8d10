/**
 * Signaling on every runtime: our signaling app's WebTorrent tracker started for real on Node,
 * Deno, Bun and workerd (tests/runtimes/launch.ts), and bittorrent-tracker's server, in the same
 * run on the same workload: N WebSocket peers in M swarms announce with offers, then paced
 * re-announces whose offers are forwarded, answered and relayed back. Each server runs alone in
 * its own process(es); the load comes from one Node child over loopback. Prints markdown.
 *   node --import tsx bench/edge-load.ts
 *   PC_EDGE_PEERS=200 PC_EDGE_SERVERS=bittorrent-tracker,node node --import tsx bench/edge-load.ts
 */
import { cpus, loadavg } from 'node:os';
import { RUNTIMES } from '../tests/runtimes/types.ts';
import type { EdgeLoadPlan, EdgeLoadReply, EdgeLoadRequest } from './edge-load/ipc.ts';
import { type CpuSample, sampleCpu, windowCpu } from './edge-load/proc-cpu.ts';
import { openFilesLimit, serverOpenFiles } from './edge-load/proc-fds.ts';
import {
  BASELINE,
  budgetLines,
  capacityLines,
  type EdgeCell,
  edgeTable,
  lateLines,
  missingLines,
  partLines,
  refusalLines,
} from './edge-load/report.ts';
import { runtimeVersions } from './edge-load/runtime-versions.ts';
import { type EdgeServerName, type ServerUnderTest, startServer } from './edge-load/servers.ts';
import { Budget, sleep } from './lib/run/budget.ts';
import { endChild, forkChild, nextMessage } from './lib/run/child-ipc.ts';
import { progress } from './lib/run/log.ts';

/**
 * The whole file; the issue asks for ≤ 6 minutes. Every wait below is also cut to what is left of
 * it, so a wedged runtime ends its row early instead of the run late; stopping the last server
 * (≤ 15 s) is all that can follow.
 */
const BUDGET_MS = 330_000;
/**
 * At a client's pace the load grows with the peers, so the large row is as many as fit: each
 * peer is one open file in the load process and ~1 in the server, under a `ulimit -n` of 20 000,
 * and 10 000 join in ~15 s on this shared machine (15 000 took 22–29 s, too long for every runtime
 * to fit the budget). 2 000 is the row workerd fits (~6.3 open files per peer under wrangler dev).
 * `PC_EDGE_PEERS=200` for a quick development run on a shared machine.
 */
const PEER_COUNTS = (process.env.PC_EDGE_PEERS ?? '2000,10000').split(',').map(Number);
const SERVERS: readonly EdgeServerName[] = process.env.PC_EDGE_SERVERS
  ? (process.env.PC_EDGE_SERVERS.split(',') as EdgeServerName[])
  : [BASELINE, ...RUNTIMES];
/**
 * 100 peers per swarm (a busy page's visitors): far from either server's swarm bound (ours
 * 1000, bittorrent-tracker's LRU 1000, which would silently evict), and enough that each
 * announce's 5 offers always find 5 other peers.
 */
const PEERS_PER_SWARM = 100;
/** What bittorrent-tracker's client sends per announce (its numwant is capped at 5 offers). */
const OFFERS = 5;
/**
 * Every peer re-announces with 5 fresh offers once per 30 s: the `min interval` our tracker
 * sends, the fastest a client is asked to go (bittorrent-tracker's and so WebTorrent's client
 * re-announce on `interval`, 120 s: 4× slower). Each offer goes to another peer of the swarm, so
 * each peer is handed 5 offers per 30 s on average, 10/min: a third of our per-target budget
 * (burst 20, then 30/min), whatever the swarm size; a given sender reaches a given peer at most
 * once per announce, 2/min against its 6/min share (burst 4). A 10 s interval would sit at the
 * budget itself, and chance peaks over it would be sent elsewhere or dropped. Throughput therefore
 * grows with peers, not with pace: N peers offer N × 17 messages per 30 s.
 * `PC_EDGE_ANNOUNCE_S` changes it for development only (under 10 s the budget cuts offers).
 */
const ANNOUNCE_INTERVAL_MS = Number(process.env.PC_EDGE_ANNOUNCE_S ?? 30) * 1000;
const WARMUP_MS = 1_000;
const WINDOW_MS = Number(process.env.PC_EDGE_WINDOW_MS ?? 6_000);
const ROUND_TIMEOUT_MS = 2_000;
const JOIN_LIMIT_MS = 45_000;
/** Pause before each memory reading, so allocation from start-up or joining has settled. */
const SETTLE_MS = 2_000;
const START_TIMEOUT_MS = 30_000;
/** What one row needs at most when nothing goes wrong at 10 000 peers; a shorter budget skips the row. */
const CELL_NEED_MS = 45_000;

async function withLimit<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took over ${ms / 1000} s`)), ms)));
  try {
    return await Promise.race([work, limit]);
  } finally {
    clearTimeout(timer);
  }
}

/** A runtime's error may carry its last output lines; the table gets the first line, whole. */
const oneLine = (err: unknown): string =>
  ((err as Error).message ?? String(err))
    .split('\n')[0]!
    .replace(/;? ?last output:$/, '')
    .slice(0, 300);

async function measure(
  server: ServerUnderTest,
  plan: EdgeLoadPlan,
  cap: (ms: number) => number,
): Promise<Omit<Extract<EdgeCell['outcome'], { ok: true }>, 'ok'>> {
  const load = forkChild(new URL('./edge-load/load-child.ts', import.meta.url));
  try {
    await nextMessage<EdgeLoadReply, 'ready'>(load, ['ready'], cap(30_000));
    await sleep(SETTLE_MS);
    const rssIdle = await server.rssBytes();
    const partIdle = await server.part?.rssBytes();
    const filesIdle = await serverOpenFiles(load.pid ?? -1);
    const joinLimitMs = cap(plan.joinLimitMs);
    load.send({ type: 'join', plan: { ...plan, joinLimitMs } } satisfies EdgeLoadRequest);
    const joined = await nextMessage<EdgeLoadReply, 'joined' | 'error'>(load, ['joined', 'error'], cap(joinLimitMs + 15_000));
    if (joined.type === 'error') throw new Error(joined.message);
    if (joined.join.connected === 0) throw new Error('no peer could join');
    if (!(await server.alive()))
      throw new Error(
        `the server stopped serving while peers joined (its health route no longer answers); ${joined.join.connected} of ${plan.peers} had joined in ${(joined.join.ms / 1000).toFixed(1)} s`,
      );
    await sleep(SETTLE_MS);
    const rssLoaded = await server.rssBytes();
    const partLoaded = await server.part?.rssBytes();
    const filesLoaded = await serverOpenFiles(load.pid ?? -1);
    const samples: Promise<CpuSample>[] = [];
    const onWindow = (m: EdgeLoadReply): void => {
      if (m.type === 'window') samples.push(sampleCpu());
    };
    load.on('message', onWindow);
    load.send({ type: 'go' } satisfies EdgeLoadRequest);
    const done = await nextMessage<EdgeLoadReply, 'result' | 'error'>(
      load,
      ['result', 'error'],
      cap(WARMUP_MS + WINDOW_MS + ROUND_TIMEOUT_MS + 20_000),
    );
    load.off('message', onWindow);
    if (done.type === 'error') throw new Error(done.message);
    if (!(await server.alive())) {
      // Its numbers would describe a dead server; what happened on the way is the finding.
      const closed = Object.entries(done.result.refusals.closed).map(([code, n]) => `${n} sockets closed by the server with code ${code}`);
      throw new Error(
        `the server stopped serving during the run (its health route no longer answers); ${joined.join.connected} of ${plan.peers} peers had joined in ${(joined.join.ms / 1000).toFixed(1)} s${closed.length ? `; ${closed.join(', ')}` : ''}`,
      );
    }
    const [start, end] = await Promise.all(samples);
    const cpu = start && end && load.pid !== undefined ? windowCpu(start, end, load.pid) : null;
    const part =
      server.part && partIdle !== undefined && partLoaded !== undefined
        ? { label: server.part.label, idle: partIdle, loaded: partLoaded }
        : undefined;
    return {
      join: joined.join,
      rssIdle,
      rssLoaded,
      result: done.result,
      cpu,
      openFiles: { idle: filesIdle.busiest, loaded: filesLoaded.busiest },
      ...(part ? { part } : {}),
    };
  } finally {
    await endChild(load, () => load.kill(), 2_000);
  }
}

async function cell(name: EdgeServerName, peers: number, budget: Budget): Promise<EdgeCell> {
  const cap = (ms: number): number => Math.max(1, Math.min(ms, budget.remainingMs()));
  const why = (err: unknown): string =>
    budget.remainingMs() === 0 ? "stopped: the benchmark's time budget ran out in this row" : oneLine(err);
  const swarms = Math.ceil(peers / PEERS_PER_SWARM);
  const plan: EdgeLoadPlan = {
    url: '',
    peers,
    swarms,
    offersPerAnnounce: OFFERS,
    announceIntervalMs: ANNOUNCE_INTERVAL_MS,
    warmupMs: WARMUP_MS,
    windowMs: WINDOW_MS,
    roundTimeoutMs: ROUND_TIMEOUT_MS,
    joinLimitMs: JOIN_LIMIT_MS,
  };
  let server: ServerUnderTest;
  try {
    server = await withLimit(startServer(name, cap(START_TIMEOUT_MS)), cap(START_TIMEOUT_MS + 5_000), `starting ${name}`);
  } catch (err) {
    return { server: name, peers, swarms, outcome: { ok: false, reason: `could not start: ${why(err)}` } };
  }
  try {
    const m = await measure(server, { ...plan, url: server.trackerUrl }, cap);
    return { server: name, peers, swarms, outcome: { ok: true, ...m } };
  } catch (err) {
    return { server: name, peers, swarms, outcome: { ok: false, reason: `failed during the run: ${why(err)}` } };
  } finally {
    await withLimit(server.stop(), 15_000, `stopping ${name}`).catch((err: unknown) => progress(`edge-load: ${oneLine(err)}`));
  }
}

function describe(): string {
  return [
    `Our signaling app (signal-worker/app.ts, hono) started for real on each runtime by tests/runtimes/launch.ts, its WebTorrent tracker route (\`/peer-connect/announce\`) under load; ` +
      `bittorrent-tracker's own server (\`new Server({udp:false, http:false, ws:true, stats:false})\`) alone in a Node child. Versions: ${runtimeVersions()}. ` +
      "Deno and Bun run their own adapters' entries (Deno.serve, Bun.serve), Node the @hono/node-server one; workerd runs the Cloudflare adapter (each site's tracker one Durable Object with hibernatable WebSockets; all peers here are one site, so one object) under `wrangler dev`, " +
      'which puts its proxy worker (a second workerd process) in front of the worker, so every frame crosses one more local hop than on the other runtimes. ' +
      'One server at a time, each in its own process(es); the load in one separate Node process (ws 8, no compression), over 127.0.0.1, on the same 2 shared cores.',
    '',
    `Workload, the WebTorrent tracker protocol both servers speak, at a client's pace: N peers (one WebSocket each, one peer id each), ${PEERS_PER_SWARM} per swarm (info hash), ` +
      `each announce \`started\` with ${OFFERS} offers (what WebTorrent sends), 200 sockets opening at a time. Then every peer re-announces once every ${ANNOUNCE_INTERVAL_MS / 1000} s, ` +
      'each at its own random phase and on its own timer whatever is still outstanding (an open loop, as clients announce): an announce with ' +
      `${OFFERS} fresh offers → the announce response, and each offer forwarded to a random other peer of the swarm → that peer answers at once (an announce with \`answer\`) → the answer relayed back. ` +
      `Every peer is a leecher (\`left\` > 0). SDPs are ~650-character strings shaped like Chromium's (bench/lib/signaling/fake-sdp.ts). ` +
      `${WARMUP_MS / 1000} s warm-up, then a ${WINDOW_MS / 1000} s counted window.`,
    '',
    `Why that pace: our tracker hands one peer at most 20 offers at once, then 30/min, from everyone together, and at most 4, then 6/min, from any one connection ` +
      '(signal-worker/core/tracker/tracker-limits.ts); a limit can be lowered by config, never raised, so the benchmark must stay under it. ' +
      `Each peer sends ${OFFERS} offers per announce to ${OFFERS} different peers, so on average each peer is handed ${OFFERS} offers per interval, ` +
      `${((OFFERS * 60_000) / ANNOUNCE_INTERVAL_MS).toFixed(0)}/min (${((OFFERS * 60_000) / ANNOUNCE_INTERVAL_MS / 30).toFixed(2)} of the 30/min), and at most one per announce from a given sender ` +
      `(${(60_000 / ANNOUNCE_INTERVAL_MS).toFixed(0)}/min against 6/min). ${ANNOUNCE_INTERVAL_MS / 1000} s is the \`min interval\` our tracker sends, the fastest a client is asked to announce; ` +
      "bittorrent-tracker's client (WebTorrent's) re-announces on `interval`, 120 s. " +
      "The load keeps, with the same rules, each peer's budget as it is handed offers, and counts every offer that arrived with it spent (below the table): our tracker would have sent that offer to another peer. " +
      `The join is the one burst: each swarm's ${PEERS_PER_SWARM} peers join within seconds, each with ${OFFERS} offers for the peers already there, so a swarm's first peers are handed ~20 ` +
      '(5 × (1/6 + … + 1/99) + 5), the whole burst of 20; that is where the lowest budget levels below come from, recovering at 30/min less what the pace spends. ' +
      `Earlier runs announced up to every 200 ms per peer (~25 offers handed to each peer a second, closed loop with 100 rounds outstanding): past the budget, most offers went unanswered on our tracker. ` +
      `At a client's pace the load on a server grows with its peers, not their speed: N peers make N × ${2 + 3 * OFFERS} messages per ${ANNOUNCE_INTERVAL_MS / 1000} s, ` +
      'so the question is no longer how fast one server relays (its CPU per message says that) but how many concurrent peers it holds, at what memory, CPU and latency.',
    '',
    `- **messages/s of planned**: every WebSocket message the clients sent plus every one they received inside the window (${2 + 3 * OFFERS} per round: announce, response, ${OFFERS} offers forwarded, ${OFFERS} answers sent, ${OFFERS} relayed), ` +
      `against what the schedule asks for (peers ÷ ${ANNOUNCE_INTERVAL_MS / 1000} s × ${2 + 3 * OFFERS}); a server that keeps up carries it all (± chance: each peer's phase is random), one that falls behind shows it here and in the latency. ` +
      'Rows where the load itself started its announces late (p99 over 50 ms: the shared machine or the load, not the server, set the pace) are listed under the table.',
    "- **server CPU µs/message**: the server's process tree's CPU time over the window ÷ the messages in it; what a server costs per message at this load, so what it would carry per core (estimated below the table). At the small N the fixed costs of an idle server (timers, collection) weigh more. ÷ bt: lower is better.",
    '- **relay p50/p99**: offer (A sends its announce → B has the offer) and answer (B sends → A has it), pooled, for rounds started in the window; both ends are in the load process, one clock. Split in the next column.',
    `- **incomplete rounds**: of the rounds due in the window, the response or one of the ${OFFERS} answers not back within ${ROUND_TIMEOUT_MS / 1000} s. **refused**: \`failure reason\` replies plus sockets closed by the server, whole run (details below).`,
    "- **CPU server / load / others**: cores busy over the window, in % of one core (/proc): the server's process tree, the load process, and everything else on the machine (other people's work on the shared cores). " +
      "Each server runs its JavaScript on one thread, so near 100% it is saturated (workerd's tree also holds wrangler's Node and the proxy); a load near 100% means the load generator, not the server, was the limit; " +
      'a large "others" means the row ran on less than its share of the machine.',
    `- **RSS**: the server's process tree as the kernel counts it (/proc VmRSS), ${SETTLE_MS / 1000} s after start-up with no peer, and ${SETTLE_MS / 1000} s after the last peer joined; ` +
      'RSS/peer = the difference ÷ peers connected. No garbage collection is forced in any row: workerd, Deno and Bun cannot be made to collect from outside the process, ' +
      'so Node and bittorrent-tracker are not forced either; RSS includes garbage not yet collected and heap the runtime keeps after a collection. ' +
      'Both Node rows run under tsx (`node --import tsx`), which adds to their idle RSS, not to RSS per peer.',
    "- **÷ bt**: this row ÷ bittorrent-tracker's row at the same N (CPU per message, p99 and RSS/peer: lower is better).",
  ].join('\n');
}

/** Other work on this machine shares the 2 cores; the table says how busy they were. */
const loadAverage = (): string => loadavg()[0]!.toFixed(1);

/**
 * A row that would run out of open files is not run: it would only measure the crash, and cost a
 * minute of the run. Predicted from the same server's open files per peer at a smaller N
 * (workerd under wrangler dev: ~6.3 per peer, its proxy dies with "accept: Too many open files").
 */
function predictedOverFileLimit(cells: readonly EdgeCell[], server: string, peers: number, limit: number): string | null {
  if (!Number.isFinite(limit)) return null;
  for (const c of cells) {
    if (c.server !== server || c.peers >= peers || !c.outcome.ok) continue;
    const perPeer = (c.outcome.openFiles.loaded - c.outcome.openFiles.idle) / c.outcome.join.connected;
    const need = Math.round(perPeer * peers);
    if (need > limit) {
      return `skipped: ${perPeer.toFixed(1)} open files per peer (measured at ${c.peers.toLocaleString('en-US')}) make ~${need.toLocaleString('en-US')} for ${peers.toLocaleString('en-US')} peers, over the ${limit.toLocaleString('en-US')} open-file limit (\`ulimit -n\`)`;
    }
  }
  return null;
}

async function main(): Promise<void> {
  const budget = new Budget(BUDGET_MS);
  const fileLimit = await openFilesLimit();
  const loadBefore = loadAverage();
  const cells: EdgeCell[] = [];
  for (const peers of PEER_COUNTS) {
    for (const name of SERVERS) {
      const swarms = Math.ceil(peers / PEERS_PER_SWARM);
      if (budget.short(CELL_NEED_MS)) {
        cells.push({ server: name, peers, swarms, outcome: { ok: false, reason: "skipped: the benchmark's time budget ran out" } });
        continue;
      }
      const overFiles = predictedOverFileLimit(cells, name, peers, fileLimit);
      if (overFiles) {
        cells.push({ server: name, peers, swarms, outcome: { ok: false, reason: overFiles } });
        continue;
      }
      progress(`edge-load: ${name}, ${peers} peers`);
      const c = await cell(name, peers, budget);
      if (!c.outcome.ok) progress(`edge-load: ${name}: ${c.outcome.reason}`);
      cells.push(c);
    }
  }
  const missing = missingLines(cells);
  const parts = partLines(cells);
  const machine = `Machine load average (1 min, ${cpus().length} cores): ${loadBefore} before the first row, ${loadAverage()} after the last.`;
  const files = `Open files per peer (the server's busiest process, after the join, minus idle) decide how many peers fit under the per-process limit, here ${await openFilesLimit()} (\`ulimit -n\`).`;
  const out = [
    '## Signaling on every runtime',
    '',
    describe(),
    '',
    edgeTable(cells),
    '',
    "Concurrent peers per server (one process; workerd: wrangler's process tree), at the largest N each held:",
    '',
    ...capacityLines(cells),
    '',
    files,
    '',
    `Offer budgets (our tracker's, counted by the load for every server):`,
    '',
    ...budgetLines(cells),
    '',
    'Refused or cut:',
    '',
    ...refusalLines(cells),
    ...lateLines(cells),
    '',
    machine,
    '',
    ...(parts.length ? ['Where the RSS above also counts tooling around the runtime:', '', ...parts, ''] : []),
    ...(missing.length ? ['**Not measured:**', '', ...missing, ''] : []),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`edge-load failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
