/** The page-speed table for one network: medians, and each PeerConnect variant against the plain origin. */

import { deltaMs, kb, ms, pct, ratio } from '../lib/report/format.ts';
import { table } from '../lib/report/markdown.ts';
import type { BenchSite } from '../lib/sites/bench-sites.ts';
import { routeOf, type Sample, VARIANTS, type Variant } from './cells.ts';
import { PAGE_KINDS, summarize } from './summary.ts';

export const VARIANT_LABEL: Record<Variant, string> = {
  plain: 'plain origin (no worker)',
  peer: 'PeerConnect, one peer has the pages',
  alone: 'PeerConnect, no peers (signaling up)',
  prefetch: 'PeerConnect, one peer, navigation after prefetch',
  'peer-lcp': 'PeerConnect `--lcp-from-origin`, one peer',
  'alone-lcp': 'PeerConnect `--lcp-from-origin`, no peers',
};

export function speedTable(samples: readonly Sample[], network: string, sites: readonly BenchSite[]): string {
  const rows: string[][] = [];
  for (const site of sites) {
    const route = routeOf(site);
    PAGE_KINDS.forEach((page, i) => {
      const plain = summarize(samples, network, site.id, page, 'plain');
      for (const variant of VARIANTS) {
        // Its first visit is the "one peer" first visit again: only its navigation differs.
        if (variant === 'prefetch' && page === 'first') continue;
        const c = summarize(samples, network, site.id, page, variant);
        const base = variant === 'plain';
        rows.push([
          site.id,
          `${page === 'first' ? 'first visit' : 'navigation'} \`${route[i]}\``,
          VARIANT_LABEL[variant],
          `${c.ok}/${c.runs}`,
          ms(c.loadMs),
          base ? '' : deltaMs(c.loadMs, plain.loadMs),
          ratio(c.loadMs, plain.loadMs),
          ms(c.largestImageMs),
          base ? '' : deltaMs(c.largestImageMs, plain.largestImageMs),
          ratio(c.largestImageMs, plain.largestImageMs),
          kb(c.originBytes),
          pct(c.p2pShare),
        ]);
      }
    });
  }
  return table(
    [
      'site',
      'page',
      'variant',
      'runs ok',
      'load event ms',
      'added',
      '× plain',
      'largest image ms',
      'added',
      '× plain',
      'origin KB',
      'P2P share',
    ],
    rows,
    ['l', 'l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
}
