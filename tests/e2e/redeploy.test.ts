/**
 * Redeploys under open tabs, separate Chromium processes, the real build, origin and signaling.
 * Every response is exactly one whole version of its file (the build's the page came with, or the
 * origin's current one): never pieces of two versions, never cut to the old size, never a failure
 * where the origin serves the file; a page of a new build never shows an old build's assets.
 */

import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { launchVisitor, type Visitor } from './harness/browser.ts';
import {
  readPieceHashes,
  startSite,
  storedDigests,
  type TestSite,
  waitForReady,
  waitForTakeover,
  waitUntil,
  wrongStoredPieces,
} from './harness/site.ts';
import { imageWidth, sha256, titleColour, type VersionedSite, writeVersionedSite } from './harness/versioned-site.ts';

interface Fetched {
  path: string;
  range: string | null;
  status: number;
  sha256: string;
  bytes: number;
  source: string | null;
  error: string | null;
}

/** Fetches each path from inside the page (through its worker, as the page's own requests go). */
async function fetchAll(page: Page, asks: Array<{ path: string; range?: string }>): Promise<Fetched[]> {
  return page.evaluate(async (list) => {
    const out: Fetched[] = [];
    for (const { path, range } of list) {
      try {
        const r = await fetch(path, range ? { headers: { Range: range } } : {});
        const body = await r.arrayBuffer();
        const hex = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', body)), (b) => b.toString(16).padStart(2, '0')).join(
          '',
        );
        out.push({
          path,
          range: range ?? null,
          status: r.status,
          sha256: hex,
          bytes: body.byteLength,
          source: r.headers.get('x-peer-connect-source'),
          error: null,
        });
      } catch (e) {
        out.push({ path, range: range ?? null, status: 0, sha256: '', bytes: 0, source: null, error: String(e) });
      }
    }
    return out;
  }, asks);
}

/**
 * The versions (1-based) whose bytes, or whose bytes of `range`, the response is exactly; [] if
 * none. A 416 is that version's answer when the range starts past its end (RFC 9110 §15.5.17).
 */
function versionsOf(site: VersionedSite, got: Fetched): number[] {
  const file = site.file(got.path);
  const matches: number[] = [];
  file.versions.forEach((bytes, k) => {
    let expected = bytes;
    if (got.range) {
      const m = /^bytes=(\d+)-(\d*)$/.exec(got.range)!;
      const start = Number(m[1]);
      if (start >= bytes.length) {
        if (got.status === 416) matches.push(k + 1);
        return;
      }
      const end = m[2] === '' ? bytes.length - 1 : Math.min(Number(m[2]), bytes.length - 1);
      expected = bytes.subarray(start, end + 1);
    }
    if (got.status !== 416 && sha256(expected) === got.sha256 && expected.length === got.bytes) matches.push(k + 1);
  });
  return matches;
}

const PATHS = ['whole.bin', 'partial.bin', 'grow.bin', 'shrink.bin', 'same.bin', 'empty.txt', 'style.css'];
const asks = (): Array<{ path: string; range?: string }> => [
  ...PATHS.map((path) => ({ path })),
  ...PATHS.map((path) => ({ path, range: 'bytes=100-70000' })),
];

describe('redeploy', () => {
  let versions: VersionedSite;
  let site: TestSite | undefined;
  let visitors: Visitor[] = [];

  before(async () => {
    versions = await writeVersionedSite(2);
  });
  afterEach(async () => {
    for (const v of visitors) await v.close();
    visitors = [];
    await site?.close();
    site = undefined;
  });
  after(async () => undefined);

  test('a tab open across a deploy gets one whole version of every file, stored, partly stored or not', { timeout: 120_000 }, async () => {
    site = await startSite({ siteDir: versions.dir(1) });
    const v1Manifest = site.manifest;
    const v = await launchVisitor('tab');
    visitors.push(v);
    await v.page.goto(site.url('index.html'), { waitUntil: 'load' });
    await waitForReady(v.page);
    // Stored whole: whole.bin and style.css; partly: piece 0 of partial.bin (a 100-byte range).
    await fetchAll(v.page, [{ path: 'whole.bin' }, { path: 'style.css' }, { path: 'partial.bin', range: 'bytes=0-99' }]);
    const whole = v1Manifest.assets['whole.bin']!.hash;
    const partial = v1Manifest.assets['partial.bin']!.hash;
    await waitUntil('v1 pieces stored', 10_000, async () => {
      const d = await storedDigests(v.page);
      return `a:${whole}` in d && `p:${partial}:0` in d ? true : undefined;
    });
    const deployedAt = Date.now();
    const v1Hashes = await readPieceHashes(site.outDir, v1Manifest);
    const v2Manifest = await site.redeploy(versions.dir(2));
    const v2Hashes = await readPieceHashes(site.outDir, v2Manifest);
    const before = await fetchAll(v.page, asks());
    for (const got of before) {
      assert.equal(got.error, null, `${got.path} ${got.range ?? ''}: ${got.error}`);
      assert.ok([200, 206, 416].includes(got.status), `${got.path} ${got.range ?? ''}: status ${got.status}`);
      assert.equal(
        versionsOf(versions, got).length > 0,
        true,
        `${got.path} ${got.range ?? ''}: ${got.bytes} bytes that are no version of the file (source ${got.source})`,
      );
    }
    // Nothing holds version 1 of these but the origin did: the origin's version, whole.
    for (const path of ['partial.bin', 'grow.bin', 'shrink.bin', 'same.bin']) {
      const got = before.find((g) => g.path === path && g.range === null)!;
      assert.ok(versionsOf(versions, got).includes(2), `${path}: the origin's current file`);
    }
    console.log(
      `redeploy/open tab: before the worker updates: ${before.map((g) => `${g.path}${g.range ? '[range]' : ''}=v${versionsOf(versions, g).join('/')}(${g.source ?? 'network'})`).join(' ')}`,
    );

    // The worker saw the origin change and asked for its update: the browser fetched the new
    // worker script, with no navigation (which would do that by itself) since the deploy.
    await waitUntil('the worker asked for its update', 30_000, async () =>
      site!.origin.snapshot({ visitor: 'tab' }).requests.some((r) => r.path === '/peer-connect-sw.js' && r.startedAt >= deployedAt)
        ? true
        : undefined,
    );
    // Once it controls the tab, the tab is served the origin's files.
    const how = await waitForTakeover(v, site, v.page, v2Manifest.build);
    console.log(`redeploy/open tab: the new worker took over (${how})`);
    const afterUpdate = await fetchAll(v.page, asks());
    for (const got of afterUpdate) {
      assert.equal(got.error, null, `${got.path}: ${got.error}`);
      assert.ok(versionsOf(versions, got).includes(2), `${got.path} ${got.range ?? ''} after the update: the origin's current file`);
    }
    const wrong = wrongStoredPieces(await storedDigests(v.page), [v1Hashes, v2Hashes]);
    assert.deepEqual(wrong, [], 'no stored piece differs from the piece its key names');
  });

  test("a navigation right after a deploy never shows the new page with the old build's assets", { timeout: 120_000 }, async () => {
    // Two rounds, each a fresh site and visitor: one deploy under a controlled tab, then at once a
    // navigation. (Deploying again in the same tab would first wait for Chromium to activate the
    // new worker, which it does once the old one is idle: at once, or after its 30 s idle timer.)
    for (const round of [1, 2]) {
      const rv = await writeVersionedSite(2);
      site = await startSite({ siteDir: rv.dir(1) });
      const v = await launchVisitor(`reader${round}`);
      visitors.push(v);
      const builds = [await readPieceHashes(site.outDir, site.manifest)];
      for (let view = 0; view < 2; view++) {
        // The second view is controlled: the worker holds version 1's image.
        await v.page.goto(site.url('index.html'), { waitUntil: 'load' });
        await waitForReady(v.page);
      }
      builds.push(await readPieceHashes(site.outDir, await site.redeploy(rv.dir(2))));
      await v.page.goto(site.url('index.html'), { waitUntil: 'load' });
      const shown = await v.page.evaluate(() => {
        const title = document.getElementById('title');
        return { text: title?.textContent ?? '', colour: title ? getComputedStyle(title).color : '' };
      });
      const img = await waitUntil('the image decoded', 10_000, () =>
        v.page.evaluate(() => {
          const pic = document.getElementById('pic') as HTMLImageElement | null;
          return pic?.complete && pic.naturalWidth > 0 ? pic.naturalWidth : undefined;
        }),
      );
      console.log(`redeploy/navigation round ${round}: heading "${shown.text}", colour ${shown.colour}, image width ${img}`);
      assert.equal(shown.text, 'version 2');
      assert.equal(shown.colour, titleColour(2), 'the stylesheet of version 2');
      assert.equal(img, imageWidth(2), 'the image of version 2');
      assert.deepEqual(wrongStoredPieces(await storedDigests(v.page), builds), []);
      await v.close();
      await site.close();
      site = undefined;
    }
  });
});
