/**
 * P2P can only make a page faster or leave it as it was, never break it: with the signaling
 * server gone, or with the only peer vanishing mid-transfer, the page still completes from the
 * origin, with correct bytes, within a bounded time.
 */

import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { pieceCount } from '../../protocol/pieces.ts';
import { launchVisitor, type Visitor } from './harness/browser.ts';
import { SAVE_DATA_SCRIPT } from './harness/save-data.ts';
import {
  assetBytes,
  checkAssets,
  describeBad,
  diskSha256,
  loadedAssets,
  originUse,
  settle,
  startSite,
  stats,
  type TestSite,
  viewPages,
  waitForImages,
  waitForReady,
  waitUntil,
  withTimeout,
} from './harness/site.ts';

const PAGES = ['index.html', 'gallery.html'];
/**
 * A hang guard for a page with its images, from navigation to the last image decoded, with no
 * P2P to help (a few hundred ms here): how fast is for the benchmarks, not the tests.
 */
const PAGE_BOUND_MS = 30_000;

describe('fallback', () => {
  let site: TestSite | undefined;
  let visitors: Visitor[] = [];

  afterEach(async () => {
    for (const v of visitors) await v.close();
    visitors = [];
    await site?.close();
    site = undefined;
  });

  test('signaling server down: the page loads completely from the origin, in bounded time', { timeout: 100_000 }, async () => {
    site = await startSite();
    const v1 = await launchVisitor('v1');
    visitors.push(v1);
    await viewPages(v1, site, PAGES);
    await settle(site);
    await site.stopSignal();

    const v2 = await launchVisitor('v2');
    visitors.push(v2);
    const keys = new Set<string>();
    for (const path of PAGES) {
      const t0 = Date.now();
      await v2.page.goto(site.url(path), { waitUntil: 'load' });
      // Images first: they are what the visitor waits for, whatever the bridge is doing.
      const images = await waitForImages(v2.page, PAGE_BOUND_MS, 1).catch((e: Error) => {
        throw new Error(`${e.message}\n${v2.dump(30)}`);
      });
      const ms = Date.now() - t0;
      await waitForReady(v2.page, 5_000);
      const s = await stats(v2.page);
      console.log(
        `fallback/no-signaling: v2 ${path}: ${images} images complete in ${ms} ms; signaling ${s.signaling}; stats ${JSON.stringify(s)}`,
      );
      for (const k of await loadedAssets(v2.page, site)) keys.add(k);
    }
    await settle(site);
    const total = assetBytes(site, keys);
    const use = originUse(site, 'v2', keys);
    console.log(`fallback/no-signaling: v2 used ${keys.size} assets (${total} B), origin sent ${use.assetBytes} B of assets`);
    assert.ok(total > 500_000, `v2 used only ${total} B of assets`);
    // Nobody to get them from but the origin.
    assert.ok(use.assetBytes >= total, `origin sent ${use.assetBytes} of ${total} B with no signaling`);
    const checks = await checkAssets(v2.page, site, [...keys]);
    assert.equal(checks.filter((c) => !c.ok).length, 0, `wrong bytes: ${describeBad(checks)}`);
  });

  test('the only peer disappears mid-transfer of a large image: still completes, correct, bounded', { timeout: 100_000 }, async () => {
    site = await startSite();
    const v1 = await launchVisitor('v1');
    visitors.push(v1);
    const s1 = await viewPages(v1, site, PAGES);
    await settle(site);

    // The victim: the largest asset v1 holds, several pieces long so it can be cut in the middle.
    const manifest = site.manifest;
    const big = [...s1.keys].sort((a, b) => (manifest.assets[b]?.size ?? 0) - (manifest.assets[a]?.size ?? 0))[0];
    assert.ok(big);
    const bigAsset = manifest.assets[big];
    assert.ok(bigAsset && pieceCount(bigAsset.size, manifest.pieceSize) >= 6, `largest asset ${big} has too few pieces to interrupt`);

    // v2 joins the swarm on a page that does not use the victim, so the connection to v1 exists.
    const v2 = await launchVisitor('v2');
    visitors.push(v2);
    // No prefetch on v2 (data saver): its pieces from v1 would use up the few sends v1 is allowed,
    // and the image would get none of them (seen in CI: the origin sent it whole).
    await v2.context.addInitScript({ content: SAVE_DATA_SCRIPT });
    await v2.page.goto(site.url('about.html'), { waitUntil: 'load' });
    await waitForReady(v2.page, 15_000);
    await waitForImages(v2.page, 15_000);
    assert.ok(!(await loadedAssets(v2.page, site)).includes(big), `about.html already uses ${big}; pick another page`);

    // Make v1 stop sending after a few piece-sized messages, as a peer whose tab freezes, then
    // close its browser: v2 has some of the file from v1 and must get the rest elsewhere.
    const ALLOWED = 3;
    await v1.page.evaluate((allowed: number) => {
      const proto = RTCDataChannel.prototype;
      const send = proto.send;
      let big = 0;
      const sizeOf = (d: unknown): number =>
        typeof d === 'string'
          ? d.length
          : d instanceof Blob
            ? d.size
            : d instanceof ArrayBuffer
              ? d.byteLength
              : ArrayBuffer.isView(d)
                ? d.byteLength
                : 0;
      proto.send = function (this: RTCDataChannel, data: string | Blob | ArrayBuffer | ArrayBufferView) {
        if (sizeOf(data) > 4096) {
          big++;
          if (big > allowed) {
            if (big === allowed + 1) console.log('PC-TEST: v1 stalled');
            return;
          }
        }
        (send as (d: typeof data) => void).call(this, data);
      };
    }, ALLOWED);
    const usedBefore = originUse(site, 'v2').byPath[big]?.bytes ?? 0;

    const t0 = Date.now();
    const result = v2.page.evaluate(
      async (path: string) => {
        const r = await fetch(path);
        // The worker answers once the first piece is verified: from here v1 has delivered something.
        (window as Window & { __pcFirstPiece?: boolean }).__pcFirstPiece = true;
        const body = await r.arrayBuffer();
        const digest = await crypto.subtle.digest('SHA-256', body);
        return {
          status: r.status,
          source: r.headers.get('x-peer-connect-source'),
          bytes: body.byteLength,
          sha256: Array.from(new Uint8Array(digest), (x) => x.toString(16).padStart(2, '0')).join(''),
        };
      },
      `/${big.split('/').map(encodeURIComponent).join('/')}`,
    );
    let doneAt = 0;
    void result.then(
      () => (doneAt = Date.now()),
      () => (doneAt = Date.now()),
    );
    await waitUntil(
      'v1 starts stalling',
      15_000,
      async () => (v1.log.some((l) => l.text.includes('PC-TEST: v1 stalled')) ? true : undefined),
      20,
    );
    // Pieces v1 queued before it stalled sit in its channel buffer until sent; closing its browser
    // before one reaches v2 would make this a no-peer test. Wait for v2's response to start.
    await waitUntil(
      'v2 has its first piece',
      15_000,
      async () => ((await v2.page.evaluate(() => (window as Window & { __pcFirstPiece?: boolean }).__pcFirstPiece)) ? true : undefined),
      10,
    );
    const closedAt = Date.now();
    await v1.closeBrowser();
    const got = await withTimeout(`v2 fetch of ${big} after its peer vanished`, 15_000, result);
    const ms = Date.now() - t0;
    await settle(site);
    const fromOrigin = (originUse(site, 'v2').byPath[big]?.bytes ?? 0) - usedBefore;
    const st = await stats(v2.page);
    console.log(
      `fallback/peer-vanishes: ${big} (${bigAsset.size} B, ${pieceCount(bigAsset.size, manifest.pieceSize)} pieces) in ${ms} ms; first bytes from ${got.source}; origin sent ${fromOrigin} B of it; v2 stats ${JSON.stringify(st)}`,
    );
    assert.equal(got.status, 200);
    assert.equal(got.bytes, bigAsset.size);
    assert.equal(got.sha256, await diskSha256(site, big));
    // Really mid-transfer: v2's fetch was still open when v1 went away, v1 delivered part of it,
    // and the origin sent only the rest. Not which source won piece 0: on a loaded machine the
    // worker's hedge may ask the origin for it while v1's copy is on its way, and either may win
    // (a race, not a behaviour; the loaded CI run of 31b480e saw the origin win it).
    assert.ok(doneAt >= closedAt, `v2's fetch finished ${closedAt - doneAt} ms before v1 was closed`);
    assert.ok(st.bytesFromPeers > 0, 'v1 delivered part of the image before it vanished');
    assert.ok(fromOrigin > 0 && fromOrigin < bigAsset.size, `origin sent ${fromOrigin} of ${bigAsset.size} B: not a mid-transfer fallback`);
    // And a page element using it now loads: through the worker, from local pieces.
    const checks = await checkAssets(v2.page, site, [big]);
    assert.equal(checks.filter((c) => !c.ok).length, 0, describeBad(checks));
  });
});
