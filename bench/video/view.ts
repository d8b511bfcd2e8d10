/**
 * One viewer watching the video: reads the pages before it (so the worker is installed and
 * controls the video page), opens the video page, which plays the video at once (see
 * clock.ts), waits for `canplay`, then for the whole video to be buffered (bounded), then
 * for its origin traffic to go quiet, and reads the page's timeline and what the origin sent it.
 * Every wait has a deadline; a failure is a value, so one stuck viewer cannot sink the run.
 */
import type { Visitor } from '../../tests/e2e/harness/browser.ts';
import { waitForReady } from '../../tests/e2e/harness/site.ts';
import { waitVisitorQuiet } from '../lib/origin/visitor-origin.ts';
import { sleep } from '../lib/run/budget.ts';
import { installVideoClock, readVideoClock, type VideoClock, videoState } from './clock.ts';
import { originVideoUse, type VideoTarget } from './targets.ts';

export interface ViewPlan {
  /** Pages read before the video page ([] for a first visit to it). */
  before: readonly string[];
  page: string;
  /** For reaching `canplay` (pages before included). */
  timeoutMs: number;
  /** After `canplay`, for the whole video to be buffered; not a failure when it runs out. */
  bufferMs: number;
}

export interface VideoView {
  ok: boolean;
  error?: string;
  clock: VideoClock | null;
  /** The video's bytes the origin server sent this viewer, and in how many responses. */
  originBytes: number;
  originRequests: number;
  /** Share of the video's duration buffered when the view ended. */
  buffered: number;
  wallMs: number;
}

/** A worker may start an origin fallback just after the page looks done: this much silence first. */
const QUIET_MS = 300;
const QUIET_TIMEOUT_MS = 5_000;
const POLL_MS = 50;

export async function viewVideo(visitor: Visitor, target: VideoTarget, plan: ViewPlan): Promise<VideoView> {
  const t0 = Date.now();
  const deadline = t0 + plan.timeoutMs;
  const left = (): number => Math.max(1_000, deadline - Date.now());
  const page = visitor.page;
  const peerConnect = target.kind === 'peerconnect';
  let buffered = 0;
  try {
    await installVideoClock(visitor.context);
    for (const path of plan.before) {
      await page.goto(target.url(path), { waitUntil: 'load', timeout: left() });
      // Only the worker's control matters here: the video's origin bytes are counted by path.
      if (peerConnect) await waitForReady(page, left());
    }
    await page.goto(target.url(plan.page), { waitUntil: 'commit', timeout: left() });
    for (;;) {
      const s = await videoState(page).catch(() => null); // null while the document is still being replaced
      if (s?.failed) throw new Error(`video: ${s.failed}`);
      if (s?.canplay) break;
      if (Date.now() > deadline) throw new Error(`no canplay within ${plan.timeoutMs} ms`);
      await sleep(POLL_MS);
    }
    const bufferDeadline = Date.now() + plan.bufferMs;
    for (;;) {
      const s = await videoState(page);
      buffered = Number.isFinite(s.duration) && s.duration > 0 ? Math.min(1, s.bufferedSeconds / s.duration) : 0;
      if (buffered >= 0.99 || Date.now() > bufferDeadline) break;
      await sleep(POLL_MS * 2);
    }
    await waitVisitorQuiet(target.origin, visitor.name, QUIET_MS, QUIET_TIMEOUT_MS);
    const clock = await readVideoClock(page, target.video);
    if (peerConnect && !clock.controlled) throw new Error('the video page was not controlled by the worker');
    const use = originVideoUse(target, visitor.name);
    return { ok: true, clock, originBytes: use.bytes, originRequests: use.requests, buffered, wallMs: Date.now() - t0 };
  } catch (err) {
    const use = originVideoUse(target, visitor.name);
    return {
      ok: false,
      error: (err as Error).message.split('\n')[0] ?? 'unknown error',
      clock: null,
      originBytes: use.bytes,
      originRequests: use.requests,
      buffered,
      wallMs: Date.now() - t0,
    };
  }
}
