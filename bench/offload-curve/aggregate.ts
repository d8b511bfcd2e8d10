/**
 * Per-visitor averages over a set of visitors' sessions: what a row of the offload tables and a
 * point of the chart are. Failed sessions are left out (and counted), never averaged in.
 */
import type { SessionResult } from '../lib/browser/session.ts';

export interface Averages {
  visitors: number;
  ok: number;
  /** All origin bytes and requests, per visitor. */
  bytes: number;
  requests: number;
  /** Of those, the worker's `Range` fetches (asset bytes it could not get from peers), per visitor. */
  rangeBytes: number;
  rangeRequests: number;
  /** The first visit (home page), per visitor. */
  firstBytes: number;
  firstRequests: number;
  /** Per navigation (each visitor makes pagesPerVisitor - 1). */
  navBytes: number;
  navRequests: number;
  /**
   * The worker's answers handed to the network, per visitor: after the hedge delay with nothing
   * from peers (`hedge`); because no holder was found or none is known (`no-peers`,
   * `no-peers-known`, `no-bridge`); or at once for a critical destination (`critical`).
   */
  handOverHedge: number;
  handOverNoPeers: number;
  handOverCritical: number;
  /** Piece requests to peers that failed (timeout, refusal, closed link), per visitor. */
  peerFailures: number;
  /** Bytes from peers ÷ (bytes from peers + origin bytes), over all ok visitors. */
  p2pShare: number;
  firstP2pShare: number;
  navP2pShare: number;
}

const share = (peer: number, origin: number): number => (peer + origin > 0 ? peer / (peer + origin) : Number.NaN);

export function averages(sessions: readonly SessionResult[]): Averages {
  const ok = sessions.filter((s) => s.ok);
  const sum = (f: (s: SessionResult) => number): number => ok.reduce((n, s) => n + f(s), 0);
  const per = (total: number, count: number): number => (count > 0 ? total / count : Number.NaN);
  const navs = sum((s) => s.navigations);
  const first = { origin: sum((s) => s.firstOrigin.bytes), peer: sum((s) => s.firstPeerBytes) };
  const nav = { origin: sum((s) => s.navOrigin.bytes), peer: sum((s) => s.navPeerBytes) };
  return {
    visitors: sessions.length,
    ok: ok.length,
    bytes: per(first.origin + nav.origin, ok.length),
    requests: per(
      sum((s) => s.firstOrigin.requests + s.navOrigin.requests),
      ok.length,
    ),
    rangeBytes: per(
      sum((s) => s.firstOrigin.rangeBytes + s.navOrigin.rangeBytes),
      ok.length,
    ),
    peerFailures: per(
      sum((s) => s.pages.reduce((n, p) => n + p.peerFailures, 0)),
      ok.length,
    ),
    rangeRequests: per(
      sum((s) => s.firstOrigin.rangeRequests + s.navOrigin.rangeRequests),
      ok.length,
    ),
    handOverHedge: per(
      sum((s) => s.handOvers.hedge ?? 0),
      ok.length,
    ),
    handOverNoPeers: per(
      sum((s) => (s.handOvers['no-peers'] ?? 0) + (s.handOvers['no-peers-known'] ?? 0) + (s.handOvers['no-bridge'] ?? 0)),
      ok.length,
    ),
    handOverCritical: per(
      sum((s) => s.handOvers.critical ?? 0),
      ok.length,
    ),
    firstBytes: per(first.origin, ok.length),
    firstRequests: per(
      sum((s) => s.firstOrigin.requests),
      ok.length,
    ),
    navBytes: per(nav.origin, navs),
    navRequests: per(
      sum((s) => s.navOrigin.requests),
      navs,
    ),
    p2pShare: share(first.peer + nav.peer, first.origin + nav.origin),
    firstP2pShare: share(first.peer, first.origin),
    navP2pShare: share(nav.peer, nav.origin),
  };
}
