/**
 * The site's own network fetches, in composed mode: a site handler that goes to the network for a
 * manifest asset (Workbox's CacheFirst / StaleWhileRevalidate runtime caching, a hand-written
 * `fetch(event.request)`) gets our verified answer (stored pieces, peers, the origin), so a site
 * that caches its images itself still takes them from peers. Everything else goes to the
 * network as asked, through the fetch the worker had before any site code ran.
 *
 * Which page asked: the FetchEvent whose request the site passes on (by object identity; Workbox
 * hands `event.request` itself to `fetch`), else an event being answered for the same URL (a site
 * that built a new Request from it). A fetch tied to no event (Workbox's precache at install, a
 * fetch from a `message` handler) has no page and no bridge: the network.
 */

export interface FetchEventLike {
  readonly request: Request;
  readonly clientId: string;
}

export interface SiteFetchOptions<E extends FetchEventLike> {
  /** The fetch from before any site code ran. */
  realFetch: typeof fetch;
  /** Our answer to `request` made for `event`'s page, or null to leave it to the network. */
  answer(event: E, request: Request): Promise<Response> | null;
}

/** Events being answered: by their request object, and by URL for the site's own copies. */
export class EventsInFlight<E extends FetchEventLike> {
  private readonly byRequest = new WeakMap<Request, E>();
  private readonly byUrl = new Map<string, E[]>();

  /** Notes `event` until `settled` resolves (its response, or at once when nobody answers it). */
  track(event: E, settled: Promise<unknown>): void {
    this.byRequest.set(event.request, event);
    const url = event.request.url;
    const list = this.byUrl.get(url) ?? [];
    list.push(event);
    this.byUrl.set(url, list);
    const forget = (): void => {
      const left = (this.byUrl.get(url) ?? []).filter((e) => e !== event);
      if (left.length > 0) this.byUrl.set(url, left);
      else this.byUrl.delete(url);
    };
    settled.then(forget, forget);
  }

  /** The event `request` belongs to: itself, else the latest one in flight for its URL. */
  eventOf(request: Request): E | null {
    return this.byRequest.get(request) ?? this.byUrl.get(request.url)?.at(-1) ?? null;
  }
}

/**
 * A `fetch` that answers the site's GET requests for manifest assets as our fetch handler would
 * (the same rules: sw/request-policy.ts), and passes everything else to `realFetch` untouched.
 * A request with an `init` is taken only when that init cannot carry a body; it is then made into
 * one Request, so its cache mode and headers are judged as the network would see them.
 */
export function siteFetch<E extends FetchEventLike>(inFlight: EventsInFlight<E>, options: SiteFetchOptions<E>): typeof fetch {
  const { realFetch } = options;
  return (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = ownRequest(input, init);
    if (request === null) return realFetch(input, init);
    const event = inFlight.eventOf(request);
    const answered = event === null ? null : options.answer(event, request);
    // Passed as given: the Request made here would be a second copy of the same request.
    return answered ?? realFetch(input, init);
  };
}

/** The request as one GET Request object, or null when it is not a GET or making it could consume a body. */
function ownRequest(input: RequestInfo | URL, init: RequestInit | undefined): Request | null {
  if (input instanceof Request) {
    if (init !== undefined && Object.keys(init).length > 0) return null;
    return input.method === 'GET' ? input : null;
  }
  if (init?.body !== undefined && init.body !== null) return null;
  if (init?.method !== undefined && init.method.toUpperCase() !== 'GET') return null;
  try {
    return new Request(input, init);
  } catch {
    return null;
  }
}
