/**
 * Handing over to a newer worker after a deploy.
 *
 * The worker asks the browser to look for a newer worker script when it learns the site was
 * redeployed (the origin served another version of an asset, or a page of another build showed
 * up). The new worker installs and skips waiting; until it is active this one passes the affected
 * requests to the network. Throttled: a burst of mismatches is one check.
 *
 * Chromium activates a worker that skipped waiting only once the old one is idle: `skipWaiting()`
 * asks the running old worker to stop as soon as it has no event, but an event that restarts it
 * (a request from a page it still controls) puts it back on its 30 s idle timer, and new pages
 * then get no P2P for that long (measured: 44 s). So while a newer worker waits, every event the
 * old one handles asks the new one to call `skipWaiting()` again, which renews that request.
 * Inside a site's own worker (composed mode, sw/index.ts) a new worker skips waiting only when the
 * site's code says so, and a nudge renews that only then; the update check itself still runs.
 */
import { SELF_UPDATE_MIN_INTERVAL_MS } from '../protocol/limits.ts';

declare const self: ServiceWorkerGlobalScope;

/** Worker → worker, to a waiting worker of the same registration. */
export const SKIP_WAITING = { pc: 'skip-waiting' } as const;

export const isSkipWaiting = (data: unknown): boolean =>
  typeof data === 'object' && data !== null && (data as { pc?: unknown }).pc === SKIP_WAITING.pc;

let lastCheck = -Infinity;

export function requestSelfUpdate(now = Date.now()): void {
  if (now - lastCheck < SELF_UPDATE_MIN_INTERVAL_MS) return;
  lastCheck = now;
  // A failed check (offline) changes nothing: the next mismatch asks again.
  self.registration.update().catch(() => undefined);
}

/**
 * Called on every event this worker handles: when a newer worker waits, ask it to skip waiting.
 * Not throttled: any event may be the one that restarted this worker after its last stop.
 */
export function nudgeSuccessor(): void {
  self.registration.waiting?.postMessage(SKIP_WAITING);
}
