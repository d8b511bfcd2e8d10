/**
 * `peer-connect/astro` on a minimal Astro site (photos in `public/` and one through Astro's image
 * pipeline): `astro build` with the integration in `astro.config.mjs` leaves a PeerConnect site
 * in `dist/`, which two browsers then visit.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type AstroIntegration, build } from 'astro';
import peerConnect from 'peer-connect/astro';
import { SERVER_OUTPUT_MESSAGE } from '../../plugins/astro.ts';
import type { Visitor } from './harness/browser.ts';
import { makeAstroProject } from './harness/framework-projects.ts';
import { checkTwoVisitors, ORIGIN_LATENCY_MS } from './harness/plugin-offload.ts';
import { startBuiltSite, type TestSite } from './harness/site.ts';

describe('peer-connect/astro', () => {
  let dir = '';
  let site: TestSite | undefined;
  const visitors: Visitor[] = [];

  before(async () => {
    // Astro would otherwise try to send telemetry (there is no network here).
    process.env.ASTRO_TELEMETRY_DISABLED = '1';
    dir = await mkdtemp(join(tmpdir(), 'pc-e2e-astro-'));
    site = await startBuiltSite(
      async (signal) => {
        await makeAstroProject(dir, { signal });
        const started = Date.now();
        await build({ root: dir, logLevel: 'warn' });
        console.log(`astro build (with the integration): ${Date.now() - started} ms`);
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

  test('astro build leaves a PeerConnect site in dist; visitor 2 gets >= 80% of its asset bytes from peers', {
    timeout: 150_000,
  }, async () => {
    assert.ok(site);
    assert.ok(existsSync(join(site.outDir, 'peer-connect-sw.js')), 'no worker in dist');
    const keys = Object.keys(site.manifest.assets);
    // The photo that went through astro:assets, optimised into _astro/.
    assert.ok(
      keys.some((k) => k.startsWith('_astro/ridge-line.')),
      `the pipeline's image is not in the manifest: ${keys}`,
    );
    const figures = await checkTwoVisitors('astro', site, ['index.html'], visitors, 1_500_000);
    console.log(`astro figures: ${JSON.stringify(figures)}`);
  });

  test("a PeerConnect build that fails fails astro build with its message and leaves Astro's output as Astro wrote it", {
    timeout: 60_000,
  }, async () => {
    const outDir = join(dir, 'dist-failing');
    await assert.rejects(
      build({
        root: dir,
        configFile: false,
        logLevel: 'silent',
        outDir,
        // Passes the plugin's own check (a known option) and is refused by buildSite.
        integrations: [peerConnect({ firstVisit: 'sometimes' as 'auto' })],
      }),
      /--first-visit must be one of auto, reload, swap, off/,
    );
    const files = await readdir(outDir);
    assert.ok(files.includes('index.html') && files.includes('_astro'), `Astro's output is gone: ${files}`);
    assert.ok(!files.includes('peer-connect-sw.js') && !files.includes('.peer-connect-build'), `a half build was left: ${files}`);
    assert.deepEqual(
      (await readdir(dir)).filter((f) => f.includes('peer-connect')),
      [],
      'the staging folder was left behind',
    );
  });

  test("output: 'server' is refused before Astro builds anything, saying what to do", { timeout: 60_000 }, async () => {
    const outDir = join(dir, 'dist-server');
    // An adapter that only declares itself: the refusal comes before Astro would use it.
    const adapter: AstroIntegration = {
      name: 'fake-adapter',
      hooks: {
        'astro:config:done': ({ setAdapter }) =>
          setAdapter({
            name: 'fake-adapter',
            serverEntrypoint: 'fake-adapter/server.js',
            supportedAstroFeatures: { serverOutput: 'stable', staticOutput: 'stable', hybridOutput: 'stable', sharpImageService: 'stable' },
          }),
      },
    };
    await assert.rejects(
      build({ root: dir, logLevel: 'silent', outDir, output: 'server', adapter }),
      (e: Error) => e.message === SERVER_OUTPUT_MESSAGE,
    );
    assert.equal(existsSync(join(outDir, 'peer-connect-sw.js')), false);
  });
});
