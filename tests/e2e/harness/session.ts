/**
 * A visitor's session: the bridge's counters, pages viewed in turn with what each used, waiting
 * for a new deploy's worker to take over and for the origin to be quiet before counting.
 */
import type { Page } from 'playwright-core';
import type { Visitor } from './browser.ts';
import type { PcWindow, PeerConnectStats } from './page-api.ts';
import { loadedAssets, viewPage } from './page-view.ts';
import type { TestSite } from './site.ts';
import { waitUntil } from './wait.ts';

export async function stats(page: Page): Promise<PeerConnectStats> {
  const s = await page.evaluate(() => (window as PcWindow).peerConnect?.stats() ?? null);
  if (s === null) throw new Error(`window.peerConnect missing on ${page.url()}`);
  return s;
}

/**
 * The bridge's counters once they stop moving (the worker reports bytes as responses finish,
 * which can be a little after the image decodes): two equal samples 300 ms apart, or the last
 * sample after 3 s.
 */
export async function settledStats(page: Page): Promise<PeerConnectStats> {
  let prev = await stats(page);
  const deadline = Date.now() + 3_000;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 300));
    const next = await stats(page);
    if (JSON.stringify(next) === JSON.stringify(prev)) return next;
    prev = next;
  }
  return prev;
}

/**
 * Waits until the worker of build `build` controls `page` (its bridge's `workerBuild`). Chromium
 * activates a worker that skipped waiting once the old one is idle, and otherwise at the next
 * navigation of the origin (measured: an idle tab could wait over 120 s); so if it has not taken
 * over within `quietMs`, the visitor opens another page of the site in a second tab, as a real one
 * soon would, and the new worker then claims every tab.
 */
export async function waitForTakeover(
  visitor: Visitor,
  site: TestSite,
  page: Page,
  build: string,
  quietMs = 8_000,
): Promise<'idle' | 'navigation'> {
  const taken = async (): Promise<true | undefined> => ((await stats(page).catch(() => null))?.workerBuild === build ? true : undefined);
  try {
    await waitUntil('the new worker took over', quietMs, taken);
    return 'idle';
  } catch {
    const other = await visitor.context.newPage();
    try {
      await other.goto(site.url('index.html'), { waitUntil: 'load' });
      await waitUntil('the new worker took over after a navigation', 30_000, taken);
    } finally {
      await other.close();
    }
    return 'navigation';
  }
}

/** Percent with one decimal, for the printed notes. */
export const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

export interface Session {
  /** Union of manifest assets the pages used. */
  keys: string[];
  /** Bridge counters of each page as it was left (counters are per page). */
  pageStats: Array<{ path: string; stats: PeerConnectStats; ms: number }>;
}

/** The visitor views each page in turn in its main tab, each until complete. */
export async function viewPages(visitor: Visitor, site: TestSite, paths: string[], perPageMs = 30_000): Promise<Session> {
  const keys = new Set<string>();
  const pageStats: Session['pageStats'] = [];
  for (const path of paths) {
    const t0 = Date.now();
    if (visitor.page.isClosed()) visitor.page = await visitor.context.newPage();
    try {
      await viewPage(visitor.page, site, path, perPageMs);
    } catch (err) {
      throw new Error(`${visitor.name} viewing ${path}: ${(err as Error).message}\n${visitor.dump()}`);
    }
    const ms = Date.now() - t0;
    for (const k of await loadedAssets(visitor.page, site)) keys.add(k);
    pageStats.push({ path, stats: await settledStats(visitor.page), ms });
  }
  return { keys: [...keys].sort(), pageStats };
}

/**
 * Lets in-flight work finish before counting: the origin must have no response in flight, twice,
 * some time apart (a worker may start an origin fallback right after a page looks complete).
 */
export async function settle(site: TestSite, quietMs = 500): Promise<void> {
  await site.origin.idle(15_000);
  await new Promise((r) => setTimeout(r, quietMs));
  await site.origin.idle(15_000);
}

/** Sums one counter over a session's pages. */
export const sumStats = (
  s: Session,
  key: 'bytesFromPeers' | 'bytesFromOrigin' | 'bytesFromCache' | 'bytesUploaded' | 'failures' | 'badPieces' | 'bytesPrefetchedUsed',
): number => s.pageStats.reduce((n, p) => n + p.stats[key], 0);
