/**
 * Stored pieces outlive the tab: after visitor 1's browser comes back (same profile, so the same
 * IndexedDB and worker registration, but nothing in memory), it seeds what it stored, including
 * assets of pages it is not showing now. Visitor 2 must then get >= 90% of its bytes from peers.
 *
 * "Reload" here is the strongest form: the whole browser process is closed (so the original tab
 * is gone) and a new one starts on the same profile, so only what the browser persisted can
 * explain the seeding; a new tab in the same process could still be fed by a live worker.
 * The plain reload of the same tab (same process) is tested too.
 */

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { launchVisitor, type Visitor } from './harness/browser.ts';
import {
  assetBytes,
  checkAssets,
  describeBad,
  originUse,
  pct,
  settle,
  startSite,
  stats,
  storedCounts,
  sumStats,
  type TestSite,
  viewPages,
  waitForReady,
  waitUntil,
} from './harness/site.ts';

const PAGES = ['index.html', 'gallery.html'];
const MIN_OFFLOAD = 0.9;

describe('reseed after reload', () => {
  let site: TestSite | undefined;
  let visitors: Visitor[] = [];

  before(async () => {
    site = await startSite();
  });

  // Each test's visitors leave the swarm before the next test, so only its own seed can serve.
  afterEach(async () => {
    for (const v of visitors) await v.close();
    visitors = [];
  });

  after(async () => {
    await site?.close();
  });

  test(`a reloaded browser seeds its stored pieces: visitor 2 gets >= ${pct(MIN_OFFLOAD)} from peers`, { timeout: 110_000 }, async () => {
    assert.ok(site);
    const v1 = await launchVisitor('v1');
    visitors.push(v1);
    const s1 = await viewPages(v1, site, PAGES);
    await settle(site);
    const storedBefore = await storedCounts(v1.page);

    await v1.restart();
    assert.equal(v1.context.pages().length, 1, 'only the new tab exists after the restart');
    site.origin.reset();
    await v1.open(site.url('index.html'));
    await waitForReady(v1.page, 20_000);
    await settle(site);
    const storedAfter = await storedCounts(v1.page);
    const reloadUse = originUse(site, 'v1');
    const v1Stats = await waitUntil('restarted v1 connects to signaling', 5_000, async () => {
      const s = await stats(v1.page);
      return s.signaling === 'open' ? s : undefined;
    }).catch(() => stats(v1.page));
    console.log(
      `reseed: v1 stored ${storedBefore.pieces} pieces / ${storedBefore.assets} assets before restart, ${storedAfter.pieces} / ${storedAfter.assets} after; ` +
        `reloaded index.html took ${reloadUse.assetBytes} B of assets from origin; v1 stats ${JSON.stringify(v1Stats)}`,
    );
    assert.ok(storedAfter.pieces >= storedBefore.pieces && storedBefore.pieces > 0, 'pieces did not survive the restart');
    assert.equal(v1Stats.signaling, 'open', 'reloaded v1 is not connected to signaling');

    const v2 = await launchVisitor('v2');
    visitors.push(v2);
    const s2 = await viewPages(v2, site, PAGES);
    await settle(site);
    const total = assetBytes(site, s2.keys);
    const use = originUse(site, 'v2', s2.keys);
    const offload = 1 - use.assetBytes / total;
    const uploaded = (await stats(v1.page)).bytesUploaded;
    console.log(
      `reseed: v2 ${s2.keys.length} assets, ${total} B; origin sent ${use.assetBytes} B of assets; offload ${pct(offload)}; ` +
        `v2 fromPeers ${sumStats(s2, 'bytesFromPeers')}; reloaded v1 uploaded ${uploaded} B; v1 first session used ${assetBytes(site, s1.keys)} B`,
    );
    assert.ok(s2.keys.length >= 5 && total > 500_000, `v2 used only ${s2.keys.length} assets / ${total} B`);
    assert.ok(
      offload >= MIN_OFFLOAD,
      `offload ${pct(offload)}: origin sent ${use.assetBytes} of ${total} B; by path ${JSON.stringify(use.byPath)}\n${v2.dump(30)}`,
    );
    // gallery.html's images are not on v1's current page: only its stored pieces can have served them.
    assert.ok(uploaded >= total * MIN_OFFLOAD * 0.9, `reloaded v1 uploaded only ${uploaded} B`);
    const checks = await checkAssets(v2.page, site, s2.keys);
    assert.equal(checks.filter((c) => !c.ok).length, 0, describeBad(checks));
  });
  test(`a reloaded tab (same process) seeds too: visitor 2 gets >= ${pct(MIN_OFFLOAD)} from peers`, { timeout: 100_000 }, async () => {
    assert.ok(site);
    const r1 = await launchVisitor('r1');
    visitors.push(r1);
    await viewPages(r1, site, PAGES);
    const before = await stats(r1.page);
    await r1.reload();
    await waitForReady(r1.page, 20_000);
    assert.equal(r1.context.pages().length, 1, 'one tab');
    // `ready` is about the worker, not the swarm: give the signaling socket a bounded moment.
    const after = await waitUntil('reloaded r1 connects to signaling', 5_000, async () => {
      const s = await stats(r1.page);
      return s.signaling === 'open' ? s : undefined;
    });

    const r2 = await launchVisitor('r2');
    visitors.push(r2);
    const s2 = await viewPages(r2, site, PAGES);
    await settle(site);
    const total = assetBytes(site, s2.keys);
    const use = originUse(site, 'r2', s2.keys);
    const offload = 1 - use.assetBytes / total;
    const uploaded = (await stats(r1.page)).bytesUploaded;
    console.log(
      `reseed (tab reload): r1 peer id ${before.peerId} -> ${after.peerId}; r2 ${total} B, origin sent ${use.assetBytes} B of assets; offload ${pct(offload)}; reloaded r1 uploaded ${uploaded} B`,
    );
    assert.ok(total > 500_000, `r2 used only ${total} B`);
    assert.ok(
      offload >= MIN_OFFLOAD,
      `offload ${pct(offload)}: origin sent ${use.assetBytes} of ${total} B; by path ${JSON.stringify(use.byPath)}\n${r2.dump(30)}`,
    );
    assert.ok(uploaded >= total * MIN_OFFLOAD * 0.9, `reloaded r1 uploaded only ${uploaded} B`);
    const checks = await checkAssets(r2.page, site, s2.keys);
    assert.equal(checks.filter((c) => !c.ok).length, 0, describeBad(checks));
  });
});
