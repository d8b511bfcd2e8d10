/**
 * Which of this page's loads the worker may seed from the HTTP cache (issue 13, sw/seed-cached.ts):
 * same-origin resources that did not go through a service worker (`workerStart` 0: loaded before
 * the worker controlled the page, as on a first visit). The worker keeps the manifest assets among
 * them and reads those from the HTTP cache only, never the network.
 *
 * A resource timing entry exists only once its response has ended (Resource Timing §4.3), so a
 * load still in flight when the worker takes control (a web font, which the browser asks for only
 * once text is laid out) is not in the first listing: SeedList hands on later entries too.
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

/**
 * The seed candidates of one page view, each URL handed on once: the entries listed when the worker
 * first welcomed the page, then each entry that ends later (a PerformanceObserver's). At most
 * MAX_SEED_URLS per page view in all, as in one `seed` message.
 */
export class SeedList {
  private readonly sent = new Set<string>();

  constructor(private readonly origin: string) {}

  /** The candidates among `entries` not handed on before (possibly none). */
  take(entries: readonly ResourceEntry[]): string[] {
    const room = MAX_SEED_URLS - this.sent.size;
    if (room <= 0) return [];
    const fresh = seedCandidates(entries, this.origin)
      .filter((u) => !this.sent.has(u))
      .slice(0, room);
    for (const u of fresh) this.sent.add(u);
    return fresh;
  }
}
