/**
 * `peer-connect/vite` on a real Vite app (create-vite's `vanilla` template plus photos): `vite
 * build` with the plugin in `vite.config.js` leaves a PeerConnect site in `dist/`, which two
 * browsers then visit; and a PeerConnect build that fails fails `vite build` with its message,
 * leaving Vite's own output.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import peerConnect from 'peer-connect/vite';
import { build } from 'vite';
import type { Visitor } from './harness/browser.ts';
import { makeViteProject } from './harness/framework-projects.ts';
import { checkTwoVisitors, ORIGIN_LATENCY_MS } from './harness/plugin-offload.ts';
import { startBuiltSite, type TestSite } from './harness/site.ts';

describe('peer-connect/vite', () => {
  let dir = '';
  let site: TestSite | undefined;
  const visitors: Visitor[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pc-e2e-vite-'));
    site = await startBuiltSite(
      async (signal) => {
        // The defaults: the app's images are named by its script, not its HTML; `auto` follows
        // the script (before it did, it saw a page of 18 KiB and picked `off`: visitor 2 got 0%).
        await makeViteProject(dir, { signal });
        const started = Date.now();
        await build({ root: dir, logLevel: 'warn' });
        console.log(`vite build (with the plugin): ${Date.now() - started} ms`);
        return join(dir, 'dist');
      },
      { origin: { latencyMs: ORIGIN_LATENCY_MS } },
    );
  });

  after(async () => {
    for (const v of visitors) await v.close();
    await site?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('vite build leaves a PeerConnect site in dist; visitor 2 gets >= 80% of its asset bytes from peers', {
    timeout: 150_000,
  }, async () => {
    assert.ok(site);
    assert.ok(existsSync(join(site.outDir, 'peer-connect-sw.js')), 'no worker in dist');
    const photos = Object.keys(site.manifest.assets).filter((k) => /\.(jpg|png)$/.test(k) && site?.manifest.assets[k]?.size !== undefined);
    assert.ok(
      photos.some((k) => k.startsWith('assets/harbour-dawn-')),
      `Vite's fingerprinted photo is not in the manifest: ${photos}`,
    );
    const figures = await checkTwoVisitors('vite', site, ['index.html'], visitors, 2_000_000);
    console.log(`vite figures: ${JSON.stringify(figures)}`);
  });

  test("a PeerConnect build that fails fails vite build with its message and leaves Vite's output as Vite wrote it", {
    timeout: 60_000,
  }, async () => {
    const outDir = 'dist-failing';
    await assert.rejects(
      build({
        root: dir,
        configFile: false,
        logLevel: 'silent',
        build: { outDir },
        // Passes the plugin's own check (a known option) and is refused by buildSite.
        plugins: [peerConnect({ firstVisit: 'sometimes' as 'auto' })],
      }),
      /--first-visit must be one of auto, reload, swap, off/,
    );
    const files = await readdir(join(dir, outDir));
    assert.ok(files.includes('index.html') && files.includes('assets'), `Vite's output is gone: ${files}`);
    assert.ok(!files.includes('peer-connect-sw.js') && !files.includes('.peer-connect-build'), `a half build was left: ${files}`);
    const leftovers = (await readdir(dir)).filter((f) => f.includes('peer-connect'));
    assert.deepEqual(leftovers, [], 'the staging folder was left behind');
  });
});
