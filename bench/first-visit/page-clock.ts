/**
 * Times a visit from inside the browser, on the browser's own clock, so Playwright's round
 * trips never count. An init script (run before any page script, in every document) records
 * marks in sessionStorage, which survives the one reload of the `reload` mode, so that mode is
 * timed from its first request, not from the reload:
 *  - navigation start of each document, bridge script loaded, bridge started, worker took
 *    control, `peerConnect.ready`, load event, page hidden (the reload), and each
 *    largest-contentful-paint candidate (`lcp`; the document's LCP is its last candidate);
 * and, in the window, the last image `load`/`error` event (captured on the document: they do
 * not bubble) and every `peerconnect:served` event, to show where the time goes.
 * It also sums the served events' peer bytes in sessionStorage: on a `reload` first visit the
 * bridge of the held document fetches the page's assets from peers, and that document (with its
 * bridge's counters) is gone after the reload; the final page's `stats()` would under-count.
 */
import type { BrowserContext, Page } from 'playwright-core';

const MARKS_KEY = 'peer-connect-bench:marks';
const PEER_BYTES_KEY = 'peer-connect-bench:peer-bytes';

// A string, not a function: tsx would wrap a function's inner names in `__name` calls.
const INIT_SCRIPT = `(() => {
  if (!location.protocol.startsWith('http')) return;
  const KEY = ${JSON.stringify(MARKS_KEY)};
  const PEER_KEY = ${JSON.stringify(PEER_BYTES_KEY)};
  const now = () => performance.timeOrigin + performance.now();
  let marks = [];
  try { marks = JSON.parse(sessionStorage.getItem(KEY) || '[]'); } catch {}
  const mark = (name, at) => {
    marks.push([name, at === undefined ? now() : at]);
    try { sessionStorage.setItem(KEY, JSON.stringify(marks)); } catch {}
  };
  mark('navigation-start', performance.timeOrigin);
  const clock = { lastImageAt: 0, imageEvents: 0, served: [] };
  window.__peerConnectBenchClock = clock;
  const onImage = (e) => {
    if (e.target instanceof HTMLImageElement) {
      clock.lastImageAt = now();
      clock.imageEvents++;
    }
  };
  document.addEventListener('load', onImage, true);
  document.addEventListener('error', onImage, true);
  addEventListener('load', () => mark('load'));
  addEventListener('pagehide', () => mark('pagehide'));
  addEventListener('peerconnect:served', (e) => {
    const d = e.detail || {};
    clock.served.push({ at: now(), path: String(d.path), ms: Number(d.ms), bytes: d.bytes });
    const peer = Number((d.bytes && d.bytes.peer) || 0);
    if (peer > 0) {
      try { sessionStorage.setItem(PEER_KEY, String(Number(sessionStorage.getItem(PEER_KEY) || 0) + peer)); } catch {}
    }
  });
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) mark('lcp', performance.timeOrigin + e.startTime);
    }).observe({ type: 'largest-contentful-paint', buffered: true });
  } catch {}
  if (navigator.serviceWorker) {
    if (navigator.serviceWorker.controller) mark('controlled-at-start');
    navigator.serviceWorker.addEventListener('controllerchange', () => mark('controlled'));
  }
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) if (/\\/peer-connect\\.js(\\?|$)/.test(e.name)) mark('bridge-script-loaded', performance.timeOrigin + e.responseEnd);
  }).observe({ type: 'resource', buffered: true });
  let api;
  Object.defineProperty(window, 'peerConnect', {
    configurable: true,
    enumerable: true,
    get: () => api,
    set: (v) => {
      api = v;
      mark('bridge-started');
      if (v && v.ready) v.ready.then(() => mark('ready'), () => mark('ready-failed'));
    },
  });
})();`;

export async function installPageClock(context: BrowserContext): Promise<void> {
  await context.addInitScript({ content: INIT_SCRIPT });
}

export interface ServedAsset {
  /** ms since the first navigation start. */
  at: number;
  path: string;
  /** The worker's own time for this response. */
  ms: number;
  bytes: { peer: number; origin: number; cache: number };
}

export interface PageTimes {
  /** From the first document's navigation start to the final document's load event. */
  loadMs: number;
  /** From the same start to the final document's largest contentful paint (its last candidate). */
  lcpMs: number;
  /** From the same start to the last image's load event. */
  imagesMs: number;
  /** Peer bytes of every `peerconnect:served` event, over all of the tab's documents (the held one of a reload included). */
  peerBytes: number;
  /** `navigate`, or `reload` when the page reloaded itself. */
  navType: string;
  images: number;
  /** Each mark, ms since the first navigation start, in order (names repeat across documents). */
  marks: Array<[string, number]>;
  served: ServedAsset[];
}

type ClockWindow = Window & { __peerConnectBenchClock?: { lastImageAt: number; imageEvents: number; served: ServedAsset[] } };

/**
 * The worker reports an asset after the page has its last byte, so the report can trail the
 * image's load event: wait (bounded) until every response that went through the worker has one.
 */
export async function waitForServedReports(page: Page, ms: number): Promise<void> {
  await page
    .waitForFunction(
      () => {
        const throughWorker = performance
          .getEntriesByType('resource')
          .filter((e) => (e as PerformanceResourceTiming).workerStart > 0).length;
        return ((window as ClockWindow).__peerConnectBenchClock?.served.length ?? 0) >= throughWorker;
      },
      undefined,
      { timeout: ms, polling: 50 },
    )
    .catch(() => undefined);
}

/**
 * The LCP observer's callback runs after the candidate is painted, which can be after the load
 * event (a fast page read at once has none yet): wait (bounded) until the final document has one.
 */
export async function waitForLcp(page: Page, ms: number): Promise<void> {
  await page
    .waitForFunction(
      (key: string) => {
        const names = (JSON.parse(sessionStorage.getItem(key) ?? '[]') as Array<[string, number]>).map(([name]) => name);
        return names.lastIndexOf('lcp') > names.lastIndexOf('navigation-start');
      },
      MARKS_KEY,
      { timeout: ms, polling: 50 },
    )
    .catch(() => undefined);
}

/** Call once the page is final and its images are complete. */
export async function readPageTimes(page: Page): Promise<PageTimes> {
  const raw = await page.evaluate(
    ([key, peerKey]) => {
      const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
      const marks = JSON.parse(sessionStorage.getItem(key) ?? '[]') as Array<[string, number]>;
      const clock = (window as ClockWindow).__peerConnectBenchClock;
      return {
        marks,
        loadAt: nav && nav.loadEventStart > 0 ? performance.timeOrigin + nav.loadEventStart : Number.NaN,
        lastImageAt: clock && clock.imageEvents > 0 ? clock.lastImageAt : Number.NaN,
        served: clock?.served ?? [],
        navType: nav?.type ?? 'unknown',
        images: document.images.length,
        peerBytes: Number(sessionStorage.getItem(peerKey) ?? 0),
      };
    },
    [MARKS_KEY, PEER_BYTES_KEY] as const,
  );
  const started = raw.marks.find(([name]) => name === 'navigation-start')?.[1] ?? Number.NaN;
  // The final document's LCP: its last candidate, after the last navigation start (a held document may have had its own).
  const finalStart = raw.marks.map(([name]) => name).lastIndexOf('navigation-start');
  const lcpAt = raw.marks.slice(finalStart).reduce((at, [name, t]) => (name === 'lcp' ? t : at), Number.NaN);
  return {
    loadMs: raw.loadAt - started,
    lcpMs: lcpAt - started,
    peerBytes: raw.peerBytes,
    imagesMs: raw.lastImageAt - started,
    navType: raw.navType,
    images: raw.images,
    marks: raw.marks.map(([name, at]) => [name, at - started]),
    served: raw.served.map((s) => ({ ...s, at: s.at - started })),
  };
}
