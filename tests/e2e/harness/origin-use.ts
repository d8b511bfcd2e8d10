/**
 * What the origin sent one visitor, by its own count: the yardstick of every offload assertion.
 */
import { WORKER_FILE } from '../../../protocol/bridge-config.ts';
import type { TestSite } from './site.ts';

/** What these need of a site: its origin's records and its manifest. */
type CountedSite = Pick<TestSite, 'origin' | 'manifest'>;

import { waitUntil } from './wait.ts';

export interface OriginUse {
  /** Body bytes of manifest assets the origin sent to this visitor. */
  assetBytes: number;
  /** Of those, bytes of the given keys only. */
  pageAssetBytes: number;
  /** Everything else (HTML, the two scripts, 404s). */
  otherBytes: number;
  requests: number;
  rangeRequests: number;
  byPath: Record<string, { requests: number; bytes: number }>;
  /**
   * Asset bytes of requests the origin had before the visitor's first request for the worker
   * script, when its first page was held for its first visit (`reload`): what Chromium's preload
   * scanner asked for before the page script could stop the document. 0 for any other first page. Counted in the figures above unless
   * `afterHold` was asked for.
   */
  preloadBytes: number;
}

/**
 * Sequence number of the visitor's first request for the worker script, when that request came
 * from a first page held for its first visit: the page asked for again, with nothing but its own
 * requests between (`reload` re-navigates to the same URL). Null otherwise (an `off` or `swap`
 * first page has no preload window: its assets are its own loads).
 */
function holdSeq(site: CountedSite, visitor: string): number | null {
  const requests = site.origin.snapshot({ visitor }).requests;
  const isPage = (path: string): boolean => path.endsWith('/') || path.endsWith('.html');
  const pages = requests.filter((r) => isPage(r.path));
  const [first, second] = pages;
  if (first === undefined || second === undefined || first.path !== second.path) return null;
  const worker = requests.find((r) => r.path.endsWith(`/${WORKER_FILE}`));
  return worker !== undefined && worker.seq > first.seq && worker.seq < second.seq ? worker.seq : null;
}

/**
 * What the origin sent to one visitor, split into manifest assets and the rest.
 *
 * `afterHold`: leave out the preload window (see `OriginUse.preloadBytes`). How much of an image
 * the origin sends before the browser cancels a preload-scanner request is a race between the
 * network and how soon the visitor's CPU runs the page script: on a busy machine (or phone) the
 * whole image can be out before `window.stop()`. Those bytes are a first visit's measured cost
 * (bench/first-visit.ts); what a test of P2P proves is where the page's own loads came from after.
 */
export function originUse(
  site: CountedSite,
  visitor: string,
  pageKeys: Iterable<string> = [],
  opts: { afterHold?: boolean } = {},
): OriginUse {
  const wanted = new Set(pageKeys);
  const held = holdSeq(site, visitor);
  const snap = site.origin.snapshot({ visitor });
  const use: OriginUse = { assetBytes: 0, pageAssetBytes: 0, otherBytes: 0, requests: 0, rangeRequests: 0, byPath: {}, preloadBytes: 0 };
  for (const r of snap.requests) {
    const key = r.path.slice(1);
    if (!(key in site.manifest.assets)) {
      use.otherBytes += r.bodyBytes;
      continue;
    }
    const preload = held !== null && r.seq < held;
    if (preload) use.preloadBytes += r.bodyBytes;
    if (preload && opts.afterHold === true) continue;
    use.assetBytes += r.bodyBytes;
    if (wanted.has(key)) use.pageAssetBytes += r.bodyBytes;
    use.requests++;
    if (r.range !== null) use.rangeRequests++;
    const t = use.byPath[key] ?? { requests: 0, bytes: 0 };
    t.requests++;
    t.bytes += r.bodyBytes;
    use.byPath[key] = t;
  }
  return use;
}

/** Share of `keys`' bytes a visitor did not take from the origin after its first page's hold. */
export function peerShare(site: CountedSite, visitor: string, keys: string[]): { share: number; origin: number; total: number } {
  let total = 0;
  for (const k of new Set(keys)) total += site.manifest.assets[k]?.size ?? 0;
  const origin = originUse(site, visitor, keys, { afterHold: true }).pageAssetBytes;
  return { share: total === 0 ? 0 : 1 - origin / total, origin, total };
}

/**
 * Waits until none of a visitor's origin responses is in flight, twice 500 ms apart (a worker may
 * start an origin fallback right after a page looks complete). A response the browser stopped
 * reading is stalled, not in flight (origin-server.ts `STALL_MS`); one still open past
 * `timeoutMs` is named in the error.
 */
export async function settleVisitor(site: CountedSite, visitor: string, timeoutMs: number): Promise<void> {
  const open = (): string =>
    site.origin
      .snapshot({ visitor })
      .requests.filter((r) => r.finishedAt === null)
      .map(
        (r) => `${r.method} ${r.path} range=${r.range ?? '-'} status=${r.status} sent=${r.bodyBytes} B for ${Date.now() - r.startedAt} ms`,
      )
      .join('; ');
  for (let quiet = 0; quiet < 2; quiet++) {
    await waitUntil(`${visitor}'s origin responses done`, timeoutMs, async () =>
      site.origin.snapshot({ visitor }).inFlight === 0 ? true : undefined,
    ).catch((err: unknown) => {
      throw new Error(`${err instanceof Error ? err.message : String(err)}; still open: ${open()}`);
    });
    await new Promise((r) => setTimeout(r, 500));
  }
}
