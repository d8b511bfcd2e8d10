/**
 * Which of this page's loads the worker may seed from the HTTP cache (issue 13, sw/seed-cached.ts):
 * same-origin resources that did not go through a service worker (`workerStart` 0: loaded before
 * the worker controlled the page, as on a first visit). The worker keeps the manifest assets among
 * them and reads those from the HTTP cache only, never the network.
 */
import { MAX_SEED_URL_CHARS, MAX_SEED_URLS } from '../protocol/bridge-messages.ts';

/** The fields of a PerformanceResourceTiming this reads. */
export interface ResourceEntry {
  name: string;
  workerStart: number;
}

export function seedCandidates(entries: readonly ResourceEntry[], origin: string): string[] {
  const urls = new Set<string>();
  for (const e of entries) {
    if (e.workerStart > 0 || e.name.length > MAX_SEED_URL_CHARS) continue;
    let url: URL;
    try {
      url = new URL(e.name);
    } catch {
      continue;
    }
    if (url.origin !== origin || url.search !== '') continue;
    urls.add(url.href);
    if (urls.size >= MAX_SEED_URLS) break;
  }
  return [...urls];
}
