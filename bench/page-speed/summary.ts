/** Medians per network, site, page and variant: what the page-speed table rows and chart bars are. */

import { median } from '../lib/report/stats.ts';
import type { BenchSite } from '../lib/sites/bench-sites.ts';
import type { Sample, Variant } from './cells.ts';

export type PageKind = 'first' | 'navigation';
export const PAGE_KINDS: readonly PageKind[] = ['first', 'navigation'];

export interface Cell {
  network: string;
  site: BenchSite['id'];
  page: PageKind;
  variant: Variant;
  runs: number;
  ok: number;
  loadMs: number;
  largestImageMs: number;
  originBytes: number;
  p2pShare: number;
}

export function summarize(samples: readonly Sample[], network: string, site: BenchSite['id'], page: PageKind, variant: Variant): Cell {
  const mine = samples.filter((s) => s.network === network && s.site === site && s.variant === variant);
  const ok = mine.filter((s) => s.session.ok);
  const view = (s: Sample) => s.session.pages[page === 'first' ? 0 : 1];
  const m = (f: (s: Sample) => number | undefined): number =>
    median(ok.map(f).filter((x): x is number => x !== undefined && Number.isFinite(x)));
  return {
    network,
    site,
    page,
    variant,
    runs: mine.length,
    ok: ok.length,
    loadMs: m((s) => view(s)?.loadMs),
    largestImageMs: m((s) => view(s)?.largestImageMs),
    originBytes: m((s) => (page === 'first' ? s.session.firstOrigin.bytes : s.session.navOrigin.bytes)),
    p2pShare: m((s) => {
      const peer = view(s)?.peerBytes ?? 0;
      const origin = page === 'first' ? s.session.firstOrigin.bytes : s.session.navOrigin.bytes;
      return peer / (peer + origin);
    }),
  };
}
