/**
 * Where a PeerConnect page's time goes: per page and variant, the response the worker took
 * longest over (the path most runs agree on) and the worker's own time for it. A response that
 * waited out a deadline shows up here with that deadline's length.
 */

import { ms } from '../lib/report/format.ts';
import { table } from '../lib/report/markdown.ts';
import { median } from '../lib/report/stats.ts';
import type { BenchSite } from '../lib/sites/bench-sites.ts';
import { routeOf, type Sample, type Variant } from './cells.ts';
import { VARIANT_LABEL } from './report.ts';
import { PAGE_KINDS } from './summary.ts';

const PEER_CONNECT: readonly Variant[] = ['peer', 'alone'];

export function slowestTable(samples: readonly Sample[], network: string, sites: readonly BenchSite[]): string {
  const rows: string[][] = [];
  for (const site of sites) {
    PAGE_KINDS.forEach((page, i) => {
      for (const variant of PEER_CONNECT) {
        const slowest = samples
          .filter((s) => s.network === network && s.site === site.id && s.variant === variant && s.session.ok)
          .map((s) => s.session.pages[i]?.slowestServed)
          .filter((x): x is { path: string; ms: number } => x !== null && x !== undefined);
        const byPath = new Map<string, number[]>();
        for (const s of slowest) byPath.set(s.path, [...(byPath.get(s.path) ?? []), s.ms]);
        const [path, times] = [...byPath].sort((a, b) => b[1].length - a[1].length)[0] ?? ['–', []];
        rows.push([
          site.id,
          `${page === 'first' ? 'first visit' : 'navigation'} \`${routeOf(site)[i]}\``,
          VARIANT_LABEL[variant],
          path === '–' ? '–' : `\`${path}\` (${times.length}/${slowest.length} runs)`,
          ms(median(times)),
          ms(median(slowest.map((s) => s.ms))),
        ]);
      }
    });
  }
  return table(['site', 'page', 'variant', 'slowest worker response', 'its worker ms (median)', 'slowest of any path, ms (median)'], rows, [
    'l',
    'l',
    'l',
    'l',
    'r',
    'r',
  ]);
}
