/**
 * Many fresh visitors at once on two cores: each its own Chromium process (harness
 * `launchVisitor`, fresh profile), with flags that trim what a headless reader does not need,
 * launched and closed a few at a time so start-up does not starve the visitors already running.
 */
import { launchVisitor, type Visitor } from '../../../tests/e2e/harness/browser.ts';

/**
 * - one renderer process per browser: a visitor has one tab, and its service worker runs in that
 *   same site's process anyway;
 * - no extensions, audio, translation or media-router services;
 * - no renderer backgrounding or timer throttling: a seeder's page must answer its peers at once
 *   even when it has not been looked at for a while.
 */
export const LIGHT_FLAGS = [
  '--renderer-process-limit=1',
  '--disable-extensions',
  '--mute-audio',
  '--disable-features=Translate,MediaRouter,OptimizationHints,AutofillServerCommunication',
  '--disable-renderer-backgrounding',
  '--disable-background-timer-throttling',
  '--disable-backgrounding-occluded-windows',
];

/** Launches at most this many Chromium processes at the same moment. */
const LAUNCH_PARALLEL = 4;

async function inBatches<T, R>(items: readonly T[], width: number, work: (item: T) => Promise<R>): Promise<PromiseSettledResult<R>[]> {
  const out: PromiseSettledResult<R>[] = [];
  for (let i = 0; i < items.length; i += width) out.push(...(await Promise.allSettled(items.slice(i, i + width).map(work))));
  return out;
}

export async function launchLight(name: string): Promise<Visitor> {
  return launchVisitor(name, { extraFlags: LIGHT_FLAGS });
}

/** Launches every name, or none: if one launch fails the others are closed and it throws. */
export async function launchMany(names: readonly string[]): Promise<Visitor[]> {
  const settled = await inBatches(names, LAUNCH_PARALLEL, launchLight);
  const ok = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const bad = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (bad) {
    await closeAll(ok);
    throw new Error(`launching ${names.length} browsers: ${String((bad.reason as Error).message ?? bad.reason)}`);
  }
  return ok;
}

/** Closes every visitor (each close is bounded by the harness), a few at a time. */
export async function closeAll(visitors: readonly Visitor[]): Promise<void> {
  await inBatches(visitors, LAUNCH_PARALLEL * 2, (v) => v.close());
}
