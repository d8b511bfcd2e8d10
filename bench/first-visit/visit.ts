/**
 * One visitor opens a page and waits as a reader would: until the page the visitor ends up on is
 * final (for PeerConnect: the worker controls it and first-visit elements are in; for a `reload`
 * page, `auto`'s usual pick, that is the reloaded document) and every image is complete and decoded.
 */
import type { Page } from 'playwright-core';
import type { Visitor } from '../../tests/e2e/harness/browser.ts';
import { stats, waitForImages, waitForReady } from '../../tests/e2e/harness/site.ts';
import { installPageClock, type PageTimes, readPageTimes, waitForLcp, waitForServedReports } from './page-clock.ts';

/** `auto`: the product's default (the build picks `reload` or `off` per page). */
export type Variant = 'plain' | 'auto' | 'swap' | 'reload' | 'off';

export interface VisitResult extends PageTimes {
  /**
   * The bridge's `bytesFromPeers` on the final page (0 for the plain origin). After a `reload`
   * first visit it misses what the held document's bridge fetched: `peerBytes` (every served
   * event of the tab, summed in sessionStorage) is the one to use.
   */
  finalPagePeerBytes: number;
}

/** A `reload` page navigates while we wait on it; each navigation costs one retry. */
const MAX_NAVIGATIONS = 3;
/** Bounds the wait for the worker's reports, which only feed the timeline table. */
const SERVED_REPORT_WAIT_MS = 2_000;
/** Bounds the wait for the final document's LCP entry (it comes after paint); without one, LCP is '–'. */
const LCP_WAIT_MS = 3_000;

async function waitForFinalPage(page: Page, variant: Variant, deadline: number): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const left = Math.max(1_000, deadline - Date.now());
    try {
      if (variant !== 'plain') await waitForReady(page, left);
      await page.waitForLoadState('load', { timeout: left });
      return;
    } catch (err) {
      // "Execution context was destroyed" and friends: the page reloaded under us; wait on the new one.
      if (attempt >= MAX_NAVIGATIONS || Date.now() > deadline) throw err;
      await page.waitForLoadState('domcontentloaded', { timeout: left }).catch(() => undefined);
    }
  }
}

export async function visitPage(
  visitor: Visitor,
  url: string,
  variant: Variant,
  minImages: number,
  timeoutMs: number,
): Promise<VisitResult> {
  const deadline = Date.now() + timeoutMs;
  await installPageClock(visitor.context);
  const page = visitor.page;
  await page.goto(url, { waitUntil: 'commit', timeout: timeoutMs });
  await waitForFinalPage(page, variant, deadline);
  await waitForImages(page, Math.max(1_000, deadline - Date.now()), minImages);
  if (variant !== 'plain') await waitForServedReports(page, SERVED_REPORT_WAIT_MS);
  await waitForLcp(page, LCP_WAIT_MS);
  const times = await readPageTimes(page);
  const finalPagePeerBytes = variant === 'plain' ? 0 : (await stats(page)).bytesFromPeers;
  return { ...times, finalPagePeerBytes };
}
