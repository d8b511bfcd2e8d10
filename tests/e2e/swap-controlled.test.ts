/**
 * A `swap` page the worker already controls puts its wrapped images and media back from the
 * page's inline script, not the bridge: the worker knows the page from the inline `page` message,
 * so the elements need not wait for the bridge script (which loads after the page's own scripts),
 * and a bridge that never loads (an extension blocking it, a failed request) no longer leaves the
 * page's images hidden. Proved with the bridge script blocked at the network: every image is
 * shown, byte-exact, and was answered by the worker (Resource Timing's `workerStart`).
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchVisitor, type Visitor } from './harness/browser.ts';
import { expectedImageCount, waitForImages } from './harness/page-view.ts';
import { checkAssets, describeBad, startSite, type TestSite, viewPage } from './harness/site.ts';

describe('a controlled swap page without its bridge', () => {
  let site: TestSite | undefined;
  let v: Visitor | undefined;

  before(async () => {
    site = await startSite({ firstVisit: 'swap' });
  });
  after(async () => {
    await v?.close();
    await site?.close();
  });

  test('the bridge script blocked: every image is put back, shown and served by the worker', { timeout: 60_000 }, async () => {
    assert.ok(site);
    v = await launchVisitor('v1');
    await viewPage(v.page, site, 'index.html'); // the first visit installs the worker
    const cdp = await v.page.context().newCDPSession(v.page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setBlockedURLs', { urls: ['*peer-connect.js*'] });

    const page = 'gallery.html';
    await v.page.goto(site.url(page), { waitUntil: 'load' });
    const state = await v.page.evaluate(async () => ({
      controlled: navigator.serviceWorker.controller !== null,
      bridge: (window as Window & { peerConnect?: unknown }).peerConnect !== undefined,
      // As served: the build wrapped them; the inline script has put them back by now.
      wrapped: ((await (await fetch(location.href)).text()).match(/<noscript data-peer-connect>/g) ?? []).length,
    }));
    assert.equal(state.controlled, true, 'the page is controlled (else this test tests nothing)');
    assert.equal(state.bridge, false, 'the bridge script was blocked (else this test tests nothing)');
    assert.ok(state.wrapped > 0, 'the served page wraps its images (else this test tests nothing)');
    const want = expectedImageCount(site, page);
    assert.ok(want > 0, `${page} has images`);
    const shown = await waitForImages(v.page, 20_000, want);
    assert.equal(
      await v.page.evaluate(() => document.querySelectorAll('noscript[data-peer-connect]').length),
      0,
      `of ${state.wrapped} wrapped elements, none left hidden`,
    );
    const images = await v.page.evaluate(() =>
      Array.from(document.images, (img) => {
        const entry = performance.getEntriesByName(img.currentSrc)[0] as PerformanceResourceTiming | undefined;
        return { src: img.currentSrc, viaWorker: (entry?.workerStart ?? 0) > 0 };
      }),
    );
    const direct = images.filter((i) => !i.viaWorker && new URL(i.src).pathname.startsWith('/img/'));
    assert.deepEqual(direct, [], 'every image went through the worker');
    const keys = images.map((i) => decodeURIComponent(new URL(i.src).pathname.slice(1)));
    const checks = await checkAssets(v.page, site, keys);
    assert.equal(checks.filter((c) => !c.ok).length, 0, describeBad(checks));
    console.log(`swap-controlled: ${shown} images shown without the bridge, ${state.wrapped} were wrapped in the page as served`);
  });
});
