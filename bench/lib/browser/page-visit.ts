/**
 * One page view, as a reader does it: navigate, wait until the page is final (for PeerConnect:
 * the worker controls it and the first-visit images are swapped in), its load event has fired
 * and every image is complete and decoded (lazy ones scrolled into view). Bounded by one
 * deadline; a failure is a value, so one stuck visitor cannot sink a whole run. Returns once the
 * visitor's origin traffic has gone quiet, so what follows can be counted apart.
 */
import type { Visitor } from '../../../tests/e2e/harness/browser.ts';
import type { OriginServer } from '../../../tests/e2e/harness/origin-server.ts';
import { stats, waitForImages, waitForReady } from '../../../tests/e2e/harness/site.ts';
import { waitVisitorQuiet } from '../origin/visitor-origin.ts';
import { type PageTimes, readPageTimes } from './page-timing.ts';

export interface PageVisit extends PageTimes {
  path: string;
  ok: boolean;
  error?: string;
  /** The bridge's counters for this page (counters are per document); 0 without PeerConnect. */
  peerBytes: number;
  workerOriginBytes: number;
  cacheBytes: number;
  /** Piece requests to peers that failed (timeout, refusal, closed link): the bridge's `failures`. */
  peerFailures: number;
  /** Wall time of the whole view as the harness saw it (includes its polling). */
  wallMs: number;
}

export interface VisitOptions {
  peerConnect: boolean;
  minImages: number;
  timeoutMs: number;
  /** The visitor's origin, to wait until its traffic is quiet before reading the counters. */
  origin: OriginServer;
}

/** A worker may start an origin fallback just after the page looks complete: wait for this much silence. */
const QUIET_MS = 250;
const QUIET_TIMEOUT_MS = 8_000;

const failed = (path: string, error: string, wallMs: number): PageVisit => ({
  path,
  ok: false,
  error,
  loadMs: Number.NaN,
  largestImageMs: Number.NaN,
  imagesLoaded: 0,
  slowestServed: null,
  peerBytes: 0,
  workerOriginBytes: 0,
  cacheBytes: 0,
  peerFailures: 0,
  wallMs,
});

export async function visitPage(visitor: Visitor, url: string, path: string, options: VisitOptions): Promise<PageVisit> {
  const t0 = Date.now();
  const deadline = t0 + options.timeoutMs;
  const left = (): number => Math.max(1_000, deadline - Date.now());
  try {
    const page = visitor.page;
    await page.goto(url, { waitUntil: 'commit', timeout: left() });
    if (options.peerConnect) await waitForReady(page, left());
    await page.waitForLoadState('load', { timeout: left() });
    await waitForImages(page, left(), options.minImages);
    // Once the origin is quiet the worker has reported every response (it reports as each ends),
    // so the counters are final without sampling them until they stop moving.
    await waitVisitorQuiet(options.origin, visitor.name, QUIET_MS, QUIET_TIMEOUT_MS);
    const times = await readPageTimes(page);
    const counters = options.peerConnect ? await stats(page) : null;
    return {
      path,
      ok: true,
      ...times,
      peerBytes: counters?.bytesFromPeers ?? 0,
      workerOriginBytes: counters?.bytesFromOrigin ?? 0,
      cacheBytes: counters?.bytesFromCache ?? 0,
      peerFailures: counters?.failures ?? 0,
      wallMs: Date.now() - t0,
    };
  } catch (err) {
    return failed(path, (err as Error).message.split('\n')[0] ?? 'unknown error', Date.now() - t0);
  }
}
