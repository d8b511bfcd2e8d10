/**
 * The reason PeerConnect exists: once one visitor has a page, the next visitors get its assets
 * from peers, not from the origin. Measured by the origin server's own byte counts per visitor,
 * against the sizes of the manifest assets the visitor's pages actually used.
 */

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchVisitor, type Visitor } from './harness/browser.ts';
import {
  assetBytes,
  checkAssets,
  describeBad,
  originUse,
  pct,
  settle,
  startSite,
  sumStats,
  type TestSite,
  viewPages,
} from './harness/site.ts';

const PAGES = ['index.html', 'gallery.html'];
const MIN_OFFLOAD = 0.9;

describe('offload', () => {
  let site: TestSite | undefined;
  const visitors: Visitor[] = [];
  const measured: Array<{ name: string; total: number; fromOriginByOrigin: number; fromPeersByPage: number; fromOriginByPage: number }> =
    [];

  before(async () => {
    site = await startSite();
  });

  after(async () => {
    for (const v of visitors) await v.close();
    await site?.close();
  });

  test(`visitors 2 and 3 get >= ${pct(MIN_OFFLOAD)} of their pages' asset bytes from peers`, { timeout: 110_000 }, async () => {
    assert.ok(site);
    const v1 = await launchVisitor('v1');
    visitors.push(v1);
    const s1 = await viewPages(v1, site, PAGES);
    await settle(site);
    const total1 = assetBytes(site, s1.keys);
    const use1 = originUse(site, 'v1', s1.keys);
    console.log(
      `offload v1 (first visitor): ${s1.keys.length} assets, ${total1} B; origin sent ${use1.assetBytes} B of assets + ${use1.otherBytes} B other; pages ${s1.pageStats.map((p) => `${p.path} ${p.ms} ms`).join(', ')}`,
    );
    // A first visitor has nobody to ask: if the origin did not send its assets, something else did (a bug in the counting).
    assert.ok(use1.assetBytes >= total1 * 0.9, `first visitor got only ${use1.assetBytes} of ${total1} asset bytes from the origin`);

    // Visitor 1 stays open (it is the seed) while 2 and 3 arrive one after another.
    for (const name of ['v2', 'v3']) {
      const v = await launchVisitor(name);
      visitors.push(v);
      const s = await viewPages(v, site, PAGES);
      await settle(site);
      const total = assetBytes(site, s.keys);
      const use = originUse(site, name, s.keys);
      const offload = 1 - use.assetBytes / total;
      // Through a prefetch on the page before (README "Prefetch through peers"), peer bytes reach a
      // page from the store: the page that uses them counts them as prefetched and used.
      const fromPeers = sumStats(s, 'bytesFromPeers') + sumStats(s, 'bytesPrefetchedUsed');
      console.log(
        `offload ${name}: ${s.keys.length} assets, ${total} B; origin sent ${use.assetBytes} B of assets (${use.requests} requests, ${use.rangeRequests} ranged) + ${use.otherBytes} B other; ` +
          `offload ${pct(offload)}; page counters: fromPeers (and prefetched, used) ${fromPeers}, fromOrigin ${sumStats(s, 'bytesFromOrigin')}, fromCache ${sumStats(s, 'bytesFromCache')}, failures ${sumStats(s, 'failures')}; ` +
          `pages ${s.pageStats.map((p) => `${p.path} ${p.ms} ms`).join(', ')}; origin by path ${JSON.stringify(use.byPath)}`,
      );
      // Kept for the counters test below (a separate test, so a counting bug does not read as an offload failure).
      measured.push({
        name,
        total,
        fromOriginByOrigin: use.assetBytes,
        fromPeersByPage: fromPeers,
        fromOriginByPage: sumStats(s, 'bytesFromOrigin'),
      });
      // The page must really have used the site's images, or the ratio below means nothing.
      assert.ok(s.keys.length >= 5 && total > 500_000, `${name} used only ${s.keys.length} assets / ${total} B: ${JSON.stringify(s.keys)}`);
      assert.ok(
        offload >= MIN_OFFLOAD,
        `${name}: origin sent ${use.assetBytes} of ${total} asset bytes (offload ${pct(offload)} < ${pct(MIN_OFFLOAD)}); by path ${JSON.stringify(use.byPath)}\n${v.dump(30)}`,
      );
      const checks = await checkAssets(v.page, site, s.keys);
      assert.equal(checks.filter((c) => !c.ok).length, 0, `${name}: assets differing from disk: ${describeBad(checks)}`);
      // Every asset answered by our worker (the header says where from).
      const unsourced = checks.filter((c) => c.source === null).map((c) => c.key);
      assert.deepEqual(unsourced, [], `${name}: responses without x-peer-connect-source`);
    }
    const uploaded = await v1.page.evaluate(
      () => (window as Window & { peerConnect?: { stats(): { bytesUploaded: number } } }).peerConnect?.stats().bytesUploaded ?? 0,
    );
    console.log(`offload v1 uploaded ${uploaded} B (gallery tab's counter)`);
    for (const v of visitors)
      if (v.errors.length)
        console.log(`${v.name} console errors:\n${v.errors.map((e) => `  ${e.type}: ${e.text.slice(0, 300)}`).join('\n')}`);
  });

  test("the pages' own counters agree with the origin's counts", async () => {
    assert.equal(measured.length, 2, 'the offload test did not measure both visitors');
    for (const m of measured) {
      // Bytes the origin did not send must show up as bytes from peers in the bridge's counters
      // (within 10%: the counters of a page are read when the visitor leaves it).
      const peerBytes = m.total - m.fromOriginByOrigin;
      // The favicon goes through the worker too (from peers or cache, depending on timing), but
      // the browser's icon fetch is not in the page's resource timing, so it is not in `total`.
      const favicon = site?.manifest.assets['img/favicon.png']?.size ?? 0;
      assert.ok(
        m.fromPeersByPage >= peerBytes * 0.9 && m.fromPeersByPage <= m.total + favicon,
        `${m.name}: page counters say ${m.fromPeersByPage} B from peers; the origin's counts imply ${peerBytes} B (of ${m.total})`,
      );
    }
  });
});
