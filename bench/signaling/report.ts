/** The signaling benchmark's table: one row per server and peer count, and ratio rows ours / tracker. */
import { ms1 } from '../lib/report/format.ts';
import { table } from '../lib/report/markdown.ts';
import { percentile } from '../lib/report/stats.ts';
import type { LoadResult, ServerKind } from '../lib/signaling/ipc.ts';

export interface SignalCell {
  kind: ServerKind;
  peers: number;
  connected: number;
  result: LoadResult;
  rssPerPeer: number;
  heapPerPeer: number;
}

const LABEL: Record<ServerKind, string> = { ours: 'ours (signal-worker)', tracker: 'bittorrent-tracker 11' };

interface Metrics {
  lookupsPerSec: number;
  messagesPerSec: number;
  relaysPerSec: number;
  p50: number;
  p99: number;
  rss: number;
  heap: number;
}

function metrics(c: SignalCell): Metrics {
  const s = c.result.phaseMs / 1000;
  return {
    lookupsPerSec: c.result.lookupsDone / s,
    messagesPerSec: (c.result.sent + c.result.received) / s,
    relaysPerSec: c.result.relays / s,
    p50: percentile(c.result.latencies, 50),
    p99: percentile(c.result.latencies, 99),
    rss: c.rssPerPeer,
    heap: c.heapPerPeer,
  };
}

const n0 = (x: number): string => (Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : '–');
const kib = (x: number): string => (Number.isFinite(x) ? (x / 1024).toFixed(1) : '–');
const r = (a: number, b: number): string => (Number.isFinite(a) && Number.isFinite(b) && b !== 0 ? `${(a / b).toFixed(2)}×` : '–');

export function signalingTable(cells: readonly SignalCell[]): string {
  const rows: string[][] = [];
  for (const peers of [...new Set(cells.map((c) => c.peers))]) {
    const byKind = new Map(cells.filter((c) => c.peers === peers).map((c) => [c.kind, c]));
    for (const c of byKind.values()) {
      const m = metrics(c);
      rows.push([
        `${LABEL[c.kind]}`,
        `${c.connected}/${peers}`,
        `${ms1(c.result.joinMs / 1000)} s`,
        `${c.result.lookupsDone}${c.result.lookupsTimedOut ? ` (+${c.result.lookupsTimedOut} incomplete)` : ''}`,
        n0(m.lookupsPerSec),
        n0(m.relaysPerSec),
        n0(m.messagesPerSec),
        ms1(m.p50),
        ms1(m.p99),
        kib(m.rss),
        kib(m.heap),
      ]);
    }
    const ours = byKind.get('ours');
    const tracker = byKind.get('tracker');
    if (ours && tracker) {
      const a = metrics(ours);
      const b = metrics(tracker);
      rows.push([
        `**ours / tracker, ${peers} peers**`,
        '',
        r(ours.result.joinMs, tracker.result.joinMs),
        '',
        r(a.lookupsPerSec, b.lookupsPerSec),
        r(a.relaysPerSec, b.relaysPerSec),
        r(a.messagesPerSec, b.messagesPerSec),
        r(a.p50, b.p50),
        r(a.p99, b.p99),
        r(a.rss, b.rss),
        r(a.heap, b.heap),
      ]);
    }
  }
  return table(
    [
      'server',
      'peers joined',
      'join time',
      'lookups done',
      'lookups/s',
      'answers relayed/s',
      'messages/s',
      'relay p50 ms',
      'relay p99 ms',
      'RSS/peer KiB',
      'heap/peer KiB',
    ],
    rows,
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
}
