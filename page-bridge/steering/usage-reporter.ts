/**
 * What the bridge reports to the signaling server (protocol/usage-report.ts): the growth of its
 * counters since the last report that went out, every REPORT_INTERVAL_MS and at `pagehide`.
 * Pure: it reads counters through a function and sends through another, so it is unit-tested
 * without a browser. A counter that went down (a new P2P session, a new WebTorrent client)
 * counts from zero again; a report that could not be sent (signaling down) is not lost: the next
 * one carries its growth too.
 */
import { REPORT_MAX_ASSETS, REPORT_MAX_BYTES, REPORT_MAX_COUNT } from '../../protocol/limits.ts';
import { isReportPath, REPORT_COUNTER_FIELDS, type ReportCounters, type UsageReport, zeroCounters } from '../../protocol/usage-report.ts';

/** The counters a report is made of, as they stand (cumulative). */
export type { ReportCounters };

/** Assets remembered between reports, at most (the largest REPORT_MAX_ASSETS are sent). */
const MAX_PENDING_ASSETS = 256;

export class UsageReporter {
  private last: ReportCounters = zeroCounters();
  /** Bytes from peers per asset since the last report that went out. */
  private readonly assets = new Map<string, { path: string; peer: number }>();

  constructor(
    private readonly read: () => ReportCounters,
    private readonly send: (report: UsageReport) => boolean,
  ) {}

  /** One response's bytes from peers, for the top-assets list. */
  served(hash: string, path: string, peerBytes: number): void {
    // A path the server would refuse (a control character, too long) would cost the whole report.
    if (peerBytes <= 0 || !isReportPath(path)) return;
    const known = this.assets.get(hash);
    if (known) known.peer += peerBytes;
    else if (this.assets.size < MAX_PENDING_ASSETS) this.assets.set(hash, { path, peer: peerBytes });
  }

  /** The report now, or null when nothing grew. */
  pending(): { report: UsageReport; counters: ReportCounters } | null {
    const now = this.read();
    const delta = (f: (typeof REPORT_COUNTER_FIELDS)[number]): number => {
      const grown = now[f] >= this.last[f] ? now[f] - this.last[f] : now[f];
      return Math.min(
        Math.max(0, Math.floor(grown)),
        f === 'failures' || f === 'badPieces' || f === 'bans' ? REPORT_MAX_COUNT : REPORT_MAX_BYTES,
      );
    };
    const d = Object.fromEntries(REPORT_COUNTER_FIELDS.map((f) => [f, delta(f)])) as unknown as ReportCounters;
    if (REPORT_COUNTER_FIELDS.every((f) => d[f] === 0)) return null;
    const assets = [...this.assets]
      .sort((a, b) => b[1].peer - a[1].peer)
      .slice(0, REPORT_MAX_ASSETS)
      .map(([hash, a]) => ({ hash, path: a.path, peer: Math.min(a.peer, REPORT_MAX_BYTES) }));
    const report: UsageReport = {
      type: 'report',
      bytes: { peer: d.peer, origin: d.origin, cache: d.cache, webSeed: d.webSeed, uploaded: d.uploaded },
      failures: d.failures,
      badPieces: d.badPieces,
      bans: d.bans,
      assets,
    };
    return { report, counters: now };
  }

  /** Sends what grew, if anything; true when a report went out. */
  flush(): boolean {
    const next = this.pending();
    if (!next || !this.send(next.report)) return false;
    this.last = next.counters;
    this.assets.clear();
    return true;
  }
}
