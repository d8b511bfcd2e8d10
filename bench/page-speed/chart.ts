/** The page-speed figure: median time to the largest image and to the load event, per network, page and variant. */

import type { OriginNetwork } from '../lib/origin/network.ts';
import { barChart, PALETTE, type Panel, svgDocument } from '../lib/report/svg-chart.ts';
import type { BenchSite } from '../lib/sites/bench-sites.ts';
import { type Sample, VARIANTS } from './cells.ts';
import { VARIANT_LABEL } from './report.ts';
import { type Cell, PAGE_KINDS, summarize } from './summary.ts';

const METRICS: ReadonlyArray<[keyof Pick<Cell, 'largestImageMs' | 'loadMs'>, string]> = [
  ['largestImageMs', 'largest image complete'],
  ['loadMs', 'load event'],
];

export function speedChart(
  samples: readonly Sample[],
  networks: readonly OriginNetwork[],
  sites: readonly BenchSite[],
  caption: string,
): string {
  const groups = sites.flatMap((s) =>
    PAGE_KINDS.map((p) => ({ site: s.id, page: p, label: `${s.id}, ${p === 'first' ? 'first visit' : 'navigation'}` })),
  );
  const panels: Panel[] = networks.flatMap((net) =>
    METRICS.map(([key, label]) =>
      barChart({
        title: `${label}: ${net.label}`,
        categories: groups.map((g) => g.label),
        yLabel: 'ms (median)',
        series: VARIANTS.map((v, i) => ({
          name: VARIANT_LABEL[v],
          color: PALETTE[i],
          values: groups.map((g) => {
            const x = summarize(samples, net.id, g.site, g.page, v)[key];
            return Number.isFinite(x) ? x : null;
          }),
        })),
        width: 620,
        height: 380,
      }),
    ),
  );
  return svgDocument(panels, 2, caption);
}
