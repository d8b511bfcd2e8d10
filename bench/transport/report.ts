/** The transport benchmark's tables: throughput ladder with ratios to raw, per-piece timeline, pass-through. */
import { ms1, ratio } from '../lib/report/format.ts';
import { table } from '../lib/report/markdown.ts';
import { median, p90 } from '../lib/report/stats.ts';
import type { RunResult } from './probe/api.ts';
import type { PieceTimeline } from './wire-tap.ts';
import type { WorkerFetch } from './worker-fetch.ts';

export interface Rung {
  id: string;
  label: string;
  runs: RunResult[];
}

export interface FullRun {
  key: string;
  size: number;
  fetch: WorkerFetch;
  timeline: PieceTimeline;
  /** Requester page: last piece frame received → response fully read by the page. */
  tailMs: number;
}

export interface PassSample {
  what: 'html' | 'query';
  worker: boolean;
  ms: number;
}

const mbps = (bytes: number, ms: number): number => bytes / 1e6 / (ms / 1000);
const f1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '–');
const spread = (xs: number[]): string => (xs.length ? `${f1(median(xs))} (${f1(Math.min(...xs))}–${f1(Math.max(...xs))})` : '–');

export function throughputTable(rungs: readonly Rung[], full: readonly FullRun[]): string {
  const raw = median((rungs.find((r) => r.id === 'raw-stream')?.runs ?? []).filter((r) => r.ok).map((r) => mbps(r.bytes, r.ms)));
  const rows = rungs.map((r) => {
    const ok = r.runs.filter((x) => x.ok);
    const rates = ok.map((x) => mbps(x.bytes, x.ms));
    const errors = r.runs.filter((x) => !x.ok).map((x) => x.error ?? 'failed');
    return [
      r.label,
      `${ok.length}/${r.runs.length}${errors.length ? ` (${[...new Set(errors)].join(', ')})` : ''}`,
      spread(rates),
      ratio(median(rates), raw),
    ];
  });
  for (const size of [...new Set(full.map((f) => f.size))]) {
    const runs = full.filter((f) => f.size === size);
    const good = runs.filter((f) => f.fetch.ok && f.fetch.peerBytes === f.size);
    const rates = good.map((f) => mbps(f.fetch.bytes, f.fetch.totalMs));
    const label = `full path: fetch() through B's worker, ${size / 2 ** 20} MiB file, all bytes from A`;
    rows.push([label, `${good.length}/${runs.length}`, spread(rates), ratio(median(rates), raw)]);
  }
  return table(['path (A → B)', 'ok', 'MB/s median (min–max)', '× raw stream'], rows, ['l', 'r', 'r', 'r']);
}

const pair = (x: [number, number]): string => `${ms1(x[0])} / ${ms1(x[1])}`;

export function timelineTable(timelines: ReadonlyMap<string, PieceTimeline>, full: readonly FullRun[]): string {
  const rows: string[][] = [];
  const row = (label: string, t: PieceTimeline, extra: string): void => {
    rows.push([
      label,
      String(t.pieces),
      pair(t.reqTransit),
      pair(t.uploaderTurnaround),
      pair(t.pieceTransit),
      f1(t.uploaderBacklog),
      f1(t.queuedAfterSend / 1024),
      `${Math.round(t.uploaderIdleShare * 100)}%`,
      extra,
    ]);
  };
  for (const [id, t] of timelines) row(id, t, '–');
  const largest = Math.max(...full.map((f) => f.size));
  const last = full.filter((f) => f.size === largest).at(-1);
  if (last) {
    const extra = `wire span ${Math.round(last.timeline.spanMs)}, fetch ${Math.round(last.fetch.totalMs)}, last piece → page done ${ms1(last.tailMs)}, worker served ${last.fetch.servedMs ?? '–'}`;
    row(`full path ${largest / 2 ** 20} MiB`, last.timeline, extra);
  }
  return table(
    [
      'row',
      'pieces',
      'req B→A',
      'A: req in → piece sent',
      'piece A→B',
      'A backlog (reqs)',
      'A queued after send (KiB)',
      'A idle',
      'full path (ms)',
    ],
    rows,
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
  );
}

export function passThroughTable(samples: readonly PassSample[], reps: number): string {
  const rows: string[][] = [];
  const labels = {
    html: 'HTML page (`/index.html`, not in the manifest)',
    query: 'manifest file with a query string (`/data/small.json?v=N`)',
  };
  for (const what of ['html', 'query'] as const) {
    const w = samples.filter((s) => s.what === what && s.worker).map((s) => s.ms);
    const n = samples.filter((s) => s.what === what && !s.worker).map((s) => s.ms);
    rows.push([
      labels[what],
      `${w.length}/${reps}`,
      `${n.length}/${reps}`,
      ms1(median(w)),
      ms1(p90(w)),
      ms1(median(n)),
      ms1(p90(n)),
      ms1(median(w) - median(n)),
      ratio(median(w), median(n)),
      ratio(p90(w), p90(n)),
    ]);
  }
  return [
    'The same browser process: one tab controlled by the PeerConnect worker, one tab on a plain origin with no worker serving the same files; ' +
      '`fetch()` (the origin sends `no-cache` and no validators: every fetch reaches it), alternating between the tabs, ms.',
    '',
    table(
      ['request', 'n worker', 'n plain', 'worker median', 'worker p90', 'plain median', 'plain p90', 'added (median)', '× median', '× p90'],
      rows,
      ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
    ),
  ].join('\n');
}
