/**
 * Prefetch through peers, the I/O (the policy is policy.ts, the accounting ledger.ts): once the
 * page has loaded and the main thread is idle, read the asset lists of the pages the document
 * links to (small JSON files from the origin: protocol/page-assets.ts), choose what to take
 * within the budget, and ask the worker to gather it from peers only (sw/prefetch.ts). What comes
 * is verified and stored by the worker as a page request's pieces are; the next navigation is
 * then served from IndexedDB. Nothing here ever asks the origin for an asset.
 */
import { decodePrefetchReply, type PrefetchReply } from '../../protocol/bridge-messages.ts';
import { PREFETCH_IDLE_TIMEOUT_MS, PREFETCH_MAX_PAGES } from '../../protocol/limits.ts';
import { decodePageAssets, type PageAssets } from '../../protocol/page-assets.ts';
import type { StatsBoard } from '../stats.ts';
import { linkedPageFiles, type PrefetchConditions, planPrefetch, prefetchSkip } from './policy.ts';

export interface PrefetchRun {
  /** Resolves once the worker controls the page (or cannot) and a first visit's elements are back (peerConnect.ready). */
  ready: Promise<void>;
  /** The bridge script's URL: its folder is the site's root, where `peer-connect-pages/` is. */
  base: URL;
  budgetBytes: number;
  /** Read when the page is idle, and again just before the worker is asked. */
  conditions(): Omit<PrefetchConditions, 'budgetBytes'>;
  /** Whether this tab's store holds every piece of `hash` (the worker's `a:` records, as the bridge knows them). */
  held(hash: string): boolean;
  /** Resolves true once the signaling socket is joined (holders can be found), false if not within `ms`. */
  signalOpen(ms: number): Promise<boolean>;
  /** The previous page view's prefetch had this page's load to be used: what is left counts unused (ledger.ts). */
  settleLedger(): void;
  /** This page view prefetched `bytes` of `hash` (ledger.ts). */
  record(hash: string, bytes: number): void;
  stats: StatsBoard;
}

/** How long an idle page waits for its signaling socket before giving up on prefetching. */
const SIGNAL_WAIT_MS = 10_000;

/**
 * Runs once per page view: after the load event, the worker's control (a first visit's swapped
 * images start then) and an idle period. Never throws.
 */
export async function prefetchWhenIdle(run: PrefetchRun): Promise<void> {
  const { stats } = run;
  await loaded();
  await run.ready.catch(() => undefined);
  await idle();
  run.settleLedger();
  const conditions = (): PrefetchConditions => ({ ...run.conditions(), budgetBytes: run.budgetBytes });
  const skip = prefetchSkip(conditions());
  if (skip) return stats.set('prefetch', skip);
  stats.set('prefetch', 'planning');
  const files = linkedPageFiles(
    [...document.links].map((a) => a.href),
    location.href,
    new URL('./', run.base).href,
    PREFETCH_MAX_PAGES,
  );
  const lists = (await Promise.all(files.map((candidates) => readList(run.base, candidates)))).filter((l) => l !== null);
  const plan = planPrefetch(lists, run.held, run.budgetBytes);
  if (plan.keys.length === 0) return stats.set('prefetch', 'nothing');
  const open = await run.signalOpen(SIGNAL_WAIT_MS);
  // Things change while we read: the visitor may have stopped P2P, the site switched it off.
  const late = prefetchSkip(conditions());
  if (late || !open) return stats.set('prefetch', late ?? 'p2p-off');
  const controller = navigator.serviceWorker?.controller;
  if (!controller) return stats.set('prefetch', 'no-worker');
  stats.set('prefetchAsked', plan.keys.length);
  stats.set('prefetch', 'running');
  await askWorker(controller, plan.keys, (reply) => {
    // Counted piece by piece: a navigation mid-asset leaves the pieces stored so far in the store.
    if (reply.pc !== 'prefetch-stored') return;
    stats.add('bytesPrefetched', reply.bytes);
    run.record(reply.hash, reply.bytes);
  });
  stats.set('prefetch', 'done');
}

/** The first of `candidates` (list files of one linked page) the origin has, decoded; null if none. */
async function readList(base: URL, candidates: readonly string[]): Promise<PageAssets | null> {
  for (const file of candidates) {
    try {
      const response = await fetch(new URL(file, base), { credentials: 'same-origin' });
      if (!response.ok) continue;
      const list = decodePageAssets(await response.text());
      if (list.ok) return list.value;
    } catch {
      // Offline, or the site's CSP refuses it: this page is not prefetched.
    }
  }
  return null;
}

/** Posts `prefetch` to the worker and calls `onReply` per answer; resolves at `prefetch-done` (or if the worker goes). */
function askWorker(worker: ServiceWorker, keys: string[], onReply: (r: PrefetchReply) => void): Promise<void> {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    const finish = (): void => {
      channel.port1.close();
      navigator.serviceWorker?.removeEventListener('controllerchange', finish);
      resolve();
    };
    channel.port1.onmessage = (event: MessageEvent) => {
      const reply = decodePrefetchReply(event.data);
      if (!reply.ok) return;
      onReply(reply.value);
      if (reply.value.pc === 'prefetch-done') finish();
    };
    // A new worker took over (a deploy): the old one's answers may never come.
    navigator.serviceWorker?.addEventListener('controllerchange', finish);
    worker.postMessage({ pc: 'prefetch', keys }, [channel.port2]);
  });
}

function loaded(): Promise<void> {
  if (document.readyState === 'complete') return Promise.resolve();
  return new Promise((resolve) => window.addEventListener('load', () => resolve(), { once: true }));
}

/** The next idle period (requestIdleCallback; Safari has none: the next task after a short delay). */
function idle(): Promise<void> {
  return new Promise((resolve) => {
    if (typeof window.requestIdleCallback === 'function')
      window.requestIdleCallback(() => resolve(), { timeout: PREFETCH_IDLE_TIMEOUT_MS });
    else setTimeout(resolve, 200);
  });
}
