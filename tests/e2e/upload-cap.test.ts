/**
 * Issue 15: the build's `--upload-cap <per page view>/<per day>`. A lone seed stops uploading at
 * its page view's cap (the newcomer takes the rest from the origin, by the origin's count), and
 * its next page view uploads only what is left of the day, counted in localStorage.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { UPLOADED_TODAY_KEY } from '../../page-bridge/steering/upload-cap.ts';
import { PIECE_SIZE } from '../../protocol/limits.ts';
import { launchVisitor, type Visitor } from './harness/browser.ts';
import { assetBytes, originUse, settle, startSite, stats, type TestSite, viewPages } from './harness/site.ts';

const PER_PAGE_VIEW = 4 * PIECE_SIZE;
const PER_DAY = 6 * PIECE_SIZE;
const PAGES = ['gallery.html'];

describe('the upload cap', () => {
  let site: TestSite | undefined;
  const visitors: Visitor[] = [];

  before(async () => {
    site = await startSite({ build: { uploadCap: { perPageView: PER_PAGE_VIEW, perDay: PER_DAY } } });
  });

  after(async () => {
    for (const v of visitors) await v.close();
    await site?.close();
  });

  test('a visitor stops uploading at its cap per page view, then per day', { timeout: 180_000 }, async () => {
    assert.ok(site);
    const s = site;
    const [v1, v2] = [await launchVisitor('v1'), await launchVisitor('v2')];
    visitors.push(v1, v2);
    await viewPages(v1, s, PAGES);
    await settle(s);
    const s2 = await viewPages(v2, s, PAGES);
    await settle(s);
    const firstView = (await stats(v1.page)).bytesUploaded;
    const total = assetBytes(s, s2.keys);
    const fromOrigin = originUse(s, 'v2', s2.keys).pageAssetBytes;
    console.log(`cap: v1's page view uploaded ${firstView} B (cap ${PER_PAGE_VIEW}); v2 used ${total} B, the origin sent ${fromOrigin} B`);
    assert.ok(total > 2 * PER_PAGE_VIEW, 'the newcomer needed more than the cap');
    assert.ok(firstView <= PER_PAGE_VIEW, `uploaded ${firstView} B past the page view's cap`);
    assert.ok(firstView > PER_PAGE_VIEW - 2 * PIECE_SIZE, `stopped early: ${firstView} B`);
    assert.ok(fromOrigin >= total - PER_PAGE_VIEW, 'the rest came from the origin');

    // A new page view of v1: only what is left of the day (v2, uncapped by v1's day, also seeds).
    await viewPages(v1, s, PAGES);
    const v3 = await launchVisitor('v3');
    visitors.push(v3);
    await viewPages(v3, s, PAGES);
    await settle(s);
    const secondView = (await stats(v1.page)).bytesUploaded;
    const day = await v1.page.evaluate((key) => localStorage.getItem(key), UPLOADED_TODAY_KEY);
    const dayBytes = Number((JSON.parse(day ?? '{}') as { bytes?: number }).bytes);
    console.log(`cap: v1's second page view uploaded ${secondView} B; the day's count ${day} (cap ${PER_DAY})`);
    assert.ok(secondView <= PER_DAY - firstView, `second view uploaded ${secondView} B past the day's rest`);
    assert.equal(dayBytes, firstView + secondView, 'the day counts both page views');
    assert.ok(dayBytes <= PER_DAY);
  });
});
