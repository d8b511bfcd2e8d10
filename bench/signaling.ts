/**
 * Signaling: our server (signal-worker, Node adapter) against bittorrent-tracker's WebSocket
 * server, same run, same workload: N WebSocket peers in M swarms join (announce) with what they
 * have, then a bounded loop of lookups, each handing out 4 offers and relaying 4 answers back.
 * Each server runs alone in its own child process (memory measured there, after a full GC); the
 * load comes from another child process, over loopback. Prints markdown on stdout.
 *   node --import tsx bench/signaling.ts
 */
import type { ChildProcess } from 'node:child_process';
import { MAX_PEERS_PER_WANT } from '../protocol/limits.ts';
import { Budget } from './lib/run/budget.ts';
import { forkChild, nextMessage } from './lib/run/child-ipc.ts';
import { progress } from './lib/run/log.ts';
import type { LoadPlan, LoadReply, LoadRequest, LoadResult, ServerKind, ServerReply, ServerRequest } from './lib/signaling/ipc.ts';
import { type SignalCell, signalingTable } from './signaling/report.ts';

const BUDGET_MS = 150_000;
/** `PC_SIGNAL_PEERS=300` for a quick development run on a shared machine. */
const PEER_COUNTS = (process.env.PC_SIGNAL_PEERS ?? '1000,5000').split(',').map(Number);
const SWARMS = 10;
const LOOKUPS = 20_000;
const LOOKUP_CONCURRENCY = 100;
const PHASE_LIMIT_MS = 8_000;
const CHILD_TIMEOUT_MS = 60_000;
const KINDS: readonly ServerKind[] = ['ours', 'tracker'];

async function memory(server: ChildProcess): Promise<{ rss: number; heapUsed: number }> {
  server.send({ type: 'mem' } satisfies ServerRequest);
  return nextMessage<ServerReply, 'mem'>(server, ['mem'], CHILD_TIMEOUT_MS);
}

async function cell(kind: ServerKind, peers: number): Promise<SignalCell> {
  const server = forkChild(new URL('./lib/signaling/server-child.ts', import.meta.url), [kind], { exposeGc: true });
  const load = forkChild(new URL('./signaling/load-child.ts', import.meta.url));
  try {
    const { url } = await nextMessage<ServerReply, 'ready'>(server, ['ready'], CHILD_TIMEOUT_MS);
    const before = await memory(server);
    const plan: LoadPlan = {
      kind,
      url,
      peers,
      swarms: SWARMS,
      lookups: LOOKUPS,
      concurrency: LOOKUP_CONCURRENCY,
      timeLimitMs: PHASE_LIMIT_MS,
      offersPerLookup: MAX_PEERS_PER_WANT,
    };
    load.send({ type: 'start', plan } satisfies LoadRequest);
    const joined = await nextMessage<LoadReply, 'joined' | 'error'>(load, ['joined', 'error'], CHILD_TIMEOUT_MS);
    if (joined.type === 'error') throw new Error(joined.message);
    const after = await memory(server);
    load.send({ type: 'go' } satisfies LoadRequest);
    const r = await nextMessage<LoadReply, 'result' | 'error'>(load, ['result', 'error'], CHILD_TIMEOUT_MS);
    if (r.type === 'error') throw new Error(r.message);
    const result: LoadResult = r.result;
    const connected = peers - joined.failed;
    return {
      kind,
      peers,
      connected,
      result,
      rssPerPeer: (after.rss - before.rss) / connected,
      heapPerPeer: (after.heapUsed - before.heapUsed) / connected,
    };
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
      `Each simulated peer connects from a loopback address of its own (127.1.x.y), as each visitor's tab does, so the server's per-address caps count it as one visitor. N peers in ${SWARMS} swarms join first (ours: \`join\` with one asset and 2 parked offers; tracker: announce \`started\`), ${200} sockets opening at a time. ` +
      `Then lookups, ${LOOKUP_CONCURRENCY} outstanding, random requester, at most ${LOOKUPS} or ${PHASE_LIMIT_MS / 1000} s: ` +
      `ours: \`want\` → \`peers\` with ${MAX_PEERS_PER_WANT} parked offers (+ \`offer-used\` to each holder, which parks a fresh offer) → ${MAX_PEERS_PER_WANT} \`signal\` answers relayed to the holders; ` +
      `tracker: announce with ${MAX_PEERS_PER_WANT} offers → forwarded to ${MAX_PEERS_PER_WANT} random peers → each announces an \`answer\` → relayed back. ` +
      "SDPs are ~650-character strings shaped like Chromium's. Messages/s counts every WebSocket message the clients sent plus every one they received. " +
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
