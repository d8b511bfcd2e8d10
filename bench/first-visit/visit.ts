/**
 * One visitor opens the home page and waits as a reader would: until the page the visitor ends
 * up on is final (for PeerConnect: the worker controls it and first-visit elements are in; for
 * `reload` that is the reloaded document) and every image is complete and decoded.
 */
import type { Page } from 'playwright-core';
import type { Visitor } from '../../tests/e2e/harness/browser.ts';
import { stats, waitForImages, waitForReady } from '../../tests/e2e/harness/site.ts';
import { installPageClock, type PageTimes, readPageTimes, waitForServedReports } from './page-clock.ts';

export type Variant = 'swap' | 'reload' | 'off' | 'plain';

export interface VisitResult extends PageTimes {
  /** The bridge's counter on the final page (0 for the plain origin). */
  peerBytes: number;
}

/** A `reload`-mode page navigates while we wait on it; each navigation costs one retry. */
const MAX_NAVIGATIONS = 3;
/** Bounds the wait for the worker's reports, which only feed the timeline table. */
const SERVED_REPORT_WAIT_MS = 2_000;

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

export async function visitHomePage(
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
  const times = await readPageTimes(page);
  const peerBytes = variant === 'plain' ? 0 : (await stats(page)).bytesFromPeers;
  return { ...times, peerBytes };
}
