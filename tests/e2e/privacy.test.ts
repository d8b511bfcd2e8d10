/**
 * Issue 11, privacy and consent, in real Chromium. Every visitor's pages run an init script that
 * counts what the page itself constructs (`RTCPeerConnection`, `WebSocket`), the worker's
 * `fetch` asks to the bridge, and every `have` list arriving on a data channel (a wiretap on
 * RTCDataChannel's `onmessage`, which simple-peer sets). The signaling server's own counters
 * (open sockets, joined peers) say what reached it.
 *
 * - `--start manual`: a visit makes no socket and no peer connection, the worker never asks the
 *   bridge (its assets come from the origin, with no deadline waited), until `peerConnect.start()`;
 *   then peers serve.
 * - `peerConnect.stop()` under `--start auto`: P2P torn down, the opt-out stored, and a reload
 *   does not join, until `start()`.
 * - A new link hears `have` only of the assets of the other visitor's current page.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { OPT_OUT_KEY } from '../../page-bridge/consent.ts';
import { launchVisitor, type Visitor } from './harness/browser.ts';
import {
  assetBytes,
  checkAssets,
  describeBad,
  loadedAssets,
  originUse,
  settle,
  startSite,
  stats,
  type TestSite,
  viewPage,
  waitUntil,
} from './harness/site.ts';

/** What the init script counts in one page view. */
interface PageCounts {
  rtc: number;
  ws: number;
  fetchAsks: number;
  /** Every hash announced to this page over a data channel (`have`). */
  haves: string[];
}

const COUNTING = `(() => {
  const counts = { rtc: 0, ws: 0, fetchAsks: 0, haves: [] };
  Object.defineProperty(window, '__pcCounts', { value: counts });
  const wrap = (name, key) => {
    const Original = window[name];
    if (!Original) return;
    window[name] = new Proxy(Original, {
      construct(target, args, newTarget) {
        counts[key]++;
        return Reflect.construct(target, args, newTarget);
      },
    });
  };
  wrap('RTCPeerConnection', 'rtc');
  wrap('WebSocket', 'ws');
  navigator.serviceWorker?.addEventListener('message', (e) => {
    if (e.data && e.data.pc === 'fetch') counts.fetchAsks++;
  });
  const onmessage = Object.getOwnPropertyDescriptor(RTCDataChannel.prototype, 'onmessage');
  Object.defineProperty(RTCDataChannel.prototype, 'onmessage', {
    configurable: true,
    get() { return onmessage.get.call(this); },
    set(handler) {
      onmessage.set.call(this, handler && function (event) {
        const d = event.data;
        if (d instanceof ArrayBuffer && d.byteLength > 1 && new Uint8Array(d)[0] === 1) {
          try {
            const m = JSON.parse(new TextDecoder().decode(new Uint8Array(d, 1)));
            if (m.t === 'have') counts.haves.push(...m.have);
          } catch {}
        }
        return handler.call(this, event);
      });
    },
  });
})();`;

async function countingVisitor(name: string, visitors: Visitor[]): Promise<Visitor> {
  const v = await launchVisitor(name);
  visitors.push(v);
  await v.context.addInitScript({ content: COUNTING });
  return v;
}

const counts = (page: Page): Promise<PageCounts> => page.evaluate(() => (window as unknown as { __pcCounts: PageCounts }).__pcCounts);

type ApiResult = { ok: true; value?: undefined } | { ok: false; code: string; error: string };
const call = (page: Page, method: 'start' | 'stop'): Promise<ApiResult> =>
  page.evaluate((m) => (window as unknown as { peerConnect: Record<'start' | 'stop', () => ApiResult> }).peerConnect[m](), method);

const optOutValue = (page: Page): Promise<string | null> => page.evaluate((key) => localStorage.getItem(key), OPT_OUT_KEY);

function signalStats(site: TestSite): { connections: number; swarms: number; peers: number } {
  if (!site.signal) throw new Error('signaling stopped');
  return site.signal.stats();
}

const waitForSignal = (page: Page, state: 'open' | 'off'): Promise<true> =>
  waitUntil(`signaling ${state} on ${page.url()}`, 15_000, async () => ((await stats(page)).signaling === state ? true : undefined));

describe('--start manual', () => {
  let site: TestSite | undefined;
  const visitors: Visitor[] = [];
  before(async () => {
    site = await startSite({ build: { start: 'manual' } });
  });
  after(async () => {
    for (const v of visitors) await v.close();
    await site?.close();
  });

  test('a visit opens no signaling socket and no RTCPeerConnection, and its assets come from the origin without asking the bridge', async () => {
    assert.ok(site);
    const v1 = await countingVisitor('m1', visitors);
    for (const path of ['index.html', 'gallery.html']) {
      await viewPage(v1.page, site, path);
      await settle(site);
      const c = await counts(v1.page);
      assert.deepEqual({ rtc: c.rtc, ws: c.ws }, { rtc: 0, ws: 0 }, `${path}: the page constructed P2P objects`);
      assert.deepEqual(signalStats(site), { connections: 0, swarms: 0, peers: 0 }, `${path}: the signaling server heard from someone`);
      // The worker never asked this bridge for pieces: no deadline for peers was waited.
      assert.equal(c.fetchAsks, 0, `${path}: the worker asked the bridge ${c.fetchAsks} times`);
      const s = await stats(v1.page);
      assert.deepEqual(
        { p2p: s.p2p, signaling: s.signaling, bytesFromPeers: s.bytesFromPeers },
        { p2p: 'waiting', signaling: 'off', bytesFromPeers: 0 },
        path,
      );
    }
    // Every asset the pages used was sent by the origin, and is right.
    const keys = await loadedAssets(v1.page, site);
    const use = originUse(site, 'm1', keys);
    assert.ok(use.pageAssetBytes >= assetBytes(site, keys), `origin sent ${use.pageAssetBytes} of ${assetBytes(site, keys)} bytes`);
    const checks = await checkAssets(v1.page, site, keys);
    assert.deepEqual(describeBad(checks), '[]');
  });

  test('after peerConnect.start() the page joins and peers serve', async () => {
    assert.ok(site);
    const v1 = visitors[0];
    assert.ok(v1, 'the first test made the seed');
    const galleryKeys = (await loadedAssets(v1.page, site)).filter((k) => k.startsWith('img/'));
    assert.equal((await call(v1.page, 'start')).ok, true);
    await waitForSignal(v1.page, 'open');
    assert.equal((await stats(v1.page)).p2p, 'on');

    const v2 = await countingVisitor('m2', visitors);
    await viewPage(v2.page, site, 'about.html');
    assert.equal((await counts(v2.page)).ws, 0, 'not before start()');
    assert.equal((await call(v2.page, 'start')).ok, true);
    await waitForSignal(v2.page, 'open');
    assert.equal(signalStats(site).peers, 2);
    // The gallery's images, fetched by the page (through the worker, as its own requests go).
    const checks = await checkAssets(v2.page, site, galleryKeys);
    assert.deepEqual(describeBad(checks), '[]');
    const fromPeers = checks.filter((c) => c.source === 'peer').length;
    assert.ok(fromPeers > 0, `no image came from a peer: ${JSON.stringify(checks.map((c) => [c.key, c.source]))}`);
    assert.ok((await stats(v2.page)).bytesFromPeers > 0);
    assert.ok((await counts(v2.page)).rtc > 0);
  });

  test("a consent callback that starts P2P on peerconnect:loaded: the page's own images come from peers", async () => {
    assert.ok(site);
    const v3 = await countingVisitor('m3', visitors);
    await v3.context.addInitScript({
      content: `addEventListener('peerconnect:loaded', () => window.peerConnect.start(), { once: true });`,
    });
    await viewPage(v3.page, site, 'gallery.html');
    const s = await stats(v3.page);
    assert.equal(s.p2p, 'on');
    assert.ok(s.bytesFromPeers > 0, `the page's images came from the origin only: ${JSON.stringify(s)}`);
  });
});

describe('peerConnect.stop() and the stored opt-out (--start auto)', () => {
  let site: TestSite | undefined;
  const visitors: Visitor[] = [];
  before(async () => {
    site = await startSite();
  });
  after(async () => {
    for (const v of visitors) await v.close();
    await site?.close();
  });

  test('stop() tears P2P down, in the other open tabs too, and a reload does not start it, until start()', async () => {
    assert.ok(site);
    const v = await countingVisitor('s1', visitors);
    await viewPage(v.page, site, 'index.html');
    await waitForSignal(v.page, 'open');
    const other = await v.context.newPage();
    await viewPage(other, site, 'about.html');
    await waitForSignal(other, 'open');
    assert.equal(signalStats(site).peers, 2);

    assert.equal((await call(v.page, 'stop')).ok, true);
    const s = await stats(v.page);
    assert.deepEqual({ p2p: s.p2p, signaling: s.signaling, peers: s.peers }, { p2p: 'opted-out', signaling: 'off', peers: 0 });
    // The origin's other open tab heard of the opt-out and stopped as well.
    await waitForSignal(other, 'off');
    assert.equal((await stats(other)).p2p, 'opted-out');
    await waitUntil('the server dropped both tabs', 10_000, async () => (signalStats(site!).connections === 0 ? true : undefined));
    await other.close();
    assert.notEqual(await optOutValue(v.page), null);

    // Later page views of the origin: no socket, no join, no peer connection, no bridge asks.
    for (const path of ['index.html', 'gallery.html']) {
      await viewPage(v.page, site, path);
      await settle(site);
      const c = await counts(v.page);
      assert.deepEqual({ rtc: c.rtc, ws: c.ws, fetchAsks: c.fetchAsks }, { rtc: 0, ws: 0, fetchAsks: 0 }, path);
      assert.equal((await stats(v.page)).p2p, 'opted-out');
      assert.deepEqual(signalStats(site), { connections: 0, swarms: 0, peers: 0 }, `${path}: joined after the opt-out`);
    }
    await v.restart(); // the opt-out is on disk, not in memory
    await v.context.addInitScript({ content: COUNTING });
    await viewPage(v.page, site, 'index.html');
    assert.notEqual(await optOutValue(v.page), null, 'the opt-out survived a browser restart');
    assert.equal((await counts(v.page)).ws, 0);
    assert.equal(signalStats(site).peers, 0);

    // start() takes it back: this page joins, and so does the next one by itself.
    assert.equal((await call(v.page, 'start')).ok, true);
    assert.equal(await optOutValue(v.page), null);
    await waitForSignal(v.page, 'open');
    await viewPage(v.page, site, 'about.html');
    await waitForSignal(v.page, 'open');
    assert.equal((await stats(v.page)).p2p, 'on');
  });
});

describe('have on a new link', () => {
  let site: TestSite | undefined;
  const visitors: Visitor[] = [];
  before(async () => {
    site = await startSite();
  });
  after(async () => {
    for (const v of visitors) await v.close();
    await site?.close();
  });

  test("a new link is told only the assets of the other visitor's current page, not another page's", async () => {
    assert.ok(site);
    const v1 = await countingVisitor('h1', visitors);
    await viewPage(v1.page, site, 'gallery.html');
    const galleryKeys = await loadedAssets(v1.page, site);
    await settle(site);
    // The current page: the visitor's store now holds the gallery's assets too.
    await viewPage(v1.page, site, 'index.html');
    await settle(site);
    const indexKeys = await loadedAssets(v1.page, site);
    await waitForSignal(v1.page, 'open');
    const hashOf = (k: string): string => site!.manifest.assets[k]?.hash ?? '';
    const pageHashes = new Set([...indexKeys, 'img/favicon.png'].map(hashOf));
    const otherPage = galleryKeys.filter((k) => !pageHashes.has(hashOf(k))).map(hashOf);
    assert.ok(otherPage.length >= 3, `the gallery should have assets of its own: ${JSON.stringify(galleryKeys)}`);

    const v2 = await countingVisitor('h2', visitors);
    await viewPage(v2.page, site, 'index.html');
    await settle(site);
    const heard = (await counts(v2.page)).haves;
    assert.ok((await stats(v2.page)).bytesFromPeers > 0, 'v2 got bytes from v1 over a link');
    assert.ok(heard.length > 0, 'v2 heard no have at all');
    const leaked = heard.filter((h) => otherPage.includes(h));
    assert.deepEqual(leaked, [], `v1 told the new link about ${leaked.length} assets of a page it is not on`);
    assert.deepEqual(
      heard.filter((h) => !pageHashes.has(h)),
      [],
      'every have is of an asset of the current page',
    );
  });
});
