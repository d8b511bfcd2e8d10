/**
 * Composed mode in the worker, on Node's EventTarget: the site's fetch listeners run first
 * (sw/site-fetch-listeners.ts), ours only when none answered; and the site's own fetches of
 * manifest assets get our answer (sw/site-fetch.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventsInFlight, siteFetch } from '../../sw/site-fetch.ts';
import { installSiteFetchDispatch, type SiteFetchListeners } from '../../sw/site-fetch-listeners.ts';

class FakeFetchEvent extends Event {
  responded: Array<Promise<Response> | Response> = [];
  constructor(
    readonly request: Request,
    readonly clientId = 'page-1',
  ) {
    super('fetch', { cancelable: true });
  }
  respondWith(response: Promise<Response> | Response): void {
    if (this.responded.length > 0) throw new Error('InvalidStateError: respondWith called twice');
    this.responded.push(response);
  }
}

/** A worker global with the dispatch installed; `log` records who handled each event. */
function worker(): {
  target: EventTarget & { onfetch?: unknown };
  listeners: SiteFetchListeners;
  log: string[];
  errors: unknown[];
  fire(url?: string): FakeFetchEvent;
} {
  const target = new EventTarget() as EventTarget & { onfetch?: unknown };
  const log: string[] = [];
  const errors: unknown[] = [];
  const listeners = installSiteFetchDispatch<FakeFetchEvent>(target, {
    observe: () => log.push('observe'),
    ours: (event) => {
      log.push('ours');
      event.respondWith(new Response('ours'));
    },
    report: (e) => errors.push(e),
  });
  const fire = (url = 'http://site.test/img/a.jpg'): FakeFetchEvent => {
    const event = new FakeFetchEvent(new Request(url));
    target.dispatchEvent(event);
    return event;
  };
  return { target, listeners, log, errors, fire };
}

describe("the site's fetch listeners before ours", () => {
  it('a site listener that answers: ours does not run', () => {
    const w = worker();
    w.target.addEventListener('fetch', (e) => {
      w.log.push('site');
      (e as FakeFetchEvent).respondWith(new Response('site'));
    });
    const event = w.fire();
    assert.deepEqual(w.log, ['observe', 'site']);
    assert.equal(event.responded.length, 1);
  });

  it('site listeners that do not answer: each runs in order, then ours', () => {
    const w = worker();
    w.target.addEventListener('fetch', () => w.log.push('site 1'));
    w.target.addEventListener('fetch', { handleEvent: () => w.log.push('site 2') });
    w.fire();
    assert.deepEqual(w.log, ['observe', 'site 1', 'site 2', 'ours']);
  });

  it('a listener added in a microtask after the first evaluation (as Workbox registers its routes) is called', async () => {
    const w = worker();
    await Promise.resolve().then(() =>
      w.target.addEventListener('fetch', (e) => {
        w.log.push('workbox');
        (e as FakeFetchEvent).respondWith(new Response('cached'));
      }),
    );
    w.fire();
    assert.deepEqual(w.log, ['observe', 'workbox']);
  });

  it('stopImmediatePropagation without an answer: no later listener, and not ours', () => {
    const w = worker();
    w.target.addEventListener('fetch', (e) => {
      w.log.push('stopper');
      e.stopImmediatePropagation();
    });
    w.target.addEventListener('fetch', () => w.log.push('never'));
    const event = w.fire();
    assert.deepEqual(w.log, ['observe', 'stopper']);
    assert.equal(event.responded.length, 0);
  });

  it('preventDefault counts as the site answering (the browser then fails the request)', () => {
    const w = worker();
    w.target.addEventListener('fetch', (e) => e.preventDefault());
    w.fire();
    assert.deepEqual(w.log, ['observe']);
  });

  it('a listener that throws is reported and the next still runs', () => {
    const w = worker();
    w.target.addEventListener('fetch', () => {
      throw new Error('site bug');
    });
    w.fire();
    assert.deepEqual(w.log, ['observe', 'ours']);
    assert.equal((w.errors[0] as Error).message, 'site bug');
  });

  it('once, removeEventListener, duplicates and onfetch follow the DOM', () => {
    const w = worker();
    const twice = (): number => w.log.push('dup');
    w.target.addEventListener('fetch', twice);
    w.target.addEventListener('fetch', twice);
    w.target.addEventListener('fetch', () => w.log.push('once'), { once: true });
    const gone = (): number => w.log.push('gone');
    w.target.addEventListener('fetch', gone);
    w.target.removeEventListener('fetch', gone);
    w.target.onfetch = () => w.log.push('onfetch');
    w.fire();
    assert.deepEqual(w.log, ['observe', 'dup', 'once', 'onfetch', 'ours']);
    w.log.length = 0;
    w.target.onfetch = null;
    assert.equal(w.target.onfetch, null);
    w.fire();
    assert.deepEqual(w.log, ['observe', 'dup', 'ours']);
  });

  it('other event types reach the real EventTarget', () => {
    const w = worker();
    let got = 0;
    w.target.addEventListener('message', () => got++);
    w.target.dispatchEvent(new Event('message'));
    assert.equal(got, 1);
    assert.equal(w.listeners.size, 0);
  });
});

describe("the site's own fetches of manifest assets", () => {
  const setup = () => {
    const network: string[] = [];
    const realFetch = (async (input: RequestInfo | URL) => {
      network.push(input instanceof Request ? input.url : String(input));
      return new Response('network');
    }) as typeof fetch;
    const inFlight = new EventsInFlight<FakeFetchEvent>();
    const answered: Array<{ clientId: string; url: string }> = [];
    const patched = siteFetch(inFlight, {
      realFetch,
      answer: (event, request) => {
        if (!request.url.endsWith('.jpg')) return null;
        answered.push({ clientId: event.clientId, url: request.url });
        return Promise.resolve(new Response('peers'));
      },
    });
    return { network, inFlight, answered, patched };
  };

  it("the event's own request: our answer for that page", async () => {
    const s = setup();
    const event = new FakeFetchEvent(new Request('http://site.test/img/a.jpg'), 'page-7');
    s.inFlight.track(event, new Promise(() => undefined));
    assert.equal(await (await s.patched(event.request)).text(), 'peers');
    assert.deepEqual(s.answered, [{ clientId: 'page-7', url: 'http://site.test/img/a.jpg' }]);
    assert.deepEqual(s.network, []);
  });

  it('a new Request for the URL of an event in flight: that event; after it settled: the network', async () => {
    const s = setup();
    const event = new FakeFetchEvent(new Request('http://site.test/img/b.jpg'), 'page-8');
    let settle: () => void = () => undefined;
    s.inFlight.track(event, new Promise<void>((r) => (settle = r)));
    assert.equal(await (await s.patched('http://site.test/img/b.jpg')).text(), 'peers');
    assert.equal(s.answered[0]?.clientId, 'page-8');
    settle();
    await new Promise((r) => setTimeout(r, 0));
    assert.equal(await (await s.patched('http://site.test/img/b.jpg')).text(), 'network');
  });

  it('no event (a precache at install), not an asset, or not a GET: the network, as given', async () => {
    const s = setup();
    assert.equal(await (await s.patched(new Request('http://site.test/img/c.jpg', { cache: 'reload' }))).text(), 'network');
    const event = new FakeFetchEvent(new Request('http://site.test/page.html'));
    s.inFlight.track(event, new Promise(() => undefined));
    assert.equal(await (await s.patched(event.request)).text(), 'network');
    const post = new FakeFetchEvent(new Request('http://site.test/img/d.jpg', { method: 'POST', body: 'x' }));
    s.inFlight.track(post, new Promise(() => undefined));
    assert.equal(await (await s.patched(post.request)).text(), 'network');
    assert.equal(s.answered.length, 0);
  });
});
