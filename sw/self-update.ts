/**
 * The worker asks the browser to look for a newer worker script when it learns the site was
 * redeployed (the origin served another version of an asset, or a page of another build showed
 * up). The new worker installs, skips waiting and claims the open windows; until then this one
 * passes the affected requests to the network. Throttled: a burst of mismatches is one check.
 */
import { SELF_UPDATE_MIN_INTERVAL_MS } from '../protocol/limits.ts';

declare const self: ServiceWorkerGlobalScope;

let last = -Infinity;

export function requestSelfUpdate(now = Date.now()): void {
  if (now - last < SELF_UPDATE_MIN_INTERVAL_MS) return;
  last = now;
  // A failed check (offline) changes nothing: the next mismatch asks again.
  self.registration.update().catch(() => undefined);
}
