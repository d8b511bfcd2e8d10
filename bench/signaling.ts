/**
 * Signaling: our server (signal-worker, Node adapter) against bittorrent-tracker's WebSocket
 * server, same run, same workload: N WebSocket peers in M swarms join (announce) with what they
 * have, then a bounded loop of lookups, each handing out 4 offers and relaying 4 answers back.
 * Each server runs alone in its own child process (memory measured there, after a full GC); the
 * load comes from another child process, over loopback. Prints markdown on stdout.
 *   node --import tsx bench/signaling.ts
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { MAX_PEERS_PER_WANT } from '../protocol/limits.ts';
import { Budget } from './lib/budget.ts';
import { progress } from './lib/log.ts';
import { signalingTable, type SignalCell } from './lib/signaling-report.ts';
import type { LoadPlan, LoadReply, LoadRequest, LoadResult, ServerKind, ServerReply, ServerRequest } from './lib/signal-ipc.ts';

const BUDGET_MS = 150_000;
/** `PC_SIGNAL_PEERS=300` for a quick development run on a shared machine. */
const PEER_COUNTS = (process.env.PC_SIGNAL_PEERS ?? "1000,5000").split(",").map(Number);
const SWARMS = 10;
const LOOKUPS = 20_000;
const LOOKUP_CONCURRENCY = 100;
const PHASE_LIMIT_MS = 8_000;
const CHILD_TIMEOUT_MS = 60_000;
const KINDS: readonly ServerKind[] = ['ours', 'tracker'];

const child = (file: string, args: string[], gc: boolean): ChildProcess =>
  fork(fileURLToPath(new URL(`./lib/${file}`, import.meta.url)), args, {
    execArgv: ['--import', 'tsx', ...(gc ? ['--expose-gc'] : [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });

/** The next IPC message matching `pick`, or an error after `ms` (or if the child exits). */
function next<T>(proc: ChildProcess, pick: (m: unknown) => m is T, ms = CHILD_TIMEOUT_MS): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`no reply from child within ${ms} ms`)), ms);
    const onMessage = (m: unknown): void => {
      if (pick(m)) done(null, m);
    };
    const onExit = (code: number | null): void => done(new Error(`child exited (${code})`));
    const done = (err: Error | null, value?: T): void => {
      clearTimeout(timer);
      proc.off('message', onMessage);
      proc.off('close', onExit);
      if (err) reject(err);
      else resolve(value as T);
    };
    proc.on('message', onMessage);
    // 'close', not 'exit': a child that sends its result and exits at once can have its 'exit'
    // seen before its last IPC message is emitted (seen once on a loaded machine); 'close' comes
    // after the IPC channel has drained.
    proc.on('close', onExit);
  });
}

const isServer = <K extends ServerReply['type']>(type: K) => (m: unknown): m is Extract<ServerReply, { type: K }> =>
  typeof m === 'object' && m !== null && (m as { type?: unknown }).type === type;
const isLoad = <K extends LoadReply['type']>(type: K) => (m: unknown): m is Extract<LoadReply, { type: K | 'error' }> =>
  typeof m === 'object' && m !== null && ((m as { type?: unknown }).type === type || (m as { type?: unknown }).type === 'error');

async function memory(server: ChildProcess): Promise<{ rss: number; heapUsed: number }> {
  server.send({ type: 'mem' } satisfies ServerRequest);
  return next(server, isServer('mem'));
}

async function cell(kind: ServerKind, peers: number): Promise<SignalCell> {
  const server = child('signal-server-child.ts', [kind], true);
  const load = child('signal-load-child.ts', [], false);
  try {
    const { url } = await next(server, isServer('ready'));
    const before = await memory(server);
    const plan: LoadPlan = {
      kind, url, peers, swarms: SWARMS, lookups: LOOKUPS, concurrency: LOOKUP_CONCURRENCY,
      timeLimitMs: PHASE_LIMIT_MS, offersPerLookup: MAX_PEERS_PER_WANT,
    };
    load.send({ type: 'start', plan } satisfies LoadRequest);
    const joined = await next(load, isLoad('joined'));
    if (joined.type === 'error') throw new Error(joined.message);
    const after = await memory(server);
    load.send({ type: 'go' } satisfies LoadRequest);
    const r = await next(load, isLoad('result'));
    if (r.type === 'error') throw new Error(r.message);
    const result: LoadResult = r.result;
    const connected = peers - joined.failed;
    return { kind, peers, connected, result, rssPerPeer: (after.rss - before.rss) / connected, heapPerPeer: (after.heapUsed - before.heapUsed) / connected };
  } finally {
    load.kill();
    server.send({ type: 'stop' } satisfies ServerRequest);
    await new Promise((r) => setTimeout(r, 300));
    server.kill();
  }
}

async function main(): Promise<void> {
  const budget = new Budget(BUDGET_MS);
  const cells: SignalCell[] = [];
  const skipped: string[] = [];
  for (const peers of PEER_COUNTS) {
    for (const kind of KINDS) {
      if (budget.short(PHASE_LIMIT_MS + 30_000)) {
        skipped.push(`${kind} × ${peers}`);
        continue;
      }
      progress(`signaling: ${kind}, ${peers} peers`);
      cells.push(await cell(kind, peers));
    }
  }
  const out = [
    '## Signaling: our server against bittorrent-tracker',
    '',
    `Ours: signal-worker's Node adapter (\`startSignalServer\`, hono + @hono/node-ws + ws). bittorrent-tracker 11: \`new Server({udp:false, http:false, ws:true, stats:false})\`. ` +
      'Each server alone in its own Node 20 process; the load in another, over loopback WebSockets (ws 8, no compression), on the same 2 shared cores. ' +
      `N peers in ${SWARMS} swarms join first (ours: \`join\` with one asset and 2 parked offers; tracker: announce \`started\`), ${200} sockets opening at a time. ` +
      `Then lookups, ${LOOKUP_CONCURRENCY} outstanding, random requester, at most ${LOOKUPS} or ${PHASE_LIMIT_MS / 1000} s: ` +
      `ours: \`want\` → \`peers\` with ${MAX_PEERS_PER_WANT} parked offers (+ \`offer-used\` to each holder, which parks a fresh offer) → ${MAX_PEERS_PER_WANT} \`signal\` answers relayed to the holders; ` +
      `tracker: announce with ${MAX_PEERS_PER_WANT} offers → forwarded to ${MAX_PEERS_PER_WANT} random peers → each announces an \`answer\` → relayed back. ` +
      'SDPs are ~650-character strings shaped like Chromium\'s. Messages/s counts every WebSocket message the clients sent plus every one they received. ' +
      'Relay latency: an answer sent by one peer → received by the other (same process clock). Memory per peer: server process RSS and V8 heap after a full GC, ' +
      'with N peers joined minus before any connection, divided by N.',
    '',
    signalingTable(cells),
    '',
    ...(skipped.length ? [`**Skipped (time budget): ${skipped.join(', ')}.**`, ''] : []),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`signaling failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
