/**
 * Prefetch through peers (issue 14): once a page has loaded, the bridge has the worker gather the
 * assets of the pages it links to from peers only, and the next navigation is served from the
 * store. Proved by the origin's own count of what it sent each visitor (originUse), never by time:
 * - visitor 1 seeds A (index.html) and B (gallery.html); visitor 2 opens A, its prefetch takes
 *   B's assets from peers with zero origin bytes for them, and its navigation to B gets none of
 *   them from the origin either;
 * - with `navigator.connection.saveData` nothing is prefetched;
 * - the pages no peer holds (about.html, media.html, posts/…): nothing of theirs is asked of the
 *   origin by the prefetch.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { launchVisitor, type Visitor } from './harness/browser.ts';
import { SAVE_DATA_SCRIPT } from './harness/save-data.ts';
import {
  checkAssets,
  describeBad,
  loadedAssets,
  originUse,
  type PeerConnectStats,
  settleVisitor,
  startSite,
  stats,
  type TestSite,
  viewPage,
  viewPages,
  waitUntil,
} from './harness/site.ts';

const A = 'index.html';
const B = 'gallery.html';
const STEP_MS = 60_000;

/** Waits until the page's prefetch has ended (done, or skipped with a reason). */
async function prefetchEnded(page: Page): Promise<PeerConnectStats> {
  return waitUntil(`prefetch ended on ${page.url()}`, STEP_MS, async () => {
    const s = await stats(page);
    return ['pending', 'planning', 'running'].includes(s.prefetch) ? undefined : s;
  });
}

/** Assets named by `page` per the build's list (what the prefetch reads), by key. */
async function listedAssets(site: TestSite, page: string): Promise<string[]> {
  const { pageAssetsFileForPage, decodePageAssets } = await import('../../protocol/page-assets.ts');
  const { readFile } = await import('node:fs/promises');
  const { join } = await import('node:path');
  const text = await readFile(join(site.outDir, pageAssetsFileForPage(page)), 'utf8');
  const list = decodePageAssets(text);
  assert.ok(list.ok, `${page}'s list does not decode`);
  return list.value.assets.map((a) => a.key);
}

describe('prefetch through peers', () => {
  let site: TestSite | undefined;
  let seeder: Visitor | undefined;
  let visitors: Visitor[] = [];
  /** Assets B uses that A does not: only B's own view, or a prefetch, can have fetched them. */
  let bOnly: string[] = [];
  /** Assets of the linked pages nobody seeds (not A's, not B's). */
  let unseeded: string[] = [];

  before(async () => {
    site = await startSite();
    seeder = await launchVisitor('seed');
    const s = await viewPages(seeder, site, [A, B]);
    await settleVisitor(site, 'seed', STEP_MS);
    const aKeys = new Set(await listedAssets(site, A));
    bOnly = (await listedAssets(site, B)).filter((k) => !aKeys.has(k));
    const seeded = new Set([...s.keys, ...aKeys]);
    const others = ['about.html', 'media.html', 'posts/first-light.html'];
    unseeded = [...new Set((await Promise.all(others.map((p) => listedAssets(site!, p)))).flat())].filter((k) => !seeded.has(k));
    assert.ok(bOnly.length >= 5, `B has only ${bOnly.length} assets of its own`);
    assert.ok(unseeded.length >= 1, 'every linked page is seeded: the no-holder case would not be tested');
  });

  afterEach(async () => {
    for (const v of visitors) await v.close();
    visitors = [];
  });

  after(async () => {
    await seeder?.close();
    await site?.close();
  });

  test("visitor 2's prefetch on A takes B's assets from peers only, and B is then served without the origin", {
    timeout: 180_000,
  }, async () => {
    assert.ok(site);
    const v2 = await launchVisitor('v2');
    visitors.push(v2);
    await viewPage(v2.page, site, A, STEP_MS);
    const onA = await prefetchEnded(v2.page);
    await settleVisitor(site, 'v2', STEP_MS);
    const afterPrefetch = originUse(site, 'v2', bOnly);
    const bOnlyBytes = bOnly.reduce((n, k) => n + (site!.manifest.assets[k]?.size ?? 0), 0);
    console.log(
      `prefetch on A: state ${onA.prefetch}, ${onA.bytesPrefetched} B prefetched; B's own ${bOnly.length} assets weigh ${bOnlyBytes} B; ` +
        `origin sent v2 ${afterPrefetch.pageAssetBytes} B of them, ${originUse(site, 'v2', unseeded).pageAssetBytes} B of the ${unseeded.length} unseeded pages' assets`,
    );
    assert.equal(onA.prefetch, 'done', `prefetch did not run: ${onA.prefetch}\n${v2.dump(30)}`);
    assert.ok(onA.prefetchAsked >= bOnly.length + unseeded.length, `asked for ${onA.prefetchAsked} assets only`);
    assert.equal(afterPrefetch.pageAssetBytes, 0, `the origin sent B's assets during A: ${JSON.stringify(afterPrefetch.byPath)}`);
    assert.ok(onA.bytesPrefetched >= bOnlyBytes, `prefetched ${onA.bytesPrefetched} B, B's own assets are ${bOnlyBytes} B`);
    assert.equal(originUse(site, 'v2', unseeded).pageAssetBytes, 0, 'the prefetch asked the origin for assets no peer holds');

    await viewPage(v2.page, site, B, STEP_MS);
    const onB = await prefetchEnded(v2.page);
    await settleVisitor(site, 'v2', STEP_MS);
    const afterB = originUse(site, 'v2', bOnly);
    const usedOnB = (await loadedAssets(v2.page, site)).filter((k) => bOnly.includes(k));
    console.log(
      `navigation to B: origin sent ${afterB.pageAssetBytes} B of B's own assets; cache ${onB.bytesFromCache} B, peers ${onB.bytesFromPeers} B; ` +
        `prefetched and used ${onB.bytesPrefetchedUsed} B, unused ${onB.bytesPrefetchedUnused} B (of ${onA.bytesPrefetched} B)`,
    );
    assert.equal(afterB.pageAssetBytes, 0, `the origin sent B's assets at the navigation: ${JSON.stringify(afterB.byPath)}`);
    assert.ok(usedOnB.length >= 5, `B used only ${usedOnB.length} of its own assets`);
    assert.ok(onB.bytesPrefetchedUsed > 0, 'no prefetched byte counted as used on B');
    assert.equal(onB.bytesPrefetchedUsed + onB.bytesPrefetchedUnused, onA.bytesPrefetched, 'used + unused is not what was prefetched');
    const checks = await checkAssets(v2.page, site, usedOnB);
    assert.equal(checks.filter((c) => !c.ok).length, 0, describeBad(checks));
  });

  test('with saveData nothing is prefetched', { timeout: 120_000 }, async () => {
    assert.ok(site);
    const v3 = await launchVisitor('v3');
    visitors.push(v3);
    await v3.context.addInitScript({ content: SAVE_DATA_SCRIPT });
    await viewPage(v3.page, site, A, STEP_MS);
    const onA = await prefetchEnded(v3.page);
    await settleVisitor(site, 'v3', STEP_MS);
    const stored = await storedOf(v3.page, site, bOnly);
    console.log(`saveData: prefetch ${onA.prefetch}, ${onA.bytesPrefetched} B; B's own assets stored: ${stored}`);
    assert.equal(onA.prefetch, 'save-data');
    assert.equal(onA.bytesPrefetched, 0);
    assert.equal(stored, 0, "B's assets are in v3's store without B being viewed");
    assert.equal(originUse(site, 'v3', bOnly).pageAssetBytes, 0);
  });

  // Last: it closes the seeder.
  test('with no peer holding them, the prefetch takes nothing and asks the origin for nothing', { timeout: 120_000 }, async () => {
    assert.ok(site && seeder);
    await seeder.close();
    const v4 = await launchVisitor('v4');
    visitors.push(v4);
    await viewPage(v4.page, site, A, STEP_MS);
    const onA = await prefetchEnded(v4.page);
    await settleVisitor(site, 'v4', STEP_MS);
    const use = originUse(site, 'v4', [...bOnly, ...unseeded]);
    console.log(
      `no holders: prefetch ${onA.prefetch}, asked ${onA.prefetchAsked} assets, ${onA.bytesPrefetched} B; origin sent ${use.pageAssetBytes} B of them`,
    );
    assert.equal(onA.prefetch, 'done');
    assert.ok(onA.prefetchAsked >= bOnly.length + unseeded.length, `asked for ${onA.prefetchAsked} assets only`);
    assert.equal(onA.bytesPrefetched, 0);
    assert.equal(use.pageAssetBytes, 0, `the origin sent linked pages' assets: ${JSON.stringify(use.byPath)}`);
  });
});

/** How many of `keys` have at least one piece in the page's worker store. */
async function storedOf(page: Page, site: TestSite, keys: string[]): Promise<number> {
  const hashes = keys.map((k) => site.manifest.assets[k]?.hash ?? '');
  return page.evaluate(async (wanted: string[]) => {
    const db = await new Promise<IDBDatabase>((resolve, reject) => {
      const req = indexedDB.open('peer-connect');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    const all = await new Promise<IDBValidKey[]>((resolve, reject) => {
      const req = db.transaction('pieces').objectStore('pieces').getAllKeys();
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    db.close();
    const held = new Set(
      all
        .map(String)
        .filter((k) => k.startsWith('p:'))
        .map((k) => k.split(':')[1]),
    );
    return wanted.filter((h) => held.has(h)).length;
  }, hashes);
}
