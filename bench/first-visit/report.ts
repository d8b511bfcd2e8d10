/** The first-visit tables for one page on one network: medians per variant, ratios to the plain origin, the winners, the raw runs. */
import { kb, ms, pct, ratio } from '../lib/report/format.ts';
import { table } from '../lib/report/markdown.ts';
import { median } from '../lib/report/stats.ts';
import { originBytesTable, timelineTable } from './breakdown.ts';
import type { CellResult } from './cell.ts';
import type { Variant } from './visit.ts';

export const VARIANT_LABEL: Record<Variant, string> = {
  plain: 'plain origin (no worker)',
  auto: 'PeerConnect `auto` (default)',
  swap: 'PeerConnect `swap`',
  reload: 'PeerConnect `reload`',
  off: 'PeerConnect `off`',
};

type Key = 'originBytes' | 'loadMs' | 'lcpMs' | 'imagesMs';

interface Summary {
  variant: Variant;
  ok: number;
  runs: number;
  originBytes: number;
  originRequests: number;
  loadMs: number;
  lcpMs: number;
  imagesMs: number;
  peerBytes: number;
  p2pShare: number;
}

const medianFinite = (xs: number[]): number => median(xs.filter(Number.isFinite));

function summarize(variant: Variant, results: readonly CellResult[]): Summary {
  const mine = results.filter((r) => r.variant === variant);
  const ok = mine.filter((r) => r.ok && r.visit);
  const m = (f: (r: CellResult) => number): number => medianFinite(ok.map(f));
  return {
    variant,
    ok: ok.length,
    runs: mine.length,
    originBytes: m((r) => r.originBytes),
    originRequests: m((r) => r.originRequests),
    loadMs: m((r) => r.visit?.loadMs ?? Number.NaN),
    lcpMs: m((r) => r.visit?.lcpMs ?? Number.NaN),
    imagesMs: m((r) => r.visit?.imagesMs ?? Number.NaN),
    peerBytes: m((r) => r.visit?.peerBytes ?? Number.NaN),
    p2pShare: m((r) => r.p2pShare),
  };
}

function winner(rows: readonly Summary[], key: Key): Summary | undefined {
  return rows.filter((r) => r.variant !== 'plain' && Number.isFinite(r[key])).sort((a, b) => a[key] - b[key])[0];
}

/** `withImages`: the page has images, so the "all images" column means something. */
export function firstVisitSection(title: string, results: readonly CellResult[], order: readonly Variant[], withImages: boolean): string {
  const rows = order.map((v) => summarize(v, results));
  const plain = rows.find((r) => r.variant === 'plain');
  const base = (k: Key): number => plain?.[k] ?? Number.NaN;
  const img = <T>(xs: T[]): T[] => (withImages ? xs : []);
  const summaryTable = table(
    [
      'variant',
      'runs ok',
      'origin KB',
      'origin requests',
      'load event ms',
      'LCP ms',
      ...img(['all images ms']),
      'peer KB',
      'P2P share',
      'origin bytes vs plain',
      'load vs plain',
      'LCP vs plain',
      ...img(['images vs plain']),
    ],
    rows.map((r) => [
      VARIANT_LABEL[r.variant],
      `${r.ok}/${r.runs}`,
      kb(r.originBytes),
      ms(r.originRequests),
      ms(r.loadMs),
      ms(r.lcpMs),
      ...img([ms(r.imagesMs)]),
      kb(r.peerBytes),
      pct(r.p2pShare),
      ratio(r.originBytes, base('originBytes')),
      ratio(r.loadMs, base('loadMs')),
      ratio(r.lcpMs, base('lcpMs')),
      ...img([ratio(r.imagesMs, base('imagesMs'))]),
    ]),
    ['l', 'r', 'r', 'r', 'r', 'r', ...img(['r' as const]), 'r', 'r', 'r', 'r', 'r', ...img(['r' as const])],
  );
  const lines: string[] = [];
  const say = (what: string, k: Key, unit: (x: number) => string): void => {
    const w = winner(rows, k);
    if (w) lines.push(`- ${what}: **${w.variant}** (${unit(w[k])}; ${ratio(w[k], base(k))} plain origin)`);
    else lines.push(`- ${what}: no mode finished`);
  };
  say('fewest origin bytes', 'originBytes', (x) => `${kb(x)} KB`);
  say('load event soonest', 'loadMs', (x) => `${ms(x)} ms`);
  say('LCP soonest', 'lcpMs', (x) => `${ms(x)} ms`);
  if (withImages) say('all images soonest', 'imagesMs', (x) => `${ms(x)} ms`);

  const raw = table(
    [
      'variant',
      'rep',
      'origin KB',
      'requests',
      'load ms',
      'LCP ms',
      ...img(['images ms', 'images']),
      'peer KB',
      'final page peer KB',
      'P2P',
      'navigation',
    ],
    results.map((r) => [
      r.variant,
      String(r.rep + 1),
      kb(r.originBytes),
      ms(r.originRequests),
      ms(r.visit?.loadMs ?? Number.NaN),
      ms(r.visit?.lcpMs ?? Number.NaN),
      ...img([ms(r.visit?.imagesMs ?? Number.NaN), String(r.visit?.images ?? '–')]),
      kb(r.visit?.peerBytes ?? Number.NaN),
      kb(r.visit?.finalPagePeerBytes ?? Number.NaN),
      pct(r.p2pShare),
      r.ok ? (r.visit?.navType ?? '') : 'FAILED',
    ]),
    ['l', 'r', 'r', 'r', 'r', 'r', ...img(['r' as const, 'r' as const]), 'r', 'r', 'r', 'l'],
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
    timelineTable(results, order, withImages),
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
