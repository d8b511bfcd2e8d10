/** The offload figure: origin KB per visitor against N, one panel per site: PeerConnect in both arrival patterns, and the plain origin. */
import { lineChart, PALETTE, type Series, svgDocument } from '../lib/report/svg-chart.ts';
import type { Arrival } from './patterns.ts';
import { PATTERN_LABEL } from './report.ts';
import type { Row } from './rows.ts';

export interface SiteRows {
  title: string;
  rows: readonly Row[];
}

const PATTERNS: readonly Arrival[] = ['sequential', 'together'];

export function offloadChart(sites: readonly SiteRows[], ns: readonly number[], caption: string): string {
  const panels = sites.map(({ title, rows }) => {
    const at = (pattern: Arrival, n: number): Row | undefined => rows.find((r) => r.pattern === pattern && r.n === n);
    const kbOr = (x: number | undefined): number | null => (x === undefined || !Number.isFinite(x) ? null : x / 1024);
    const series: Series[] = [];
    PATTERNS.forEach((p, i) => {
      series.push({
        name: `PeerConnect, ${PATTERN_LABEL[p]}`,
        color: PALETTE[i],
        values: ns.map((n) => kbOr(at(p, n)?.peerConnect?.bytes)),
      });
    });
    // The plain origin is the same visitors in both rows (see rows.ts): one line.
    series.push({
      name: 'plain origin (no worker)',
      color: PALETTE[6],
      dashed: true,
      values: ns.map((n) => kbOr(at('sequential', n)?.plain?.bytes)),
    });
    return lineChart({
      title,
      categories: ns.map(String),
      xLabel: 'N visitors (equally spaced, not to scale)',
      yLabel: 'origin KB per visitor',
      series,
      width: 600,
      height: 380,
    });
  });
  return svgDocument(panels, 2, caption);
}
