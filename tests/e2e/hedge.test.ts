/**
 * Issue 14's request path in a real browser, proven by the origin's own byte counts and by every
 * byte matching the file on disk (never by time):
 * - "No peers, no detour": a first visitor with nobody to ask gets each image from the network as
 *   the page asked for it (no Range request of the worker's), stores it while it streams through,
 *   and seeds it: a second visitor takes those images from the first.
 * - Hedging: a holder that sends some pieces at once and the rest late: the newcomer's worker asks
 *   the origin for what the peer still owes while the peer keeps sending; whichever copy comes
 *   first, every image is byte-exact.
 * - The LCP candidates the build marks (the first large image, `fetchpriority="high"`): asked of
 *   the origin at once, as the page made the request, even with a peer online that holds them;
 *   the page's other images still come from that peer.
 */
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import { launchVisitor, type Visitor } from './harness/browser.ts';
import {
  FOUR_IMAGES,
  FOUR_PAGE,
  fourImageSite,
  HERO_MARKED,
  HERO_PAGE,
  type LatePeer,
  startLatePeer,
  viewUntilAsked,
} from './harness/late-peer.ts';
import {
  assetBytes,
  checkAssets,
  describeBad,
  originUse,
  settle,
  storedCounts,
  sumStats,
  type TestSite,
  viewPages,
  waitUntilSeeding,
} from './harness/site.ts';

const IMAGES = FOUR_IMAGES;
const PAGE = FOUR_PAGE;

describe('no peers, no detour', () => {
  let site: TestSite | undefined;
  let dir = '';
  const visitors: Visitor[] = [];

  before(async () => {
    ({ site, dir } = await fourImageSite('pc-e2e-direct-'));
  });

  after(async () => {
    for (const v of visitors) await v.close();
    await site?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('visitor 1 alone gets the images from the network as the page asked, stores them, and visitor 2 takes them from it', {
    timeout: 180_000,
  }, async () => {
    assert.ok(site);
    const v1 = await launchVisitor('alone');
    visitors.push(v1);
    // One view, its first visit: under `swap` its images are asked once the worker controls it.
    // (A second view right away could find an image's copy still being stored, and fetch the
    // missing pieces in Range runs beside the stored ones.)
    const s1 = await viewPages(v1, site, [PAGE], 60_000);
    await settle(site);
    const total = assetBytes(site, IMAGES);
    const use1 = originUse(site, 'alone', IMAGES);
    const imageRequests = site.origin.snapshot({ visitor: 'alone' }).requests.filter((r) => IMAGES.includes(r.path.slice(1)));
    console.log(
      `direct: alone: images ${total} B; origin sent ${use1.pageAssetBytes} B in ${imageRequests.length} requests (${imageRequests.filter((r) => r.range !== null).length} ranged); ` +
        `page counters: ${sumStats(s1, 'bytesFromOrigin')} B origin, ${sumStats(s1, 'bytesFromCache')} B cache, ${sumStats(s1, 'bytesFromPeers')} B peers`,
    );
    assert.ok(use1.pageAssetBytes >= total, `the origin sent ${use1.pageAssetBytes} of ${total} B to the only visitor`);
    assert.deepEqual(
      imageRequests.filter((r) => r.range !== null).map((r) => `${r.path} ${r.range}`),
      [],
      "no Range request of the worker's: each image went to the network as the page made it",
    );
    const checks1 = await checkAssets(v1.page, site, IMAGES);
    assert.equal(checks1.filter((c) => !c.ok).length, 0, describeBad(checks1));
    const stored = await storedCounts(v1.page);
    assert.ok(stored.assets >= IMAGES.length, `visitor 1 stored ${stored.assets} whole assets`);
    await waitUntilSeeding(site, IMAGES);

    const v2 = await launchVisitor('second');
    visitors.push(v2);
    const s2 = await viewPages(v2, site, [PAGE], 60_000);
    await settle(site);
    const use2 = originUse(site, 'second', IMAGES);
    console.log(
      `direct: second: origin sent ${use2.pageAssetBytes} of ${total} B of the images; page counters ${sumStats(s2, 'bytesFromPeers')} B from peers`,
    );
    const checks2 = await checkAssets(v2.page, site, IMAGES);
    assert.equal(checks2.filter((c) => !c.ok).length, 0, describeBad(checks2));
    assert.ok(sumStats(s2, 'bytesFromPeers') > 0, 'visitor 2 took nothing from visitor 1');
    assert.ok(use2.pageAssetBytes < total * 0.5, `the origin still sent ${use2.pageAssetBytes} of ${total} B to visitor 2`);
  });
});

describe('a hedged request', () => {
  let site: TestSite | undefined;
  let dir = '';
  let holder: LatePeer | undefined;
  const visitors: Visitor[] = [];

  before(async () => {
    ({ site, dir } = await fourImageSite('pc-e2e-hedge-'));
  });

  after(async () => {
    await holder?.peer.close();
    for (const v of visitors) await v.close();
    await site?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('a holder that sends even pieces at once and odd ones late: every image byte-exact, whoever won each piece', {
    timeout: 240_000,
  }, async () => {
    assert.ok(site);
    holder = await startLatePeer(site, (piece) => (piece % 2 === 0 ? 0 : 2_000));
    const { name, visitor, session } = await viewUntilAsked(site, holder, 'hedged', visitors);
    const asked = holder.asked();
    const sent = holder.sent();
    const stats = session.pageStats[0]?.stats;
    assert.ok(stats);
    const use = originUse(site, name, IMAGES);
    console.log(
      `hedge: images ${assetBytes(site, IMAGES)} B; origin sent ${use.pageAssetBytes} B (${use.rangeRequests} ranged requests); page counted ${stats.bytesFromPeers} B from peers, ${stats.bytesFromOrigin} B from the origin; the holder was asked ${asked} pieces and sent ${sent} B`,
    );
    assert.ok(asked > 0, 'the newcomer never asked the holder: nothing was tested');
    const checks = await checkAssets(visitor.page, site, IMAGES);
    assert.equal(checks.filter((c) => !c.ok).length, 0, describeBad(checks));
  });
});

describe("a page's LCP candidates", () => {
  let site: TestSite | undefined;
  let dir = '';
  let holder: LatePeer | undefined;
  const visitors: Visitor[] = [];

  before(async () => {
    // `reload`: the first view's images go through the worker (under `swap` the LCP candidates
    // are left unwrapped and load before the worker controls the page: nothing of ours to test).
    ({ site, dir } = await fourImageSite('pc-e2e-lcp-', 'reload'));
  });

  after(async () => {
    await holder?.peer.close();
    for (const v of visitors) await v.close();
    await site?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('the marked images come from the origin at once, whole and unranged, while a holder serves the others', {
    timeout: 240_000,
  }, async () => {
    assert.ok(site);
    const s = site;
    // A holder that sends every piece at once: nothing would make the worker leave it but the mark.
    holder = await startLatePeer(s, () => 0);
    const { name, visitor, session } = await viewUntilAsked(s, holder, 'lcp', visitors, HERO_PAGE);
    const others = FOUR_IMAGES.filter((k) => !HERO_MARKED.includes(k));
    const requests = s.origin.snapshot({ visitor: name }).requests;
    const markedUse = originUse(s, name, HERO_MARKED);
    const othersUse = originUse(s, name, others);
    const askedFor = holder.askedFor();
    const hashOf = (k: string): string => s.manifest.assets[k]?.hash ?? '';
    console.log(
      `lcp: marked ${HERO_MARKED.join(', ')} (${assetBytes(s, HERO_MARKED)} B): origin sent ${markedUse.pageAssetBytes} B; ` +
        `others (${assetBytes(s, others)} B): origin sent ${othersUse.pageAssetBytes} B; page counted ${sumStats(session, 'bytesFromPeers')} B from peers; ` +
        `holder asked for ${others.filter((k) => askedFor.has(hashOf(k))).length} of ${others.length} others, ${HERO_MARKED.filter((k) => askedFor.has(hashOf(k))).length} marked`,
    );
    for (const key of HERO_MARKED) {
      const asked = requests.filter((r) => r.path.slice(1) === key || decodeURIComponent(r.path.slice(1)) === key);
      assert.ok(asked.length >= 1, `${key}: never asked of the origin`);
      assert.deepEqual(
        asked.filter((r) => r.range !== null).map((r) => r.range),
        [],
        `${key}: asked in Range runs, not as the page made the request`,
      );
      assert.equal(askedFor.has(hashOf(key)), false, `${key}: the holder was asked for it`);
    }
    assert.ok(
      markedUse.pageAssetBytes >= assetBytes(s, HERO_MARKED),
      `the origin sent only ${markedUse.pageAssetBytes} B of the marked images`,
    );
    // Offload kept for the rest: each was asked of the holder, which answered (its own count).
    // Not "the origin sent less of them": a cold bridge on a loaded machine may need longer than
    // the hedge cap for its first piece, and then the loopback origin rightly wins the race
    // (sw/hedge-policy.ts). Which source won is speed; that peers were asked is the behaviour.
    for (const key of others) assert.ok(askedFor.has(hashOf(key)), `${key}: the holder was never asked for it`);
    assert.ok(holder.sent() > 0, 'the holder sent nothing');
    const checks = await checkAssets(visitor.page, s, FOUR_IMAGES);
    assert.equal(checks.filter((c) => !c.ok).length, 0, describeBad(checks));
  });
});
