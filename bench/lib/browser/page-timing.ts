/**
 * Times a page from inside the browser, on its own clock (ms since the document's navigation
 * start), so Playwright's round trips never count: the load event, and the `load` event of the
 * largest image (by decoded pixel area: the page's LCP candidate: the hero photo, not a
 * thumbnail). Image load events do not bubble, so the init script listens in the capture phase
 * on the document; it runs before any page script, in every document of the context.
 * It also keeps the PeerConnect worker's `peerconnect:served` reports (path, the worker's own
 * time for the response), to say which response a slow page waited for.
 */
import type { BrowserContext, Page } from 'playwright-core';

const CLOCK = '__peerConnectBenchPageSpeed';

// A string, not a function: tsx would wrap a function's inner names in `__name` calls.
const INIT_SCRIPT = `(() => {
  if (!location.protocol.startsWith('http')) return;
  const clock = { images: [], served: [] };
  window.${CLOCK} = clock;
  document.addEventListener('load', (e) => {
    const t = e.target;
    if (t instanceof HTMLImageElement) clock.images.push([performance.now(), t.naturalWidth * t.naturalHeight]);
  }, true);
  addEventListener('peerconnect:served', (e) => {
    const d = e.detail || {};
    clock.served.push([String(d.path), Number(d.ms)]);
  });
})();`;

export async function installPageTiming(context: BrowserContext): Promise<void> {
  await context.addInitScript({ content: INIT_SCRIPT });
}

export interface PageTimes {
  loadMs: number;
  /** When the largest image (the last of them, if it loaded twice) fired `load`. */
  largestImageMs: number;
  imagesLoaded: number;
  /** The worker's slowest response on this page (its own time for it), if any went through it. */
  slowestServed: { path: string; ms: number } | null;
}

interface Clock {
  images: Array<[number, number]>;
  served: Array<[string, number]>;
}

/** Call once the page's load event has fired, its images are complete and the worker has reported. */
export async function readPageTimes(page: Page): Promise<PageTimes> {
  return page.evaluate((name: string) => {
    const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming | undefined;
    const clock = (window as unknown as Record<string, Clock | undefined>)[name] ?? { images: [], served: [] };
    let largest: [number, number] | undefined;
    for (const img of clock.images) if (!largest || img[1] >= largest[1]) largest = img;
    let slowest: [string, number] | undefined;
    for (const s of clock.served) if (!slowest || s[1] > slowest[1]) slowest = s;
    return {
      loadMs: nav && nav.loadEventStart > 0 ? nav.loadEventStart : Number.NaN,
      largestImageMs: largest ? largest[0] : Number.NaN,
      imagesLoaded: clock.images.length,
      slowestServed: slowest ? { path: slowest[0], ms: slowest[1] } : null,
    };
  }, CLOCK);
}
