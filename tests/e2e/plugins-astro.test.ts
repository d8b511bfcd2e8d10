/**
 * `peer-connect/astro` on a minimal Astro site (photos in `public/` and one through Astro's image
 * pipeline): `astro build` with the integration in `astro.config.mjs` leaves a PeerConnect site
 * in `dist/`, which two browsers then visit.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { build } from 'astro';
import type { Visitor } from './harness/browser.ts';
import { makeAstroProject } from './harness/framework-projects.ts';
import { checkTwoVisitors } from './harness/plugin-offload.ts';
import { startBuiltSite, type TestSite } from './harness/site.ts';

describe('peer-connect/astro', () => {
  let dir = '';
  let site: TestSite | undefined;
  const visitors: Visitor[] = [];

  before(async () => {
    // Astro would otherwise try to send telemetry (there is no network here).
    process.env.ASTRO_TELEMETRY_DISABLED = '1';
    dir = await mkdtemp(join(tmpdir(), 'pc-e2e-astro-'));
    site = await startBuiltSite(async (signal) => {
      await makeAstroProject(dir, { signal });
      const started = Date.now();
      await build({ root: dir, logLevel: 'warn' });
      console.log(`astro build (with the integration): ${Date.now() - started} ms`);
      return join(dir, 'dist');
    });
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
});
