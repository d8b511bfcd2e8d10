/**
 * What the usage reports (issue 15) cost the signaling server, measured on the core with fake
 * sockets: bytes per report (a page view naming REPORT_MAX_ASSETS assets, and one naming none),
 * reports per visitor per minute (the bridge's schedule), CPU per report, and memory per swarm
 * with a full 24 h series and top list.
 * Prints a markdown section for bench/RESULTS.md (`npm run bench` runs it with the others).
 *   node --expose-gc --import tsx bench/usage-cost.ts
 */
import {
  REPORT_BURST,
  REPORT_INTERVAL_MS,
  REPORT_MAX_ASSETS,
  REPORT_REFILL_MS,
  STATS_SERIES_MINUTES,
  STATS_TOP_ASSETS,
} from '../protocol/limits.ts';
import { encodeMessage } from '../protocol/signal-messages.ts';
import type { UsageReport } from '../protocol/usage-report.ts';
import { SignalHub } from '../signal-worker/core/signal/signal-hub.ts';
import type { ClientSocket } from '../signal-worker/core/socket/client-socket.ts';
import { UsageBoard } from '../signal-worker/core/stats/usage-board.ts';

const hex = (n: number): string => n.toString(16).padStart(64, '0');
const report = (assets: number, seed = 0): UsageReport => ({
  type: 'report',
  bytes: { peer: 1_234_567, origin: 234_567, cache: 34_567, webSeed: 0, uploaded: 987_654 },
  failures: 1,
  badPieces: 0,
  bans: 0,
  assets: Array.from({ length: assets }, (_, i) => ({
    hash: hex(seed * 100 + i),
    path: `img/gallery/photo-${i}-1400.jpg`,
    peer: 65_536 * (i + 1),
  })),
});

const full = Buffer.byteLength(encodeMessage(report(REPORT_MAX_ASSETS)));
const bare = Buffer.byteLength(encodeMessage(report(0)));
const periodicPerMin = 60_000 / REPORT_INTERVAL_MS;
/** Rows of the printed table: what is measured, and the figure. */
const rows: [string, string][] = [];
rows.push(['report size (JSON text, before WebSocket framing)', `${bare} B with no asset, ${full} B naming ${REPORT_MAX_ASSETS} assets`]);
rows.push([
  'reports per visitor per minute',
  `${periodicPerMin.toFixed(2)} periodic (every ${REPORT_INTERVAL_MS / 1000} s while a page is open) + 1 per page view left; ` +
    `at most ${REPORT_BURST} at once, then ${(60_000 / REPORT_REFILL_MS).toFixed(0)}/min per connection`,
]);
rows.push([
  'bytes per visitor per minute (one page view a minute)',
  `${Math.round((periodicPerMin + 1) * bare)}–${Math.round((periodicPerMin + 1) * full)} B up, 0 B down (nothing is answered)`,
]);

// CPU per report through the whole path: frame gate, JSON.parse, decode, count.
const socket: ClientSocket = { send: () => undefined, close: () => undefined };
let t = 0;
const hub = new SignalHub({ clock: { now: () => t, setTimeout: () => 0, clearTimeout: () => undefined } });
const N = 2_000;
const conns = Array.from({ length: N }, (_, i) => {
  const c = hub.accept(socket, { address: `10.0.${i >> 8}.${i & 255}` });
  c.receive(
    encodeMessage({
      type: 'join',
      swarm: 'site.example',
      peerId: `peer-${String(i).padStart(12, '0')}`,
      have: [],
      offers: [],
      introduce: 0,
    }),
  );
  return c;
});
const frames = [encodeMessage(report(REPORT_MAX_ASSETS, 1)), encodeMessage(report(4, 2))];
const rounds = 25;
const start = process.cpuUsage();
for (let r = 0; r < rounds; r++) {
  t += REPORT_REFILL_MS * REPORT_BURST; // every connection's report bucket is full again
  for (const c of conns) c.receive(frames[r % 2]!);
}
const used = process.cpuUsage(start);
const reports = hub.usage.counters.reportsAccepted;
rows.push([
  `CPU per report (frame gate, parse, decode, count; ${reports} reports)`,
  `${((used.user + used.system) / reports).toFixed(1)} µs`,
]);

// Memory per swarm: series and top list full.
const gc = (globalThis as { gc?: () => void }).gc;
gc?.();
const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
const board = new UsageBoard(256);
for (let s = 0; s < 256; s++) {
  for (let m = 0; m < STATS_SERIES_MINUTES; m++) board.report(`swarm-${s}`, report(0), m * 60_000);
  for (let a = 0; a < STATS_TOP_ASSETS; a++) board.report(`swarm-${s}`, report(1, s * 1000 + a), 0);
}
gc?.();
const after = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
rows.push([
  `memory per swarm (24 h series full, ${STATS_TOP_ASSETS} top assets)`,
  `${((after - before) / 256 / 1024).toFixed(0)} KiB; ${((after - before) / 2 ** 20).toFixed(1)} MiB at the 256-swarm cap` +
    (gc ? '' : ' (no --expose-gc: includes garbage)'),
]);
rows.push([
  'stored copy of one full swarm (Cloudflare Durable Object row, JSON)',
  `${(Buffer.byteLength(JSON.stringify(board.all()[0]?.state(STATS_SERIES_MINUTES * 60_000))) / 1024).toFixed(0)} KiB`,
]);

console.log('## Usage reports: what the aggregate costs the signaling server\n');
console.log(
  'The visitors\' counter reports behind the dashboard and metrics (README, "Dashboard and metrics"), measured on the signaling core with fake sockets (no network): ' +
    `${N} peers joined to one swarm, each sending ${rounds} reports.\n`,
);
console.log('| measure | figure |\n|---|---|');
for (const [what, figure] of rows) console.log(`| ${what} | ${figure} |`);
console.log('');
