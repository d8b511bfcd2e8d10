/**
 * Which requests the worker answers and which it leaves to the network untouched. Pure: the
 * fetch handler gathers the facts, this decides, so every rule is unit-tested in Node.
 *
 * The worker answers only when it can give the page exactly the version of the file the page's
 * own build listed. Everything else goes to the network as the page made it, which is always
 * correct: the origin's current file, or its own refusal.
 */

export interface RequestFacts {
  method: string;
  mode: RequestMode;
  /** `Request.cache`: how the page asked the HTTP cache to behave. */
  cache: RequestCache;
  /** The request's headers (names lower-case, as `Headers` gives them). */
  headers: { has(name: string): boolean; get(name: string): string | null };
  /** The manifest knows this URL (a key exists and is an asset). */
  isAsset: boolean;
  /** This worker saw the origin serve another version of this asset. */
  assetChanged: boolean;
  /**
   * The build of the page that made the request: a build id, `null` for a page that said hello
   * without one (an older bridge), `undefined` when the worker does not know the page yet.
   */
  pageBuild: string | null | undefined;
  workerBuild: string;
}

export type PassReason =
  | 'not-get'
  | 'navigation'
  | 'not-an-asset'
  /** The page demands a copy fresh from the network (RFC 9111 §5.2.1, Fetch's cache modes). */
  | 'fresh-copy'
  /** Credentials the origin checks per request: only the origin may answer them. */
  | 'authorization'
  /** A validator from an earlier origin response that only the origin can evaluate (RFC 9110 §13.1.5). */
  | 'conditional'
  | 'asset-changed'
  /** A page this worker has not heard from: it may be of another build (see below). */
  | 'unknown-page'
  | 'other-build';

export type Verdict = { serve: true } | { serve: false; reason: PassReason };

/** Cache modes by which a page asks for a copy that no cache (ours included) may supply. */
const FRESH_MODES: ReadonlySet<RequestCache> = new Set<RequestCache>(['reload', 'no-store', 'no-cache']);

/**
 * Decides one request.
 * - A page of another build than this worker's never gets this worker's bytes: right after a
 *   deploy the old worker still controls new pages, and their files may have changed. Its
 *   requests pass until the worker that matches it takes over (and then an old page passes).
 * - A page the worker has not heard from yet (its bridge script's request names its build; its
 *   bridge's hello does too) passes: this covers pages with no bridge at all (a 404 page, HTML
 *   not named `.html`), which therefore never wait for one.
 */
export function decide(f: RequestFacts): Verdict {
  const pass = (reason: PassReason): Verdict => ({ serve: false, reason });
  if (f.method !== 'GET') return pass('not-get');
  if (f.mode === 'navigate') return pass('navigation');
  if (!f.isAsset) return pass('not-an-asset');
  if (FRESH_MODES.has(f.cache) || demandsFresh(f.headers)) return pass('fresh-copy');
  if (f.headers.has('authorization')) return pass('authorization');
  if (f.headers.has('if-range') || f.headers.has('if-match') || f.headers.has('if-unmodified-since')) return pass('conditional');
  if (f.assetChanged) return pass('asset-changed');
  if (f.pageBuild === undefined) return pass('unknown-page');
  if (f.pageBuild !== f.workerBuild) return pass('other-build');
  return { serve: true };
}

/** `Cache-Control: no-cache`/`no-store`/`max-age=0` or `Pragma: no-cache` set by the page's own fetch(). */
function demandsFresh(headers: RequestFacts['headers']): boolean {
  const cc = (headers.get('cache-control') ?? '').toLowerCase();
  if (/(^|,)\s*(no-cache|no-store|max-age\s*=\s*0)\s*(,|$)/.test(cc)) return true;
  return /(^|,)\s*no-cache\s*(,|$)/.test((headers.get('pragma') ?? '').toLowerCase());
}
