/**
 * Issue 13, step 3: a first visitor's stylesheet, scripts and font load from the origin before its
 * worker controls the page, so they were never in the swarm. Once the worker controls the page
 * the bridge names them and the worker reads them back from the HTTP cache only, verifies, stores
 * and announces them: the signaling server lists this visitor as their holder, and the origin
 * sent each of them to it no more than once.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchVisitor, type Visitor } from './harness/browser.ts';
import { originUse, settle, startSite, storedDigests, type TestSite, viewPages, waitUntilSeeding } from './harness/site.ts';

/** Loaded by the page's head, before the worker controls a first visit (`swap`: images only wait for it). */
const HEAD_ASSETS = ['css/site.css', 'fonts/inter-latin-400-normal.woff2'];
/** Long past a first visit's worker install here (about 200 ms quiet, under a second loaded). */
const FONT_DELAY_MS = 2_000;

describe('seed what the page already has', () => {
  let site: TestSite | undefined;
  let v: Visitor | undefined;

  before(async () => {
    site = await startSite();
  });

  after(async () => {
    await v?.close();
    await site?.close();
  });

  test("a first visit's head assets, loaded before the worker, are stored and announced from the HTTP cache", {
    timeout: 120_000,
  }, async () => {
    assert.ok(site);
    v = await launchVisitor('seeder');
    await viewPages(v, site, ['index.html']);
    await waitUntilSeeding(site, HEAD_ASSETS, 30_000);
    await settle(site);
    const digests = await storedDigests(v.page);
    const use = originUse(site, 'seeder');
    for (const key of HEAD_ASSETS) {
      const asset = site.manifest.assets[key];
      assert.ok(asset, `${key} is not an asset`);
      assert.ok(`a:${asset.hash}` in digests, `${key} is not stored complete`);
      const sent = use.byPath[key]?.bytes ?? 0;
      console.log(`seed: ${key}: stored and announced; the origin sent it ${sent} B (size ${asset.size})`);
      assert.ok(sent <= asset.size, `the origin sent ${key} more than once (${sent} B): it was fetched again, not read from the cache`);
    }
  });
});

describe('seed a load still in flight when the worker takes control', () => {
  let site: TestSite | undefined;
  let v: Visitor | undefined;
  const FONT = 'fonts/inter-latin-400-normal.woff2';

  before(async () => {
    // The font's answer comes FONT_DELAY_MS late: the page asks for it before its worker controls
    // it (`swap` holds images only), and on this machine the worker is welcomed well before the
    // font's response ends, so the welcome's listing of the page's loads does not have it yet. A
    // resource timing entry exists only once its response has ended. (CI found this: a font that
    // ended 25 ms after the welcome was never seeded.)
    site = await startSite({ origin: { delayFor: (path) => (path === `/${FONT}` ? FONT_DELAY_MS : 0) } });
  });

  after(async () => {
    await v?.close();
    await site?.close();
  });

  test('a font whose response ends after the welcome is seeded from the HTTP cache all the same', { timeout: 120_000 }, async () => {
    assert.ok(site);
    v = await launchVisitor('late-font');
    await viewPages(v, site, ['index.html']);
    await waitUntilSeeding(site, [FONT], 30_000);
    await settle(site);
    const asset = site.manifest.assets[FONT];
    assert.ok(asset);
    assert.ok(`a:${asset.hash}` in (await storedDigests(v.page)), `${FONT} is not stored complete`);
    const sent = originUse(site, 'late-font').byPath[FONT]?.bytes ?? 0;
    console.log(`seed/late: ${FONT}: stored and announced; the origin sent it ${sent} B (size ${asset.size})`);
    assert.ok(sent <= asset.size, `the origin sent ${FONT} more than once (${sent} B)`);
  });
});
