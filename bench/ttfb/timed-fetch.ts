/**
 * Times one `fetch()` from inside a page: time to the first body chunk the page can read
 * (what a script or decoder waits for) and to the last, on the page's own clock. For a
 * PeerConnect page it also waits for the worker's `peerconnect:served` event of that asset, to
 * say where every byte came from (the header names only the first piece's source).
 */
import type { Page } from 'playwright-core';

export interface FetchTiming {
  ok: boolean;
  ttfbMs: number;
  totalMs: number;
  bytes: number;
  status: number;
  /** `x-peer-connect-source`: where the first bytes came from; null when no worker answered. */
  source: string | null;
  /** The worker's byte split, or null (plain origin, or no event in time). */
  split: { peer: number; origin: number; cache: number } | null;
  error?: string;
}

/** After the body is read the worker reports at once; this only bounds a lost message. */
const SERVED_EVENT_WAIT_MS = 2_000;

export async function timedFetch(page: Page, url: string, manifestKey: string | null, timeoutMs: number): Promise<FetchTiming> {
  const args = { url, manifestKey, timeoutMs, servedWaitMs: SERVED_EVENT_WAIT_MS };
  return page.evaluate(async ({ url, manifestKey, timeoutMs, servedWaitMs }) => {
    type Split = { peer: number; origin: number; cache: number };
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    // Listen before fetching: the event may come before the page finishes reading.
    let resolveSplit: (s: Split | null) => void = () => undefined;
    const split = new Promise<Split | null>((r) => (resolveSplit = r));
    const onServed = (e: Event): void => {
      const detail = (e as CustomEvent<{ path?: string; bytes?: Split }>).detail;
      if (detail?.path === manifestKey && detail.bytes) resolveSplit(detail.bytes);
    };
    if (manifestKey !== null) addEventListener('peerconnect:served', onServed);
    try {
      const t0 = performance.now();
      // The default cache mode: the worker passes `no-store` to the network (a page demanding a
      // fresh copy), and these origins send `no-cache` without validators, so the browser's HTTP
      // cache never answers a request anyway.
      const response = await fetch(url, { signal: controller.signal });
      if (!response.body) throw new Error('no body');
      const reader = response.body.getReader();
      const head = await reader.read();
      const t1 = performance.now();
      let bytes = head.value?.byteLength ?? 0;
      for (let chunk = head; !chunk.done; ) {
        chunk = await reader.read();
        bytes += chunk.value?.byteLength ?? 0;
      }
      const t2 = performance.now();
      const bySource =
        manifestKey === null ? null : await Promise.race([split, new Promise<null>((r) => setTimeout(() => r(null), servedWaitMs))]);
      return {
        ok: response.ok,
        ttfbMs: t1 - t0,
        totalMs: t2 - t0,
        bytes,
        status: response.status,
        source: response.headers.get('x-peer-connect-source'),
        split: bySource,
      };
    } catch (e) {
      return { ok: false, ttfbMs: Number.NaN, totalMs: Number.NaN, bytes: 0, status: 0, source: null, split: null, error: String(e) };
    } finally {
      clearTimeout(timer);
      removeEventListener('peerconnect:served', onServed);
    }
  }, args);
}
