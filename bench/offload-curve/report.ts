/** The offload tables: per site, per arrival pattern and N, PeerConnect against the plain origin. */
import { kb, pct, ratio } from '../lib/report/format.ts';
import { table } from '../lib/report/markdown.ts';
import type { Averages } from './aggregate.ts';
import { BATCH_WIDTH, type Pattern } from './patterns.ts';
import type { Row } from './rows.ts';

export const PATTERN_LABEL: Record<Pattern, string> = {
  sequential: 'one after another',
  together: 'all at once',
  batched: `${BATCH_WIDTH} at a time`,
};

const n1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '–');
const okOf = (a: Averages | null): string => (a ? `${a.ok}/${a.visitors}` : 'not run');
const val = (a: Averages | null, f: (a: Averages) => number): number => (a ? f(a) : Number.NaN);

/** Everything the origin sent, per visitor: the headline. */
export function totalsTable(rows: readonly Row[]): string {
  return table(
    [
      'arrival',
      'N',
      'visitors ok',
      'PeerConnect KB/visitor',
      'plain KB/visitor',
      'bytes × plain',
      'PeerConnect req/visitor',
      'plain req/visitor',
      'requests × plain',
      'P2P share',
      "worker's origin fetches KB (req)/visitor",
      'hand-overs/visitor: hedge / no peers / critical',
      'failed peer requests/visitor',
      'PeerConnect run s',
    ],
    rows.map((r) => {
      const pc = (f: (a: Averages) => number): number => val(r.peerConnect, f);
      const pl = (f: (a: Averages) => number): number => val(r.plain, f);
      return [
        PATTERN_LABEL[r.pattern],
        String(r.n),
        okOf(r.peerConnect),
        kb(pc((a) => a.bytes)),
        kb(pl((a) => a.bytes)),
        ratio(
          pc((a) => a.bytes),
          pl((a) => a.bytes),
        ),
        n1(pc((a) => a.requests)),
        n1(pl((a) => a.requests)),
        ratio(
          pc((a) => a.requests),
          pl((a) => a.requests),
        ),
        pct(pc((a) => a.p2pShare)),
        `${kb(pc((a) => a.rangeBytes))} (${n1(pc((a) => a.rangeRequests))})`,
        `${n1(pc((a) => a.handOverHedge))} / ${n1(pc((a) => a.handOverNoPeers))} / ${n1(pc((a) => a.handOverCritical))}`,
        n1(pc((a) => a.peerFailures)),
        n1(r.peerConnectWallMs / 1000),
      ];
    }),
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
}

/** First visits and navigations apart: what the worker costs a newcomer, and what it saves after. */
export function splitTable(rows: readonly Row[]): string {
  return table(
    [
      'arrival',
      'N',
      'first visit: PeerConnect KB',
      'plain KB',
      '× plain',
      'req PC / plain',
      'P2P share',
      'navigation: PeerConnect KB',
      'plain KB',
      '× plain',
      'req PC / plain',
      'P2P share',
    ],
    rows.map((r) => {
      const pc = (f: (a: Averages) => number): number => val(r.peerConnect, f);
      const pl = (f: (a: Averages) => number): number => val(r.plain, f);
      return [
        PATTERN_LABEL[r.pattern],
        String(r.n),
        kb(pc((a) => a.firstBytes)),
        kb(pl((a) => a.firstBytes)),
        ratio(
          pc((a) => a.firstBytes),
          pl((a) => a.firstBytes),
        ),
        `${n1(pc((a) => a.firstRequests))} / ${n1(pl((a) => a.firstRequests))}`,
        pct(pc((a) => a.firstP2pShare)),
        kb(pc((a) => a.navBytes)),
        kb(pl((a) => a.navBytes)),
        ratio(
          pc((a) => a.navBytes),
          pl((a) => a.navBytes),
        ),
        `${n1(pc((a) => a.navRequests))} / ${n1(pl((a) => a.navRequests))}`,
        pct(pc((a) => a.navP2pShare)),
      ];
    }),
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
}
