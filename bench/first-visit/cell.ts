/**
 * One measurement: visitor 1 (fresh browser) views the page, stays open as the seeder;
 * visitor 2 (fresh browser) views it; the origin's own counts say what visitor 2 cost it.
 */

import { launchVisitor, type Visitor } from '../../tests/e2e/harness/browser.ts';
import type { OriginServer } from '../../tests/e2e/harness/origin-server.ts';
import { storedCounts } from '../../tests/e2e/harness/site.ts';
import { sleep } from '../lib/run/budget.ts';
import { bytesByKind, type OriginKind } from './origin-kinds.ts';
import { type Variant, type VisitResult, visitPage } from './visit.ts';

export interface CellTarget {
  variant: Variant;
  origin: OriginServer;
  /** The page both visitors open. */
  url: string;
}

export interface CellResult {
  variant: Variant;
  rep: number;
  ok: boolean;
  error?: string;
  /** Visitor 2, everything the origin sent it (HTML, scripts, worker, assets). */
  originBytes: number;
  originRequests: number;
  originByKind?: Record<OriginKind, number>;
  visit?: VisitResult;
  /**
   * Bytes from peers over (bytes from peers + every byte the origin sent visitor 2); bytes from
   * peers are the served events' sum over all of the tab's documents (VisitResult.peerBytes).
   */
  p2pShare: number;
}

const VISIT_MS = 30_000;
const SEEDER_WAIT_MS = 6_000;
/** The bridge announces a stored asset on the next message after the worker's `stored`. */
const ANNOUNCE_GRACE_MS = 300;

/** Lets the origin finish whatever is in flight (a worker may fall back late) before counting. */
async function settle(origin: OriginServer): Promise<void> {
  await origin.idle(15_000);
  await sleep(500);
  await origin.idle(15_000);
}

/** Visitor 1 can seed once its worker stored what it loaded: wait until the count stops growing. */
async function waitUntilSeeding(v1: Visitor, origin: OriginServer): Promise<void> {
  await origin.idle(10_000).catch(() => undefined);
  const deadline = Date.now() + SEEDER_WAIT_MS;
  let last = -1;
  while (Date.now() < deadline) {
    const { assets } = await storedCounts(v1.page);
    if (assets > 0 && assets === last) break;
    last = assets;
    await sleep(250);
  }
  await sleep(ANNOUNCE_GRACE_MS);
}

export async function runCell(target: CellTarget, runId: string, rep: number, minImages: number): Promise<CellResult> {
  const names = [`${runId}-v1`, `${runId}-v2`] as const;
  const visitors: Visitor[] = [];
  try {
    const v1 = await launchVisitor(names[0]);
    visitors.push(v1);
    await visitPage(v1, target.url, target.variant, minImages, VISIT_MS);
    if (target.variant !== 'plain' && target.variant !== 'off') await waitUntilSeeding(v1, target.origin);
    else await settle(target.origin);

    const v2 = await launchVisitor(names[1]);
    visitors.push(v2);
    const visit = await visitPage(v2, target.url, target.variant, minImages, VISIT_MS);
    await settle(target.origin);
    const snap = target.origin.snapshot({ visitor: names[1] });
    const share = visit.peerBytes / (visit.peerBytes + snap.totalBytes);
    return {
      variant: target.variant,
      rep,
      ok: true,
      originBytes: snap.totalBytes,
      originRequests: snap.totalRequests,
      originByKind: bytesByKind(snap),
      visit,
      p2pShare: share,
    };
  } catch (err) {
    const dump = visitors.map((v) => v.dump(8)).join('\n');
    return {
      variant: target.variant,
      rep,
      ok: false,
      error: `${(err as Error).message.split('\n')[0]}\n${dump}`,
      originBytes: Number.NaN,
      originRequests: Number.NaN,
      p2pShare: Number.NaN,
    };
  } finally {
    for (const v of visitors.reverse()) await v.close();
  }
}
