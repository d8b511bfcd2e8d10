/**
 * The video's timeline on the page's own clock (ms since the document's navigation start), so
 * Playwright's round trips never count. An init script, run before any page script in every
 * document of the context:
 * - plays the page's first `<video>` (muted) the moment it is in the document: the earliest a
 *   viewer could press play (with PeerConnect's `swap`, once it is put back in: by the page script on a controlled page, by the bridge on a first visit), and
 *   records its media events and the first frame handed to the compositor
 *   (`requestVideoFrameCallback`);
 * - records when the page receives the worker's `fetch` for each asset (what the bridge is
 *   sent: a listener on the same `navigator.serviceWorker`, added before the bridge's).
 * Read afterwards with the Resource Timing of the video's request (`workerStart` is when the
 * worker got the fetch event) and the bridge's `peer-connect:<step>` User Timing marks.
 */
import type { BrowserContext, Page } from 'playwright-core';
import type { VideoIds } from './targets.ts';

const CLOCK = '__peerConnectBenchVideo';
const MEDIA_EVENTS = ['loadstart', 'loadedmetadata', 'loadeddata', 'canplay', 'playing'] as const;

// A string, not a function: tsx would wrap a function's inner names in `__name` calls.
const INIT_SCRIPT = `(() => {
  if (!location.protocol.startsWith('http')) return;
  // A web seed makes one request per piece: keep the first ones past the default 250 entries.
  try { performance.setResourceTimingBufferSize(2000); } catch {}
  const clock = { events: {}, fetches: [], appearedAt: null, frameAt: null, playError: null };
  window.${CLOCK} = clock;
  navigator.serviceWorker && navigator.serviceWorker.addEventListener('message', (e) => {
    const d = e.data;
    if (d && d.pc === 'fetch') clock.fetches.push([performance.now(), String(d.hash)]);
  });
  const start = (video) => {
    clock.appearedAt = performance.now();
    for (const name of ${JSON.stringify(MEDIA_EVENTS)}) {
      video.addEventListener(name, () => { if (!(name in clock.events)) clock.events[name] = performance.now(); });
    }
    if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(() => { clock.frameAt = performance.now(); });
    video.muted = true;
    video.play().catch((e) => { clock.playError = String(e); });
  };
  const scan = () => {
    const video = document.querySelector('video');
    if (video && clock.appearedAt === null) start(video);
    return video !== null;
  };
  if (!scan()) {
    const watcher = new MutationObserver(() => { if (scan()) watcher.disconnect(); });
    watcher.observe(document, { childList: true, subtree: true });
  }
})();`;

export async function installVideoClock(context: BrowserContext): Promise<void> {
  await context.addInitScript({ content: INIT_SCRIPT });
}

/** Every time in ms from the page's navigation start; NaN when it did not happen. */
export interface VideoClock {
  /** The `<video>` was in the document and play() was called. */
  playMs: number;
  events: Record<(typeof MEDIA_EVENTS)[number], number>;
  /** First `requestVideoFrameCallback`: the first frame presented. */
  frameMs: number;
  /** The first request for the video (Resource Timing; a range re-request comes later). */
  request: { startMs: number; workerStartMs: number; responseStartMs: number; responseEndMs: number };
  /** The page received the worker's first `fetch` of the video (with PeerConnect). */
  bridgeFetchMs: number;
  /** First `peer-connect:<step>` mark of each step, for this video's torrent (or torrent-wide steps). */
  marks: Record<string, number>;
  /** The video's web-seed requests the page made (WebTorrent's HTTP ranges), and when the first started. */
  webSeedRequests: number;
  webSeedFirstMs: number;
  controlled: boolean;
  playError: string | null;
  mediaError: string | null;
}

/** Has the video reached `canplay`, or failed? */
export function videoState(page: Page): Promise<{ canplay: boolean; failed: string | null; bufferedSeconds: number; duration: number }> {
  return page.evaluate((name: string) => {
    const clock = (window as unknown as Record<string, { events: Record<string, number>; playError: string | null } | undefined>)[name];
    const video = document.querySelector('video');
    let bufferedSeconds = 0;
    if (video) for (let i = 0; i < video.buffered.length; i++) bufferedSeconds += video.buffered.end(i) - video.buffered.start(i);
    return {
      canplay: clock?.events.canplay !== undefined,
      failed: video?.error?.message ?? clock?.playError ?? null,
      bufferedSeconds,
      duration: video && Number.isFinite(video.duration) ? video.duration : Number.NaN,
    };
  }, CLOCK);
}

export function readVideoClock(page: Page, video: VideoIds): Promise<VideoClock> {
  return page.evaluate(
    ({ name, key, hash, infoHash, events }) => {
      type Raw = {
        events: Record<string, number>;
        fetches: Array<[number, string]>;
        appearedAt: number | null;
        frameAt: number | null;
        playError: string | null;
      };
      const clock = (window as unknown as Record<string, Raw | undefined>)[name];
      const nan = Number.NaN;
      const ofVideo = performance.getEntriesByType('resource').filter((e) => {
        try {
          return decodeURIComponent(new URL(e.name).pathname) === `/${key}`;
        } catch {
          return false;
        }
      }) as PerformanceResourceTiming[];
      const direct = ofVideo.filter((e) => new URL(e.name).search === '').sort((a, b) => a.startTime - b.startTime)[0];
      const webSeed = ofVideo.filter((e) => new URL(e.name).search !== '').sort((a, b) => a.startTime - b.startTime);
      const marks: Record<string, number> = {};
      for (const m of performance.getEntriesByType('mark') as PerformanceMark[]) {
        if (!m.name.startsWith('peer-connect:')) continue;
        const forHash = (m.detail as { infoHash?: string } | null)?.infoHash;
        if (forHash !== undefined && forHash !== infoHash) continue;
        const step = m.name.slice('peer-connect:'.length);
        marks[step] = Math.min(marks[step] ?? Infinity, m.startTime);
      }
      const at = (x: number | null | undefined): number => (typeof x === 'number' ? x : nan);
      return {
        playMs: at(clock?.appearedAt),
        events: Object.fromEntries(events.map((e) => [e, at(clock?.events[e])])) as VideoClock['events'],
        frameMs: at(clock?.frameAt),
        request: {
          startMs: direct ? direct.startTime : nan,
          workerStartMs: direct && direct.workerStart > 0 ? direct.workerStart : nan,
          responseStartMs: direct ? direct.responseStart : nan,
          responseEndMs: direct ? direct.responseEnd : nan,
        },
        bridgeFetchMs: at(clock?.fetches.find((f) => f[1] === hash)?.[0]),
        marks,
        webSeedRequests: webSeed.length,
        webSeedFirstMs: webSeed[0] ? webSeed[0].startTime : nan,
        controlled: navigator.serviceWorker?.controller != null,
        playError: clock?.playError ?? null,
        mediaError: document.querySelector('video')?.error?.message ?? null,
      };
    },
    { name: CLOCK, key: video.key, hash: video.hash, infoHash: video.infoHash, events: [...MEDIA_EVENTS] },
  );
}
