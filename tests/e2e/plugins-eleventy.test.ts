/**
 * `peer-connect/eleventy` on a minimal Eleventy site: Eleventy's own CLI, with the plugin added in
 * `eleventy.config.js`, leaves a PeerConnect site in `_site/`, which two browsers then visit.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import type { Visitor } from './harness/browser.ts';
import { makeEleventyProject } from './harness/framework-projects.ts';
import { checkTwoVisitors, ORIGIN_LATENCY_MS } from './harness/plugin-offload.ts';
import { startBuiltSite, type TestSite } from './harness/site.ts';

const run = promisify(execFile);

describe('peer-connect/eleventy', () => {
  let dir = '';
  let site: TestSite | undefined;
  const visitors: Visitor[] = [];

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pc-e2e-eleventy-'));
    site = await startBuiltSite(
      async (signal) => {
        await makeEleventyProject(dir, { signal });
        const started = Date.now();
        const { stdout } = await run(process.execPath, [join(dir, 'node_modules', '@11ty', 'eleventy', 'cmd.cjs')], { cwd: dir });
        console.log(`eleventy build (with the plugin): ${Date.now() - started} ms\n${stdout}`);
        return join(dir, '_site');
      },
      { origin: { latencyMs: ORIGIN_LATENCY_MS } },
    );
  });

  after(async () => {
    for (const v of visitors) await v.close();
    await site?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  test('eleventy leaves a PeerConnect site in _site; visitor 2 gets >= 80% of its asset bytes from peers', {
    timeout: 150_000,
  }, async () => {
    assert.ok(site);
    assert.ok(existsSync(join(site.outDir, 'peer-connect-sw.js')), 'no worker in _site');
    const figures = await checkTwoVisitors('eleventy', site, ['index.html'], visitors, 2_000_000);
    console.log(`eleventy figures: ${JSON.stringify(figures)}`);
  });

  test("a PeerConnect build that fails fails Eleventy's build with its message and leaves Eleventy's output", {
    timeout: 60_000,
  }, async () => {
    const failing = await mkdtemp(join(tmpdir(), 'pc-e2e-eleventy-failing-'));
    try {
      // Passes the plugin's own check (a known option) and is refused by buildSite.
      await makeEleventyProject(failing, { firstVisit: 'sometimes' });
      const cli = join(failing, 'node_modules', '@11ty', 'eleventy', 'cmd.cjs');
      const error = await run(process.execPath, [cli], { cwd: failing }).then(
        () => null,
        (e: Error & { code?: number; stderr?: string }) => e,
      );
      assert.ok(error, 'eleventy succeeded');
      assert.notEqual(error.code, 0);
      assert.match(error.stderr ?? '', /--first-visit must be one of auto, reload, swap, off/);
      const files = await readdir(join(failing, '_site'));
      assert.deepEqual(files.sort(), ['img', 'index.html'], `not Eleventy's output as it wrote it: ${files}`);
      assert.deepEqual(
        (await readdir(failing)).filter((f) => f.includes('peer-connect')),
        [],
        'the staging folder was left behind',
      );
    } finally {
      await rm(failing, { recursive: true, force: true });
    }
  });
});
