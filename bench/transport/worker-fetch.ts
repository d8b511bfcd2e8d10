/**
 * One timed `fetch()` from inside a page, with what the transport benchmark needs beyond
 * bench/ttfb/timed-fetch.ts: the worker's own `ms` from its `peerconnect:served` event (worker
 * start of the response → every piece stored), and the absolute end time on the clock the wire
 * tap uses, so the fetch can be laid over the per-piece timeline.
 */
import type { Page } from 'playwright-core';

export interface WorkerFetch {
  ok: boolean;
  bytes: number;
  totalMs: number;
  /** performance.timeOrigin + now at start and at the last byte. */
  startAt: number;
  endAt: number;
  /** From the worker's served event; null without a worker or when none came in time. */
  servedMs: number | null;
  peerBytes: number | null;
  error?: string;
}

/** The event follows the last piece's storage write; this bounds a lost one. */
const SERVED_WAIT_MS = 3_000;

export function workerFetch(page: Page, url: string, manifestKey: string | null, timeoutMs: number): Promise<WorkerFetch> {
  return page.evaluate(
    async ({ url, manifestKey, timeoutMs, servedWaitMs }) => {
      type Served = { ms: number; peer: number };
      const now = (): number => performance.timeOrigin + performance.now();
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), timeoutMs);
      let resolveServed: (s: Served | null) => void = () => undefined;
      const served = new Promise<Served | null>((r) => (resolveServed = r));
      const onServed = (e: Event): void => {
        const d = (e as CustomEvent<{ path?: string; ms?: number; bytes?: { peer?: number } }>).detail;
        if (d?.path === manifestKey && typeof d.ms === 'number') resolveServed({ ms: d.ms, peer: d.bytes?.peer ?? 0 });
      };
      if (manifestKey !== null) addEventListener('peerconnect:served', onServed);
      const startAt = now();
      try {
        // The default cache mode: the worker passes `no-store` to the network (a page demanding a
        // fresh copy), and these origins send `no-cache` without validators, so the browser's HTTP
        // cache never answers a request anyway.
        const response = await fetch(url, { signal: controller.signal });
        const body = await response.arrayBuffer();
        const endAt = now();
        const s =
          manifestKey === null ? null : await Promise.race([served, new Promise<null>((r) => setTimeout(() => r(null), servedWaitMs))]);
        return {
          ok: response.ok,
          bytes: body.byteLength,
          totalMs: endAt - startAt,
          startAt,
          endAt,
          servedMs: s?.ms ?? null,
          peerBytes: s?.peer ?? null,
        };
      } catch (e) {
        return { ok: false, bytes: 0, totalMs: Number.NaN, startAt, endAt: Number.NaN, servedMs: null, peerBytes: null, error: String(e) };
      } finally {
        clearTimeout(timer);
        removeEventListener('peerconnect:served', onServed);
      }
    },
    { url, manifestKey, timeoutMs, servedWaitMs: SERVED_WAIT_MS },
  );
}
