/**
 * What the origin server itself counted for one visitor (by the User-Agent tag every request of
 * that browser carries, its service worker's included), split at a moment in time, so a first
 * visit and the navigations after it are reported apart.
 */
import type { OriginServer } from '../../../tests/e2e/harness/origin-server.ts';
import { sleep } from '../run/budget.ts';

export interface OriginCount {
  bytes: number;
  requests: number;
  /** Of those, `Range` requests: only the worker makes them, for asset bytes it could not get from peers. */
  rangeBytes: number;
  rangeRequests: number;
}

/**
 * Waits (bounded) until none of this visitor's responses has been in flight for `quietMs`: a
 * worker can start an origin fallback just after the page looks complete. False on timeout.
 */
export async function waitVisitorQuiet(origin: OriginServer, visitor: string, quietMs: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let quietSince = Number.NaN;
  while (Date.now() < deadline) {
    const busy = origin.snapshot({ visitor }).inFlight > 0;
    if (busy) quietSince = Number.NaN;
    else if (Number.isNaN(quietSince)) quietSince = Date.now();
    else if (Date.now() - quietSince >= quietMs) return true;
    await sleep(Math.min(100, quietMs));
  }
  return false;
}

/** Bytes and requests of the visitor's requests that started in [from, to). */
export function originCount(origin: OriginServer, visitor: string, from: number, to = Number.POSITIVE_INFINITY): OriginCount {
  const count: OriginCount = { bytes: 0, requests: 0, rangeBytes: 0, rangeRequests: 0 };
  for (const r of origin.snapshot({ visitor }).requests) {
    if (r.startedAt < from || r.startedAt >= to) continue;
    count.bytes += r.bodyBytes;
    count.requests++;
    if (r.range !== null) {
      count.rangeBytes += r.bodyBytes;
      count.rangeRequests++;
    }
  }
  return count;
}
