/**
 * A site's own `fetch` listeners, run before ours, when our worker is imported into the site's
 * (composed mode: builder/site-worker/). Our code is evaluated first, so it holds the one real
 * `fetch` listener: it calls every listener the site adds (`addEventListener('fetch', …)`, the
 * `onfetch` handler), in the order added, with the real event; only when none of them answered
 * (`respondWith`), cancelled (`preventDefault`) or stopped (`stopImmediatePropagation`) the event
 * does ours run. A listener added later, in a microtask of the first evaluation (Workbox's loader
 * runs its module factory from a promise) or after it, is collected the same way.
 *
 * Rules from DOM §2.7 ("inner invoke"): a listener is added once per (callback, capture); one
 * added during a dispatch is not called in that dispatch, one removed is not called any more;
 * `once` removes it before its call; an exception is reported and the next listener still runs.
 * The handler attribute keeps the place where it was first set (HTML §8.1.8.1).
 */

/** The part of a FetchEvent the dispatcher touches (so Node tests can pass a plain object). */
export interface DispatchedEvent {
  respondWith(response: Promise<Response> | Response): void;
  preventDefault(): void;
  stopImmediatePropagation(): void;
  readonly defaultPrevented: boolean;
}

/** The global the listeners live on: `self` in the worker. */
export interface ListenerTarget {
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void;
}

/** What happened to an event among the site's listeners. */
export type SiteOutcome =
  /** A listener called `respondWith` or `preventDefault`: the site answers. */
  | 'claimed'
  /** A listener called `stopImmediatePropagation` without answering: no later listener, ours included, runs. */
  | 'stopped'
  /** No listener, or none answered: ours may. */
  | 'unclaimed';

interface Entry {
  listener: EventListenerOrEventListenerObject;
  capture: boolean;
  once: boolean;
  removed: boolean;
}

/** The site's fetch listeners, in order. */
export class SiteFetchListeners {
  private entries: Entry[] = [];
  private handler: { entry: Entry; fn: EventListener } | null = null;

  constructor(
    private readonly thisArg: unknown,
    private readonly report: (error: unknown) => void,
  ) {}

  get size(): number {
    return this.entries.length;
  }

  add(listener: EventListenerOrEventListenerObject | null, options?: boolean | AddEventListenerOptions): void {
    if (listener === null) return;
    const capture = typeof options === 'boolean' ? options : options?.capture === true;
    const once = typeof options === 'object' && options?.once === true;
    const signal = typeof options === 'object' ? options?.signal : undefined;
    if (signal?.aborted) return;
    if (this.entries.some((e) => e.listener === listener && e.capture === capture)) return;
    const entry: Entry = { listener, capture, once, removed: false };
    this.entries.push(entry);
    signal?.addEventListener('abort', () => this.drop(entry), { once: true });
  }

  remove(listener: EventListenerOrEventListenerObject | null, options?: boolean | EventListenerOptions): void {
    const capture = typeof options === 'boolean' ? options : options?.capture === true;
    const entry = this.entries.find((e) => e.listener === listener && e.capture === capture);
    if (entry) this.drop(entry);
  }

  /** The `onfetch` attribute: set, replace (same place) or clear (null or a non-function). */
  setHandler(fn: unknown): void {
    if (typeof fn !== 'function') {
      if (this.handler) this.drop(this.handler.entry);
      this.handler = null;
      return;
    }
    if (this.handler) {
      this.handler.fn = fn as EventListener;
      return;
    }
    const slot = { fn: fn as EventListener } as { entry: Entry; fn: EventListener };
    const entry: Entry = { listener: (event: Event) => slot.fn.call(this.thisArg, event), capture: false, once: false, removed: false };
    slot.entry = entry;
    this.handler = slot;
    this.entries.push(entry);
  }

  handlerValue(): EventListener | null {
    return this.handler?.fn ?? null;
  }

  /**
   * Calls the listeners with `event` until one answers or stops it. `respondWith`,
   * `preventDefault` and `stopImmediatePropagation` are watched on this event object only.
   */
  dispatch(event: DispatchedEvent): SiteOutcome {
    if (this.entries.length === 0) return 'unclaimed';
    let claimed = false;
    let stopped = false;
    const respondWith = event.respondWith;
    const stop = event.stopImmediatePropagation;
    const own = (name: string, value: unknown): void => {
      Object.defineProperty(event, name, { value, configurable: true, writable: true });
    };
    own('respondWith', (response: Promise<Response> | Response) => {
      claimed = true;
      respondWith.call(event, response);
    });
    own('stopImmediatePropagation', () => {
      stopped = true;
      stop.call(event);
    });
    for (const entry of [...this.entries]) {
      if (entry.removed) continue;
      if (entry.once) this.drop(entry);
      try {
        const { listener } = entry;
        if (typeof listener === 'function') listener.call(this.thisArg, event as unknown as Event);
        else listener.handleEvent(event as unknown as Event);
      } catch (error) {
        this.report(error);
      }
      if (stopped) break;
    }
    if (claimed || event.defaultPrevented) return 'claimed';
    return stopped ? 'stopped' : 'unclaimed';
  }

  private drop(entry: Entry): void {
    entry.removed = true;
    this.entries = this.entries.filter((e) => e !== entry);
    if (this.handler?.entry === entry) this.handler = null;
  }
}

export interface InstallOptions<E extends DispatchedEvent> {
  /** Runs first for every event, before the site's listeners: facts our worker notes without answering. */
  observe(event: E): void;
  /** Runs when no site listener answered or stopped the event. */
  ours(event: E): void;
  report(error: unknown): void;
}

/**
 * Takes over `fetch` listeners on `target`: from now on `addEventListener('fetch')`,
 * `removeEventListener('fetch')` and `onfetch` go to the returned list, and one real listener
 * (added now, in the first evaluation, so the browser knows the worker handles fetches) runs
 * them, then `ours`. Other event types are untouched.
 */
export function installSiteFetchDispatch<E extends DispatchedEvent>(
  target: ListenerTarget,
  options: InstallOptions<E>,
): SiteFetchListeners {
  const listeners = new SiteFetchListeners(target, options.report);
  const realAdd = target.addEventListener.bind(target);
  const realRemove = target.removeEventListener.bind(target);
  const patched: ListenerTarget = {
    addEventListener(type, listener, opts) {
      if (type === 'fetch') listeners.add(listener, opts);
      else realAdd(type, listener, opts);
    },
    removeEventListener(type, listener, opts) {
      if (type === 'fetch') listeners.remove(listener, opts);
      else realRemove(type, listener, opts);
    },
  };
  Object.defineProperty(target, 'addEventListener', { value: patched.addEventListener, configurable: true, writable: true });
  Object.defineProperty(target, 'removeEventListener', { value: patched.removeEventListener, configurable: true, writable: true });
  Object.defineProperty(target, 'onfetch', {
    get: () => listeners.handlerValue(),
    set: (fn: unknown) => listeners.setHandler(fn),
    configurable: true,
    enumerable: true,
  });
  realAdd('fetch', (event: Event) => {
    const e = event as unknown as E;
    options.observe(e);
    if (listeners.dispatch(e) === 'unclaimed') options.ours(e);
  });
  return listeners;
}
