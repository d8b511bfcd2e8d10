/**
 * Issue 15: the site owner's switch, without a redeploy. `off` → the next request of an open tab
 * goes to the origin untouched by the worker, and nothing is uploaded; `download-only` → a new
 * visitor gets nothing from peers (nobody uploads); back `on` → sharing resumes. Proved by the
 * origin's own counts and the uploaders' counters.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchVisitor, type Visitor } from './harness/browser.ts';
import { DASHBOARD_TOKEN, setP2pModes } from './harness/dashboard.ts';
import { assetBytes, originUse, settle, startSite, stats, type TestSite, viewPages, waitUntil } from './harness/site.ts';

const PAGES = ['gallery.html'];

const uploaded = async (visitors: Visitor[]): Promise<number> => {
  let n = 0;
  for (const v of visitors) n += (await stats(v.page)).bytesUploaded;
  return n;
};

describe('the P2P switch', () => {
  let site: TestSite | undefined;
  const visitors: Visitor[] = [];

  before(async () => {
    site = await startSite({ signal: { dashboardToken: DASHBOARD_TOKEN } });
  });

  after(async () => {
    for (const v of visitors) await v.close();
    await site?.close();
  });

  test('off, download-only, then on again, told to open tabs at once', { timeout: 240_000 }, async () => {
    assert.ok(site);
    const s = site;
    const [v1, v2] = [await launchVisitor('v1'), await launchVisitor('v2')];
    visitors.push(v1, v2);
    await viewPages(v1, s, PAGES);
    await settle(s);
    const s2 = await viewPages(v2, s, PAGES);
    await settle(s);
    const fromPeers = assetBytes(s, s2.keys) - originUse(s, 'v2', s2.keys).pageAssetBytes;
    assert.ok(fromPeers > 300_000, `v2 got only ${fromPeers} B from peers while P2P was on`);

    // off: both open tabs are told; the worker passes v2's next request through.
    assert.equal(await setP2pModes(s, { '*': 'off' }), 2, 'both open tabs told');
    await waitUntil('both tabs to obey', 10_000, async () =>
      (await stats(v1.page)).siteMode === 'off' && (await stats(v2.page)).siteMode === 'off' ? true : undefined,
    );
    const uploadedBefore = await uploaded([v1, v2]);
    const key = s2.keys.find((k) => k.startsWith('img/gallery/')) ?? s2.keys[0]!;
    const requestsBefore = originUse(s, 'v2').byPath[key]?.requests ?? 0;
    const answer = await v2.page.evaluate(async (url) => {
      const r = await fetch(url);
      const body = await r.arrayBuffer();
      return { status: r.status, source: r.headers.get('x-peer-connect-source'), bytes: body.byteLength };
    }, s.url(key));
    console.log(`off: ${key} → ${JSON.stringify(answer)}`);
    assert.equal(answer.status, 200);
    assert.equal(answer.source, null, 'not answered by the worker');
    assert.equal(originUse(s, 'v2').byPath[key]?.requests, requestsBefore + 1, 'the request reached the origin');
    assert.equal((await stats(v2.page)).peers, 0, 'links closed');

    // download-only: a newcomer finds no uploader; nobody's counter moves.
    assert.equal(await setP2pModes(s, { '*': 'download-only' }), 2);
    const v3 = await launchVisitor('v3');
    visitors.push(v3);
    const s3 = await viewPages(v3, s, PAGES);
    await settle(s);
    const total3 = assetBytes(s, s3.keys);
    const origin3 = originUse(s, 'v3', s3.keys).pageAssetBytes;
    const after3 = await uploaded([v1, v2, v3]);
    console.log(`download-only: v3 used ${total3} B, the origin sent ${origin3} B; uploaded ${uploadedBefore} → ${after3} B`);
    assert.equal(after3, uploadedBefore, 'nothing uploaded while off and download-only');
    assert.ok(origin3 >= total3 * 0.98, `v3 got ${total3 - origin3} B from peers in download-only`);
    assert.equal((await stats(v3.page)).siteMode, 'download-only', 'a joiner is told in joined');

    // on again: the open tabs share with the next visitor.
    assert.equal(await setP2pModes(s, {}), 3);
    await waitUntil('all tabs back on', 10_000, async () => {
      for (const v of [v1, v2, v3]) if ((await stats(v.page)).siteMode !== 'on') return undefined;
      return true;
    });
    const v4 = await launchVisitor('v4');
    visitors.push(v4);
    const s4 = await viewPages(v4, s, PAGES);
    await settle(s);
    const total4 = assetBytes(s, s4.keys);
    const origin4 = originUse(s, 'v4', s4.keys).pageAssetBytes;
    const after4 = await uploaded([v1, v2, v3]);
    console.log(`on again: v4 used ${total4} B, the origin sent ${origin4} B; the others uploaded ${after4 - after3} B`);
    assert.ok(after4 - after3 > 300_000, 'sharing resumed');
    assert.ok(origin4 <= total4 * 0.5, `v4 got only ${total4 - origin4} of ${total4} B from peers`);
  });
});
