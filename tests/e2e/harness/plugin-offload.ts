/**
 * The check every plugin's e2e test makes on the site its framework built: visitor 1 views the
 * pages (and stays, as the seed), then visitor 2, a fresh Chromium, views them; visitor 2 must take
 * at least `minOffload` of its pages' asset bytes from peers by the origin's own count, and every
 * asset it used must match the file on disk byte for byte.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { launchVisitor, type Visitor } from './browser.ts';
import { assetBytes, builtId, checkAssets, describeBad, originUse, pct, settle, sumStats, type TestSite, viewPages } from './site.ts';

/**
 * Origin latency for these tests, as first-visit.test.ts has it: a page held for its first visit
 * (`reload`) cancels what Chromium's preload scanner requested before the page script ran, which
 * on a real network is before the body comes; at 0 ms on loopback the whole image has already
 * been sent, and the origin counts it (a lab artefact: the page then takes it from peers anyway).
 */
export const ORIGIN_LATENCY_MS = 40;

export interface OffloadFigures {
  assets: number;
  totalBytes: number;
  fromOrigin: number;
  fromPeers: number;
  offload: number;
}

/** Runs the two visitors; asserts; returns visitor 2's figures. `visitors` collects them for the caller's `after` to close. */
export async function checkTwoVisitors(
  label: string,
  site: TestSite,
  pages: string[],
  visitors: Visitor[],
  minBytes: number,
  minOffload = 0.8,
): Promise<OffloadFigures> {
  // The manifest the harness read back must be the build the pages carry.
  for (const page of pages) {
    assert.equal(builtId(await readFile(join(site.outDir, page), 'utf8')), site.manifest.build, `${label}: ${page} is not of this build`);
  }
  const v1 = await launchVisitor(`${label}-v1`);
  visitors.push(v1);
  const s1 = await viewPages(v1, site, pages);
  await settle(site);
  const use1 = originUse(site, `${label}-v1`, s1.keys);
  console.log(`${label} v1: ${s1.keys.length} assets, ${assetBytes(site, s1.keys)} B; origin sent ${use1.assetBytes} B of assets`);

  const v2 = await launchVisitor(`${label}-v2`);
  visitors.push(v2);
  const s2 = await viewPages(v2, site, pages);
  await settle(site);
  const total = assetBytes(site, s2.keys);
  // The first page's preload window is a race with the machine's speed (see originUse): logged below.
  const use2 = originUse(site, `${label}-v2`, s2.keys, { afterHold: true });
  const offload = 1 - use2.assetBytes / total;
  const figures = { assets: s2.keys.length, totalBytes: total, fromOrigin: use2.assetBytes, fromPeers: total - use2.assetBytes, offload };
  console.log(
    `${label} v2: ${s2.keys.length} assets, ${total} B; origin sent ${use2.assetBytes} B of assets (${use2.requests} requests) + ${use2.otherBytes} B other, ` +
      `+ ${use2.preloadBytes} B the preload scanner got before the first page's hold; ` +
      `from peers ${figures.fromPeers} B, offload ${pct(offload)}; page counters fromPeers ${sumStats(s2, 'bytesFromPeers')}; ` +
      `pages ${s2.pageStats.map((p) => `${p.path} ${p.ms} ms`).join(', ')}`,
  );
  // The pages must really have used the photos, or the ratio means nothing.
  assert.ok(total >= minBytes, `${label}: visitor 2 used only ${total} B of assets: ${JSON.stringify(s2.keys)}`);
  assert.ok(
    offload >= minOffload,
    `${label}: origin sent visitor 2 ${use2.assetBytes} of ${total} asset bytes (offload ${pct(offload)} < ${pct(minOffload)}); by path ${JSON.stringify(use2.byPath)}\n${v2.dump(30)}`,
  );
  const checks = await checkAssets(v2.page, site, s2.keys);
  assert.equal(checks.filter((c) => !c.ok).length, 0, `${label}: assets differing from disk: ${describeBad(checks)}`);
  return figures;
}
