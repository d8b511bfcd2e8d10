/** The first-visit tables: medians per variant, ratios to the plain origin, the winners, the raw runs. */
import { kb, ms, pct, ratio } from '../lib/report/format.ts';
import { table } from '../lib/report/markdown.ts';
import { median } from '../lib/report/stats.ts';
import { originBytesTable, timelineTable } from './breakdown.ts';
import type { CellResult } from './cell.ts';
import type { Variant } from './visit.ts';

export const VARIANT_LABEL: Record<Variant, string> = {
  plain: 'plain origin (no worker)',
  swap: 'PeerConnect `swap`',
  reload: 'PeerConnect `reload`',
  off: 'PeerConnect `off`',
};

interface Summary {
  variant: Variant;
  ok: number;
  runs: number;
  originBytes: number;
  originRequests: number;
  loadMs: number;
  imagesMs: number;
  p2pShare: number;
}

function summarize(variant: Variant, results: readonly CellResult[]): Summary {
  const mine = results.filter((r) => r.variant === variant);
  const ok = mine.filter((r) => r.ok && r.visit);
  const m = (f: (r: CellResult) => number): number => median(ok.map(f));
  return {
    variant,
    ok: ok.length,
    runs: mine.length,
    originBytes: m((r) => r.originBytes),
    originRequests: m((r) => r.originRequests),
    loadMs: m((r) => r.visit?.loadMs ?? Number.NaN),
    imagesMs: m((r) => r.visit?.imagesMs ?? Number.NaN),
    p2pShare: m((r) => r.p2pShare),
  };
}

const MODES: readonly Variant[] = ['swap', 'reload', 'off'];

function winner(rows: readonly Summary[], key: 'originBytes' | 'imagesMs' | 'loadMs'): Summary | undefined {
  return rows.filter((r) => MODES.includes(r.variant) && Number.isFinite(r[key])).sort((a, b) => a[key] - b[key])[0];
}

export function firstVisitSection(title: string, results: readonly CellResult[], order: readonly Variant[]): string {
  const rows = order.map((v) => summarize(v, results));
  const plain = rows.find((r) => r.variant === 'plain');
  const base = (k: 'originBytes' | 'imagesMs' | 'loadMs'): number => plain?.[k] ?? Number.NaN;
  const summaryTable = table(
    [
      'variant',
      'runs ok',
      'origin KB',
      'origin requests',
      'load event ms',
      'all images ms',
      'P2P share',
      'origin bytes vs plain',
      'load vs plain',
      'images vs plain',
    ],
    rows.map((r) => [
      VARIANT_LABEL[r.variant],
      `${r.ok}/${r.runs}`,
      kb(r.originBytes),
      ms(r.originRequests),
      ms(r.loadMs),
      ms(r.imagesMs),
      pct(r.p2pShare),
      ratio(r.originBytes, base('originBytes')),
      ratio(r.loadMs, base('loadMs')),
      ratio(r.imagesMs, base('imagesMs')),
    ]),
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
  const lines: string[] = [];
  const say = (what: string, k: 'originBytes' | 'imagesMs' | 'loadMs', unit: (x: number) => string): void => {
    const w = winner(rows, k);
    if (w) lines.push(`- ${what}: **${w.variant}** (${unit(w[k])}; ${ratio(w[k], base(k))} plain origin)`);
    else lines.push(`- ${what}: no mode finished`);
  };
  say('fewest origin bytes', 'originBytes', (x) => `${kb(x)} KB`);
  say('all images soonest', 'imagesMs', (x) => `${ms(x)} ms`);
  say('load event soonest', 'loadMs', (x) => `${ms(x)} ms`);

  const raw = table(
    ['variant', 'rep', 'origin KB', 'requests', 'load ms', 'images ms', 'images', 'P2P', 'navigation'],
    results.map((r) => [
      r.variant,
      String(r.rep + 1),
      kb(r.originBytes),
      ms(r.originRequests),
      ms(r.visit?.loadMs ?? Number.NaN),
      ms(r.visit?.imagesMs ?? Number.NaN),
      String(r.visit?.images ?? '–'),
      pct(r.p2pShare),
      r.ok ? (r.visit?.navType ?? '') : 'FAILED',
    ]),
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l'],
  );
  const failures = results.filter((r) => !r.ok).map((r) => `- ${r.variant} rep ${r.rep + 1}: ${(r.error ?? '').split('\n')[0]}`);
  return [
    `### ${title}`,
    '',
    'Visitor 2 (medians of the runs):',
    '',
    summaryTable,
    '',
    ...lines,
    '',
    'Where visitor 2\'s time goes (median ms from the first navigation start; "via worker" = the worker\'s `peerconnect:served` events):',
    '',
    timelineTable(results, order),
    '',
    "Where visitor 2's origin bytes go (median KB):",
    '',
    originBytesTable(results, order),
    '',
    '<details><summary>every run</summary>',
    '',
    raw,
    '',
    '</details>',
    ...(failures.length ? ['', 'Failed runs:', '', ...failures] : []),
    '',
  ].join('\n');
}
