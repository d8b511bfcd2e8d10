/**
 * The worker's piece store in a real browser: it stays under its byte quota by evicting the least
 * recently used assets, deletes after a deploy every asset the new build does not list, and each
 * deleted asset is announced `lost`: the real signaling server stops naming this visitor as a
 * holder (asked as a newcomer would, with `want`).
 */

import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import type { Manifest } from '../../protocol/manifest.ts';
import { pieceSpan } from '../../protocol/pieces.ts';
import { launchVisitor, type Visitor } from './harness/browser.ts';
import { holdersOf } from './harness/signal-probe.ts';
import { startSite, storedDigests, type TestSite, waitForReady, waitForTakeover, waitUntil } from './harness/site.ts';
import { KIB, writeVersionedSite } from './harness/versioned-site.ts';

/** Bytes of stored pieces per asset hash, from the keys in the visitor's store. */
async function storedBytes(page: Page, manifests: Manifest[]): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  for (const m of manifests) for (const a of Object.values(m.assets)) sizes.set(a.hash, a.size);
  const out = new Map<string, number>();
  for (const key of Object.keys(await storedDigests(page))) {
    const m = /^p:([0-9a-f]{64}):(\d+)$/.exec(key);
    if (!m) continue;
    const size = sizes.get(m[1]!) ?? 0;
    const span = pieceSpan(Number(m[2]), size, 64 * KIB);
    out.set(m[1]!, (out.get(m[1]!) ?? 0) + span.end - span.start);
  }
  return out;
}

const fetchAll = (page: Page, paths: string[]): Promise<void> =>
  page.evaluate(async (list) => {
    for (const p of list) await (await fetch(p)).arrayBuffer();
  }, paths);

describe('piece store', () => {
  let site: TestSite | undefined;
  let visitor: Visitor | undefined;
  afterEach(async () => {
    await visitor?.close();
    await site?.close();
    visitor = undefined;
    site = undefined;
  });

  test('stays under --store-quota, evicting the least recently used asset, and announces it lost', { timeout: 60_000 }, async () => {
    const versions = await writeVersionedSite(1);
    const quota = 700 * KIB;
    site = await startSite({ siteDir: versions.dir(1), build: { storeQuota: quota } });
    const s = site;
    visitor = await launchVisitor('v1');
    const page = visitor.page;
    await page.goto(s.url('index.html'), { waitUntil: 'load' });
    await waitForReady(page);
    const hash = (path: string): string => s.manifest.assets[path]!.hash;
    const swarm = new URL(s.origin.url).host;
    const complete = async (path: string): Promise<true | undefined> =>
      (await storedDigests(page))[`a:${hash(path)}`] !== undefined ? true : undefined;

    // 256 + 256 + 128 KiB: under the quota, all kept and announced.
    await fetchAll(page, ['whole.bin', 'partial.bin', 'keep.bin']);
    for (const p of ['whole.bin', 'partial.bin', 'keep.bin']) await waitUntil(`${p} stored`, 10_000, () => complete(p));
    await waitUntil('whole.bin announced', 10_000, async () =>
      (await holdersOf(s.signalUrl, swarm, hash('whole.bin'))).length > 0 ? true : undefined,
    );
    // Used again: whole.bin is now more recent than partial.bin.
    await fetchAll(page, ['whole.bin']);
    // +100 KiB passes the quota: the least recently used asset (partial.bin) goes.
    await fetchAll(page, ['grow.bin']);
    await waitUntil('grow.bin stored', 10_000, () => complete('grow.bin'));
    const bytes = await storedBytes(page, [s.manifest]);
    const total = [...bytes.values()].reduce((n, b) => n + b, 0);
    console.log(
      `store/quota: ${total} B stored of ${quota} B allowed: ${JSON.stringify(Object.fromEntries([...Object.entries(s.manifest.assets)].map(([p, a]) => [p, bytes.get(a.hash) ?? 0])))}`,
    );
    assert.ok(total <= quota, `${total} B stored, quota ${quota} B`);
    assert.equal(bytes.get(hash('partial.bin')) ?? 0, 0, 'the least recently used asset was evicted, all its pieces');
    for (const p of ['whole.bin', 'keep.bin', 'grow.bin']) assert.ok((bytes.get(hash(p)) ?? 0) > 0, `${p} kept`);
    await waitUntil('partial.bin announced lost', 10_000, async () =>
      (await holdersOf(s.signalUrl, swarm, hash('partial.bin'))).length === 0 ? true : undefined,
    );
    assert.ok((await holdersOf(s.signalUrl, swarm, hash('grow.bin'))).length > 0, 'the new asset is announced');
  });

  test('after a deploy, assets the new build does not list are deleted and announced lost; unchanged ones kept', {
    timeout: 180_000,
  }, async () => {
    const versions = await writeVersionedSite(2);
    site = await startSite({ siteDir: versions.dir(1) });
    const s = site;
    visitor = await launchVisitor('v1');
    const page = visitor.page;
    await page.goto(s.url('index.html'), { waitUntil: 'load' });
    await waitForReady(page);
    const v1 = s.manifest;
    const swarm = new URL(s.origin.url).host;
    await fetchAll(page, ['whole.bin', 'keep.bin']);
    for (const p of ['whole.bin', 'keep.bin']) {
      await waitUntil(`${p} stored`, 10_000, async () =>
        (await storedDigests(page))[`a:${v1.assets[p]!.hash}`] !== undefined ? true : undefined,
      );
    }
    await waitUntil('whole.bin announced', 10_000, async () =>
      (await holdersOf(s.signalUrl, swarm, v1.assets['whole.bin']!.hash)).length > 0 ? true : undefined,
    );

    const v2 = await s.redeploy(versions.dir(2));
    assert.equal(v2.assets['keep.bin']!.hash, v1.assets['keep.bin']!.hash, 'the control: keep.bin did not change');
    // A view of the new build: the old worker passes it and asks for its successor, which takes over.
    await page.goto(s.url('index.html'), { waitUntil: 'load' });
    const how = await waitForTakeover(visitor, s, page, v2.build);
    console.log(`store/deploy: the new worker took over (${how})`);
    const gone = v1.assets['whole.bin']!.hash;
    await waitUntil('v1 whole.bin deleted', 15_000, async () => {
      const keys = Object.keys(await storedDigests(page));
      return keys.some((k) => k.includes(gone)) ? undefined : true;
    });
    const kept = await storedBytes(page, [v2]);
    assert.equal(kept.get(v2.assets['keep.bin']!.hash), 128 * KIB, 'an unchanged asset keeps its pieces across the deploy');
    await waitUntil('v1 whole.bin announced lost', 10_000, async () =>
      (await holdersOf(s.signalUrl, swarm, gone)).length === 0 ? true : undefined,
    );
    assert.ok((await holdersOf(s.signalUrl, swarm, v2.assets['keep.bin']!.hash)).length > 0, 'the unchanged asset is still announced');
  });
});
