/**
 * Which worker of the site PeerConnect composes with, from the registrations found in its
 * scripts (find-registrations.ts) and the owner's `--site-worker`, or why it cannot. Pure.
 *
 * The rules, and the message for each refusal (each says what to do):
 * - no registration and no `--site-worker`: none (our own worker, as for any site);
 * - a call the build cannot resolve, and no `--site-worker`: `unresolved`;
 * - two different worker URLs: `overlapping` when their scopes overlap (a browser gives a scope
 *   one worker: they would replace each other), else `several` (we compose with one);
 * - one worker registered with different scopes or options: `mixed-options`;
 * - the worker (found or named) is not a file of the site: `missing` (checked for every call
 *   before `overlapping`, `several` and `mixed-options`: a call for a missing file registers nothing);
 * - a worker URL on another origin: `cross-origin`;
 * - `--site-worker` naming a file while the scripts register another: `not-registered`.
 * A scope above the worker's folder needs the `Service-Worker-Allowed` header (Service Workers
 * §"Update", step "maxScopeString"): a warning unless the site's `_headers` or `.htaccess` sets it,
 * not a refusal, since the build cannot see a host's own configuration (nginx, a CDN rule), and
 * without it the site's own registration fails the same way.
 */
import { WORKER_FILE, type WorkerRegistration } from '../../protocol/bridge-config.ts';
import { fail, ok, type Result } from '../../protocol/result.ts';
import type { FoundRegistration, WorkerType } from './find-registrations.ts';

export type SiteWorkerCode = 'unresolved' | 'overlapping' | 'several' | 'mixed-options' | 'missing' | 'cross-origin' | 'not-registered';

export interface SiteWorkerPlan {
  /** The worker's file, site-relative and decoded (`sw.js`, `js/sw.js`). */
  path: string;
  /** How every page registers it (relative to the site's root). */
  registration: WorkerRegistration;
  warnings: string[];
}

export interface ChooseInput {
  found: readonly FoundRegistration[];
  /** `--site-worker`, site-relative (`sw.js`, `/js/sw.js`), or null. */
  named: string | null;
  /** The stand-in origin the site's root is at (`http://site.invalid/`). */
  siteOrigin: string;
  hasFile(path: string): boolean;
  /** The worker's type when no call says (read from its file: a module when it parses only as one). */
  typeOf(path: string): WorkerType;
  /** True when the site's host configuration sets `Service-Worker-Allowed`. */
  sendsServiceWorkerAllowed: boolean;
}

export function chooseSiteWorker(input: ChooseInput): Result<SiteWorkerPlan | null, SiteWorkerCode> {
  const root = new URL('/', input.siteOrigin);
  const at = (f: FoundRegistration): string => `${f.where}:${f.line}`;
  // Our own worker, registered by an earlier build's output, is not the site's.
  const found = input.found.filter((f) => f.script === null || f.script.pathname !== `/${WORKER_FILE}`);
  const unresolved = found.filter((f) => f.unresolved !== null);
  const resolved = found.filter((f) => f.unresolved === null && f.script !== null);
  const named = input.named === null ? null : input.named.replace(/^\.?\//, '');

  for (const f of resolved) {
    if (f.script?.origin !== root.origin) {
      return fail(
        `${at(f)} registers a service worker on another origin (${f.script?.href}), which browsers refuse; fix or remove that call`,
        'cross-origin',
      );
    }
  }
  if (unresolved.length > 0 && named === null) {
    const first = unresolved[0] as FoundRegistration;
    return fail(
      `${at(first)} registers a service worker, but ${first.unresolved}; pass --site-worker <path of the worker file in the site>, ` +
        "so PeerConnect composes with it instead of replacing it (pages then register that file with its folder as the scope: the site's call must register the same)",
      'unresolved',
    );
  }
  // A call for a file the site does not have fails in the browser and replaces nothing: say that,
  // not that two workers fight (a relative URL in a script shared by pages in two folders).
  for (const f of resolved) {
    const path = decodePath((f.script as URL).pathname);
    if (!input.hasFile(path)) {
      return fail(
        `${at(f)} registers the service worker ${path}, but the site has no such file; add it to the site or fix the call`,
        'missing',
      );
    }
  }
  const byUrl = new Map<string, FoundRegistration[]>();
  for (const f of resolved) {
    const key = (f.script as URL).href;
    byUrl.set(key, [...(byUrl.get(key) ?? []), f]);
  }
  if (byUrl.size > 1) {
    const [a, b] = [...byUrl.values()].map((list) => list[0] as FoundRegistration);
    if (a === undefined || b === undefined) return ok(null);
    const overlap = scopesOverlap(scopeOf(a), scopeOf(b));
    return fail(
      overlap
        ? `${at(a)} registers ${pathOf(a.script as URL)} and ${at(b)} registers ${pathOf(b.script as URL)} for overlapping scopes ` +
            `(${scopeOf(a).pathname}, ${scopeOf(b).pathname}): a browser keeps one worker per scope, so they replace each other. ` +
            'Register one worker for the site (merge them), then build again'
        : `${at(a)} and ${at(b)} register two workers (${pathOf(a.script as URL)}, ${pathOf(b.script as URL)}); PeerConnect composes ` +
            'with one site worker: register one, or pass --site-worker to name the one to compose with and remove the other call',
      overlap ? 'overlapping' : 'several',
    );
  }
  const calls = [...byUrl.values()][0] ?? [];
  const first = calls[0];
  for (const f of calls.slice(1)) {
    if (first === undefined) break;
    const same =
      scopeOf(f).href === scopeOf(first).href && f.type === first.type && (f.updateViaCache ?? null) === (first.updateViaCache ?? null);
    if (!same) {
      return fail(
        `${at(first)} and ${at(f)} register ${pathOf(first.script as URL)} with different scopes or options; ` +
          'every page must register it the same way (one registration), so make the calls the same',
        'mixed-options',
      );
    }
  }
  if (first === undefined && named === null) return ok(null);

  const path = first !== undefined ? decodePath((first.script as URL).pathname) : (named as string);
  if (named !== null && decodePath(new URL(encodeURI(named), root).pathname) !== path) {
    return fail(
      `--site-worker ${named} is not the worker the site registers (${at(first as FoundRegistration)} registers ${path}); ` +
        'name that file, or change the call',
      'not-registered',
    );
  }
  if (!input.hasFile(path)) {
    return fail(
      first !== undefined
        ? `${at(first)} registers the service worker ${path}, but the site has no such file; add it to the site or fix the call`
        : `--site-worker ${named}: the site has no such file (the path is relative to the site's folder)`,
      'missing',
    );
  }
  const script = first?.script ?? new URL(encodeURI(path), root);
  const scope = first !== undefined ? scopeOf(first) : new URL('./', script);
  const registration: WorkerRegistration = {
    url: script.href.slice(root.href.length),
    scope: scope.pathname.slice(1) || './',
    type: first?.type ?? input.typeOf(path),
    updateViaCache: first?.updateViaCache ?? null,
  };
  const warnings: string[] = [];
  const folder = new URL('./', script).pathname;
  if (!scope.pathname.startsWith(folder) && !input.sendsServiceWorkerAllowed) {
    warnings.push(
      `the service worker ${path} is registered for scope ${scope.pathname}, above its folder ${folder}: browsers allow that only ` +
        `with a "Service-Worker-Allowed: ${scope.pathname}" response header on ${path}, which the site's _headers/.htaccess do not set; ` +
        'make sure the host sends it, or move the worker into the scope',
    );
  }
  return ok({ path, registration, warnings });
}

/** The scope a call registers: its `scope`, else the script's folder (the default, Service Workers §3.4.3). */
const scopeOf = (f: FoundRegistration): URL => f.scope ?? new URL('./', f.script as URL);

const scopesOverlap = (a: URL, b: URL): boolean => a.href.startsWith(b.href) || b.href.startsWith(a.href);

const pathOf = (url: URL): string => decodePath(url.pathname);

function decodePath(pathname: string): string {
  try {
    return decodeURIComponent(pathname.slice(1));
  } catch {
    return pathname.slice(1);
  }
}
