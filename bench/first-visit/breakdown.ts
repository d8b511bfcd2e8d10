/**
 * Where visitor 2's time and origin bytes go, per variant (medians of the runs): the timeline
 * from the first navigation start, and the origin's bytes by kind. This is what explains a
 * mode that is slower or costlier than it should be.
 */
import { kb, ms } from '../lib/report/format.ts';
import { table } from '../lib/report/markdown.ts';
import { median } from '../lib/report/stats.ts';
import type { CellResult } from './cell.ts';
import { ORIGIN_KIND_LABEL, ORIGIN_KINDS } from './origin-kinds.ts';
import type { Variant, VisitResult } from './visit.ts';

const first = (v: VisitResult, name: string): number => v.marks.find(([n]) => n === name)?.[1] ?? Number.NaN;
const last = (v: VisitResult, name: string): number => [...v.marks].reverse().find(([n]) => n === name)?.[1] ?? Number.NaN;
const minOf = (xs: number[]): number => (xs.length ? Math.min(...xs) : Number.NaN);
const maxOf = (xs: number[]): number => (xs.length ? Math.max(...xs) : Number.NaN);

const TIMELINE: ReadonlyArray<[string, (v: VisitResult) => number]> = [
  ['bridge script loaded', (v) => first(v, 'bridge-script-loaded')],
  ['worker controls page', (v) => first(v, 'controlled')],
  ['reload starts', (v) => first(v, 'pagehide')],
  ['`ready` (swap done)', (v) => last(v, 'ready')],
  ['load event', (v) => v.loadMs],
  ['LCP', (v) => v.lcpMs],
  ['first asset via worker', (v) => minOf(v.served.map((s) => s.at))],
  ['last asset via worker', (v) => maxOf(v.served.map((s) => s.at))],
  ['all images', (v) => v.imagesMs],
  ['slowest worker response', (v) => maxOf(v.served.map((s) => s.ms))],
];

const okVisits = (results: readonly CellResult[], variant: Variant): VisitResult[] =>
  results.filter((r) => r.variant === variant && r.ok && r.visit).map((r) => r.visit!);

const medianFinite = (xs: number[]): number => median(xs.filter(Number.isFinite));

/** `withImages` false: leave out the "all images" column (a page without images). */
export function timelineTable(results: readonly CellResult[], order: readonly Variant[], withImages = true): string {
  const columns = TIMELINE.filter(([name]) => withImages || name !== 'all images');
  return table(
    ['variant', ...columns.map(([name]) => name)],
    order.map((variant) => {
      const visits = okVisits(results, variant);
      return [variant, ...columns.map(([, f]) => ms(medianFinite(visits.map(f))))];
    }),
    ['l', ...columns.map((): 'r' => 'r')],
  );
}

export function originBytesTable(results: readonly CellResult[], order: readonly Variant[]): string {
  return table(
    ['variant', ...ORIGIN_KINDS.map((k) => `${ORIGIN_KIND_LABEL[k]} KB`), 'total KB'],
    order.map((variant) => {
      const mine = results.filter((r) => r.variant === variant && r.ok && r.originByKind);
      return [
        variant,
        ...ORIGIN_KINDS.map((k) => kb(medianFinite(mine.map((r) => r.originByKind![k])))),
        kb(medianFinite(mine.map((r) => r.originBytes))),
      ];
    }),
    ['l', ...ORIGIN_KINDS.map((): 'r' => 'r'), 'r'],
  );
}
