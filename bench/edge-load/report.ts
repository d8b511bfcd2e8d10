/**
 * bench/edge-load.ts's output: one row per server and peer count, each with its ratio to
 * bittorrent-tracker's row at the same peer count, then peers per process and what was refused.
 */
import { DEFAULT_TRACKER_LIMITS } from '../../signal-worker/core/tracker/tracker-limits.ts';
import { ms1, pct, ratio } from '../lib/report/format.ts';
import { table } from '../lib/report/markdown.ts';
import { percentile } from '../lib/report/stats.ts';
import type { EdgeJoinResult, EdgeLoadResult } from './ipc.ts';
import type { WindowCpu } from './proc-cpu.ts';
import type { EdgeServerName } from './servers.ts';

export interface EdgeMeasured {
  ok: true;
  join: EdgeJoinResult;
  /** Server RSS after a settle pause with no peer, and with every peer connected. */
  rssIdle: number;
  rssLoaded: number;
  result: EdgeLoadResult;
  /** Cores busy over the counted window; null if the window's CPU could not be read. */
  cpu: WindowCpu | null;
  /** Open files of the server's busiest process, with no peer and with every peer connected. */
  openFiles: { idle: number; loaded: number };
  /** The same two readings for the runtime's own processes, when the tree also holds tooling. */
  part?: { label: string; idle: number; loaded: number };
}

export interface EdgeCell {
  server: EdgeServerName;
  peers: number;
  swarms: number;
  outcome: EdgeMeasured | { ok: false; reason: string };
}

export const BASELINE: EdgeServerName = 'bittorrent-tracker';

interface Metrics {
  messagesPerSec: number;
  /** What the schedule offered: planned rounds/s × messages per round. */
  plannedPerSec: number;
  /** Server CPU per message, µs (its process tree's CPU time over the window ÷ messages in it); NaN without a CPU reading. */
  cpuUsPerMessage: number;
  p50: number;
  p99: number;
  offerP99: number;
  answerP99: number;
  rssPerPeer: number;
}

function metrics(m: EdgeMeasured): Metrics {
  const r = m.result;
  const all = [...r.offerLatencies, ...r.answerLatencies];
  const messagesPerSec = (r.sent + r.received) / (r.windowMs / 1000);
  return {
    messagesPerSec,
    plannedPerSec: r.plannedRoundsPerSec * r.messagesPerRound,
    cpuUsPerMessage: m.cpu && messagesPerSec > 0 ? (m.cpu.server * 1e6) / messagesPerSec : Number.NaN,
    p50: percentile(all, 50),
    p99: percentile(all, 99),
    offerP99: percentile(r.offerLatencies, 99),
    answerP99: percentile(r.answerLatencies, 99),
    rssPerPeer: m.join.connected > 0 ? (m.rssLoaded - m.rssIdle) / m.join.connected : Number.NaN,
  };
}

const n0 = (x: number): string => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–');
const mib = (bytes: number): string => (Number.isFinite(bytes) ? (bytes / 2 ** 20).toFixed(0) : '–');
const kib = (bytes: number): string => (Number.isFinite(bytes) ? (bytes / 1024).toFixed(1) : '–');
const us1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '–');
const cpuCell = (c: WindowCpu | null): string => (c ? [c.server, c.load, c.others].map((x) => Math.round(x * 100)).join(' / ') : '–');
const sum = (counts: Record<string, number>): number => Object.values(counts).reduce((a, b) => a + b, 0);

export function edgeTable(cells: readonly EdgeCell[]): string {
  const rows: string[][] = [];
  for (const cell of cells) {
    const label = `${cell.server}`;
    const peers = `${cell.peers.toLocaleString('en-US')} in ${cell.swarms}`;
    if (!cell.outcome.ok) {
      // The reason can be long (a runtime's last output); it is listed under the table.
      rows.push([label, peers, `**not measured**`, '–', '–', '–', '–', '–', '–', '–', '–', '–', '–', '–', '–', '–']);
      continue;
    }
    const m = metrics(cell.outcome);
    const base = cells.find((c) => c.server === BASELINE && c.peers === cell.peers)?.outcome;
    const b = base?.ok ? metrics(base) : null;
    const r = cell.outcome.result;
    const j = cell.outcome.join;
    const refused = sum(r.refusals.failures) + sum(r.refusals.closed);
    rows.push([
      label,
      peers,
      `${j.connected.toLocaleString('en-US')}${j.failed ? ` (${j.failed} failed)` : ''} in ${ms1(j.ms / 1000)} s`,
      `${n0(m.messagesPerSec)} of ${n0(m.plannedPerSec)}`,
      us1(m.cpuUsPerMessage),
      b ? ratio(m.cpuUsPerMessage, b.cpuUsPerMessage) : '–',
      ms1(m.p50),
      ms1(m.p99),
      b ? ratio(m.p99, b.p99) : '–',
      `${ms1(m.offerP99)} / ${ms1(m.answerP99)}`,
      `${r.roundsIncomplete} of ${r.rounds.toLocaleString('en-US')}`,
      `${refused}`,
      cpuCell(cell.outcome.cpu),
      `${mib(cell.outcome.rssIdle)} → ${mib(cell.outcome.rssLoaded)}`,
      kib(m.rssPerPeer),
      b ? ratio(m.rssPerPeer, b.rssPerPeer) : '–',
    ]);
  }
  return table(
    [
      'server',
      'peers in swarms',
      'connected',
      'messages/s of planned',
      'server CPU µs/message',
      '÷ bt',
      'relay p50 ms',
      'relay p99 ms',
      '÷ bt',
      'p99 offer / answer ms',
      'incomplete rounds',
      'refused',
      'CPU % server / load / others',
      'RSS idle → with peers, MiB',
      'RSS/peer KiB',
      '÷ bt',
    ],
    rows,
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
}

/** "Concurrent peers per process at what memory", per server, at the largest peer count it held (workerd: a process tree). */
export function capacityLines(cells: readonly EdgeCell[]): string[] {
  const lines: string[] = [];
  for (const server of [...new Set(cells.map((c) => c.server))]) {
    const held = cells.filter((c) => c.server === server && c.outcome.ok).sort((a, b) => b.peers - a.peers)[0];
    if (!held?.outcome.ok) {
      lines.push(`- ${server}: not measured (see below).`);
      continue;
    }
    const o = held.outcome;
    const m = metrics(o);
    const own = o.part
      ? `; ${o.part.label}: ${mib(o.part.loaded)} MiB, ${kib((o.part.loaded - o.part.idle) / o.join.connected)} KiB per peer`
      : '';
    lines.push(
      `- ${server}: ${o.join.connected.toLocaleString('en-US')} concurrent peers on one server at ${mib(o.rssLoaded)} MiB RSS ` +
        `(${mib(o.rssIdle)} MiB with none, ${kib(m.rssPerPeer)} KiB per peer${own}), ${((o.openFiles.loaded - o.openFiles.idle) / o.join.connected).toFixed(1)} open files per peer, ` +
        `${n0(m.messagesPerSec)} messages/s at ${pct(o.cpu?.server ?? Number.NaN)} of a core, relay p99 ${ms1(m.p99)} ms${perCore(o, m)}.`,
    );
  }
  return lines;
}

/**
 * What one core would carry if the server's CPU per message held up to saturation (a linear
 * estimate from a window well below it): messages/s, and peers announcing at the planned pace.
 */
function perCore(o: EdgeMeasured, m: Metrics): string {
  if (!o.cpu || !(o.cpu.server > 0) || !Number.isFinite(m.cpuUsPerMessage)) return '';
  const messages = 1e6 / m.cpuUsPerMessage;
  const peers = o.join.connected / o.cpu.server;
  return `; at that CPU per message one busy core would carry ~${n0(messages)} messages/s, ~${n0(peers)} peers at this pace (an estimate: latency grows before a core is full)`;
}

/**
 * The offer budgets, per row: offers handed to peers from `go` on, the most any one peer got, and
 * how many arrived when our tracker's budget for that peer (modelled by the load) was spent.
 */
export function budgetLines(cells: readonly EdgeCell[]): string[] {
  return cells.flatMap((c) => {
    if (!c.outcome.ok) return [];
    const r = c.outcome.result;
    return [
      `- ${c.server}, ${c.peers.toLocaleString('en-US')} peers: ${r.offersHanded.toLocaleString('en-US')} offers handed from the first re-announce to the end ` +
        `(${(r.offersHanded / c.outcome.join.connected).toFixed(2)} per peer, at most ${r.offersHandedMaxPerPeer} to one); ` +
        `fewest tokens an offer found: ${tokens(r.runLowest.target)} of ${TARGET_BURST} in its target's bucket, ${tokens(r.runLowest.perSender)} of ${SENDER_BURST} in its sender's share; ` +
        `offers past a peer's budget: ${over(r.overBudget.run)}, during the join ${over(r.overBudget.join)}.`,
    ];
  });
}

const TARGET_BURST = DEFAULT_TRACKER_LIMITS.offerBurstPerTarget;
const SENDER_BURST = DEFAULT_TRACKER_LIMITS.offerBurstPerSenderToTarget;
const tokens = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '–');
const over = (o: { count: number; deepest: number }): string =>
  o.count === 0 ? '0' : `${o.count} (the lowest at ${o.deepest.toFixed(2)} tokens)`;

/** Rows where the load did not send its announces on time (p99 late over 50 ms): there the load, not the server, set the pace. */
export function lateLines(cells: readonly EdgeCell[]): string[] {
  return cells.flatMap((c) =>
    c.outcome.ok && c.outcome.result.lateP99Ms > 50
      ? [
          `- ${c.server}, ${c.peers} peers: announces started up to ${ms1(c.outcome.result.lateP99Ms)} ms late at p99 (worst ${ms1(c.outcome.result.lateMaxMs)} ms).`,
        ]
      : [],
  );
}

/** Every refusal and server-side close, by server and peer count; "none" when the load stayed under every limit. */
export function refusalLines(cells: readonly EdgeCell[]): string[] {
  const lines: string[] = [];
  for (const cell of cells) {
    if (!cell.outcome.ok) continue;
    const { failures, closed } = cell.outcome.result.refusals;
    const parts = [
      ...Object.entries(failures).map(([reason, n]) => `${n}× failure reason “${reason}”`),
      ...Object.entries(closed).map(([code, n]) => `${n}× socket closed by the server (code ${code})`),
    ];
    const lost = cell.outcome.result.offersLost;
    if (lost) parts.push(`${lost} offers of counted rounds not answered back within the round timeout`);
    if (parts.length) lines.push(`- ${cell.server}, ${cell.peers} peers: ${parts.join('; ')}.`);
  }
  return lines.length ? lines : ['- None: no `failure reason`, no socket closed by a server, no offer left unanswered, in any row.'];
}

/** Why a row has no numbers: a runtime that could not start, failed mid-run, or did not fit the time budget. */
export function missingLines(cells: readonly EdgeCell[]): string[] {
  return cells.flatMap((c) => (c.outcome.ok ? [] : [`- ${c.server}, ${c.peers} peers: ${c.outcome.reason}.`]));
}

/** RSS of the runtime's own processes where the row's RSS also counts its tooling. */
export function partLines(cells: readonly EdgeCell[]): string[] {
  return cells.flatMap((c) => {
    if (!c.outcome.ok || !c.outcome.part) return [];
    const { label, idle, loaded } = c.outcome.part;
    const perPeer = c.outcome.join.connected > 0 ? (loaded - idle) / c.outcome.join.connected : Number.NaN;
    return [`- ${c.server}, ${c.peers} peers: ${label}: ${mib(idle)} → ${mib(loaded)} MiB, ${kib(perPeer)} KiB per peer.`];
  });
}
