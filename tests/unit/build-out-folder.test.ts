/**
 * The build's output folder on real temp folders: refused when it holds files no build wrote or
 * leads to the site, marked with the build id, emptied only when it is an earlier output. The
 * rules themselves, with roots and Windows paths, are in check-out-dir.test.ts.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildSite } from '../../build.ts';
import { BUILD_MARKER_FILE, buildMarkerText } from '../../builder/check-out-dir.ts';
import { tempSite } from './build-helpers.ts';

describe('buildSite: the output folder', { timeout: 120_000 }, () => {
  const site = tempSite([
    ['index.html', '<!doctype html><title>t</title><img src="img/a.png">'],
    ['img/a.png', randomBytes(100)],
  ]);

  it('refuses a non-empty folder that no build wrote, and leaves its files alone', async () => {
    const mine = join(site.root, 'documents');
    await mkdir(join(mine, 'taxes'), { recursive: true });
    await writeFile(join(mine, 'taxes', '2024.pdf'), 'precious');
    await assert.rejects(buildSite({ siteDir: site.siteDir, outDir: mine }), /has no \.peer-connect-build.*empty this one yourself/);
    assert.equal(await readFile(join(mine, 'taxes', '2024.pdf'), 'utf8'), 'precious');
  });

  it('writes a marker with the build id, which is never an asset and never copied from the site', async () => {
    await writeFile(join(site.siteDir, BUILD_MARKER_FILE), buildMarkerText('f'.repeat(20)));
    try {
      const out = join(site.root, 'out-marker');
      const r = await buildSite({ siteDir: site.siteDir, outDir: out });
      assert.deepEqual(JSON.parse(await readFile(join(out, BUILD_MARKER_FILE), 'utf8')), { tool: 'peer-connect', build: r.manifest.build });
      assert.ok(!(BUILD_MARKER_FILE in r.manifest.assets));
    } finally {
      await rm(join(site.siteDir, BUILD_MARKER_FILE));
    }
  });

  it('builds again into its own earlier output, removing what is no longer in the site', async () => {
    const out = join(site.root, 'out-again');
    await buildSite({ siteDir: site.siteDir, outDir: out });
    await writeFile(join(out, 'stale.txt'), 'left over');
    await buildSite({ siteDir: site.siteDir, outDir: out });
    await assert.rejects(readFile(join(out, 'stale.txt')));
    assert.ok(existsSync(join(out, 'img', 'a.png')));
  });

  it('accepts an empty folder, and a folder inside the site (whose files stay out of the site)', async () => {
    const empty = join(site.root, 'empty');
    await mkdir(empty);
    assert.ok((await buildSite({ siteDir: site.siteDir, outDir: empty })).manifest.assets['img/a.png']);
    const inside = join(site.siteDir, 'dist');
    await buildSite({ siteDir: site.siteDir, outDir: inside });
    const again = await buildSite({ siteDir: site.siteDir, outDir: inside });
    assert.deepEqual(Object.keys(again.manifest.assets), ['img/a.png']);
    await rm(inside, { recursive: true });
  });

  it('refuses a symlink to the site or to a folder that contains it', async () => {
    await symlink(site.siteDir, join(site.root, 'to-site'));
    await symlink(site.root, join(site.root, 'to-root'));
    await assert.rejects(buildSite({ siteDir: site.siteDir, outDir: join(site.root, 'to-site') }), /is the site folder itself/);
    await assert.rejects(buildSite({ siteDir: site.siteDir, outDir: join(site.root, 'to-root') }), /contains the site folder/);
    assert.ok(existsSync(join(site.siteDir, 'index.html')));
  });
});
