/**
 * A hard reload (Ctrl+Shift+R) bypasses the service worker: the page is not controlled and
 * nothing will take control of it. The first-visit swap must not wait for a controller that
 * never comes (it would hold the images back for the whole swap timeout): images go straight
 * to the origin at once, and the page is complete and correct.
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchVisitor, type Visitor } from './harness/browser.ts';
import { checkAssets, describeBad, startSite, stats, type TestSite, viewPage, waitForImages } from './harness/site.ts';

describe('hard reload', () => {
  let site: TestSite | undefined;
  let v: Visitor | undefined;

  before(async () => {
    site = await startSite();
  });
  after(async () => {
    await v?.close();
    await site?.close();
  });

  test('a worker-bypassing reload shows every image without waiting for a controller', { timeout: 60_000 }, async () => {
    assert.ok(site);
    v = await launchVisitor('v1');
    await viewPage(v.page, site, 'index.html');
    assert.equal(await v.page.evaluate(() => Boolean(navigator.serviceWorker.controller)), true, 'controlled before the hard reload');

    const cdp = await v.page.context().newCDPSession(v.page);
    const started = Date.now();
    // ignoreCache is DevTools' "hard reload": the navigation skips the service worker.
    await cdp.send('Page.reload', { ignoreCache: true });
    await v.page.waitForLoadState('load');
    // Not waitForReady: it insists on a controller, which a hard-reloaded page must not have.
    await v.page.waitForFunction(() => Boolean((window as Window & { peerConnect?: unknown }).peerConnect), undefined, { timeout: 10_000 });
    await v.page.evaluate(() => (window as Window & { peerConnect?: { ready: Promise<void> } }).peerConnect?.ready);
    const readyMs = Date.now() - started;
    const images = await waitForImages(v.page, 10_000, 3);
    const controlled = await v.page.evaluate(() => Boolean(navigator.serviceWorker.controller));
    const worker = (await stats(v.page)).worker;
    console.log(`hard reload: controlled=${controlled}, worker ${worker}, ready after ${readyMs} ms, ${images} images complete`);

    assert.equal(controlled, false, 'the hard-reloaded page is not controlled (else this test tests nothing)');
    // 'bypassed', not 'timeout': the swap did not wait for a controller that could never come.
    assert.equal(worker, 'bypassed');
    const keys = ['img/ridge-line-800.jpg', 'img/gallery/old-town-rooftops.jpg'];
    const checks = await checkAssets(v.page, site, keys);
    assert.equal(checks.filter((c) => !c.ok).length, 0, describeBad(checks));
  });
});
