/**
 * Which files of a site peers may serve: hidden files and host configuration are copied but never
 * assets, version control is not copied, and what the host protects (.htaccess, .htpasswd,
 * `_headers` Basic-Auth) or `--exclude` names is copied but kept out of the manifest and the worker.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { buildSite } from '../../build.ts';
import { builtSite, publishedAssetText, tempSite } from './build-helpers.ts';

describe('buildSite: hidden files and host configuration', { timeout: 120_000 }, () => {
  const hostFiles: Record<string, string> = {
    '.htaccess': 'Options -Indexes\n',
    '.nojekyll': '',
    'members/.htaccess': 'AuthType Basic\nAuthUserFile /srv/.htpasswd\nRequire valid-user\n',
    'members/.htpasswd': 'alice:$apr1$x$y\n',
    '.well-known/security.txt': 'Contact: mailto:security@example.com\n',
    '.well-known/.hidden': 'x',
    'img/.thumbs/a.png': 'thumb',
    'img/a.png': 'png',
    _headers: '/*\n  X-Frame-Options: DENY\n',
    _redirects: '/old /new 301\n',
    'docs/_headers': 'just a file named so',
  };
  const vcs = ['.git/HEAD', '.hg/store/data', '.svn/entries', 'sub/.git', 'sub/.hg/x'];
  const site = builtSite(
    [...Object.entries(hostFiles), ...vcs.map((p): [string, string] => [p, 'vcs']), ['index.html', '<title>t</title>']],
    (dir) => symlink(join(dir, 'img', 'a.png'), join(dir, 'img', 'link.png')),
  );

  it('copies every hidden file and host config file (an Apache folder keeps its protection, GitHub Pages its .nojekyll)', async () => {
    for (const [path, text] of Object.entries(hostFiles)) assert.equal(await readFile(join(site.out, path), 'utf8'), text, path);
  });

  it('does not copy version control folders, or symlinks', () => {
    for (const path of [...vcs, 'img/link.png']) assert.equal(existsSync(join(site.out, path)), false, path);
  });

  it('keeps hidden files (except under .well-known/) and the root _headers/_redirects out of the manifest', () => {
    assert.deepEqual(Object.keys(site.result().manifest.assets), ['.well-known/security.txt', 'docs/_headers', 'img/a.png']);
  });
});

describe('buildSite: what the host protects stays out of the manifest', { timeout: 120_000 }, () => {
  const files: Record<string, string> = {
    'index.html': '<!doctype html><title>t</title><img src="members/photo.jpg">',
    'members/.htaccess': 'AuthType Basic\nAuthName "Members"\nAuthUserFile /srv/.htpasswd\nRequire valid-user\n',
    'members/photo.jpg': 'photo',
    'members/minutes/2024.pdf': 'minutes',
    'staff/.htpasswd': 'bob:$apr1$x$y\n',
    'staff/roster.csv': 'names',
    'open/.htaccess': 'Require all granted\n',
    'open/a.png': 'open',
    _headers: '/private/*\n  Basic-Auth: alice:secret\n/*\n  X-Frame-Options: DENY\n',
    'private/plan.pdf': 'plan',
    'public.css': 'body{}',
  };
  const site = builtSite(Object.entries(files));

  it('only the unprotected files are assets', () => {
    assert.deepEqual(Object.keys(site.result().manifest.assets), ['open/a.png', 'public.css']);
  });

  it('lists each excluded file with the protection that kept it out, and every rule found', () => {
    const htaccess = { kind: 'htaccess', file: 'members/.htaccess', directive: 'AuthType Basic', section: null };
    const headers = { kind: 'headers', file: '_headers', pattern: '/private/*' };
    const htpasswd = { kind: 'htpasswd', file: 'staff/.htpasswd' };
    const result = site.result();
    assert.deepEqual(result.excluded, [
      { path: 'members/minutes/2024.pdf', reason: htaccess },
      { path: 'members/photo.jpg', reason: htaccess },
      { path: 'private/plan.pdf', reason: headers },
      { path: 'staff/roster.csv', reason: htpasswd },
    ]);
    assert.deepEqual(result.exclusionRules, [htaccess, htpasswd, headers]);
  });

  it('the protected files and the host configuration are still copied, and no protected name reaches the worker', async () => {
    for (const [path, text] of Object.entries(files)) {
      if (path !== 'index.html') assert.equal(await readFile(join(site.out, path), 'utf8'), text, path);
    }
    const published = await publishedAssetText(site.out);
    assert.ok(published.includes('open/a.png') && published.includes('public.css'), 'the control: the asset table names assets');
    for (const name of ['members/', 'minutes', 'roster', 'plan.pdf']) assert.ok(!published.includes(name), name);
  });
});

describe('buildSite: --exclude', { timeout: 120_000 }, () => {
  const site = tempSite(
    Object.entries({
      'index.html': '<!doctype html><title>t</title><img src="members/photo.jpg"><img src="img/public.png">',
      'members/photo.jpg': randomBytes(500),
      'members/talk.mp4': randomBytes(2000),
      'members/notes/secret-plans.pdf': randomBytes(100),
      'img/public.png': randomBytes(300),
      'drafts.txt': 'unfinished',
    }),
  );

  it('keeps matched files out of the manifest, the torrents, the first-visit markup and the worker, but copies them', async () => {
    const out = join(site.root, 'out');
    const r = await buildSite({ siteDir: site.siteDir, outDir: out, exclude: ['members/**', 'drafts.txt'], firstVisit: 'swap' });
    assert.deepEqual(Object.keys(r.manifest.assets), ['img/public.png']);
    assert.deepEqual(r.torrents, []);
    assert.equal(existsSync(join(out, 'peer-connect-torrents')), false);
    assert.deepEqual(r.excluded, [
      { path: 'drafts.txt', reason: { kind: 'option', pattern: 'drafts.txt' } },
      { path: 'members/notes/secret-plans.pdf', reason: { kind: 'option', pattern: 'members/**' } },
      { path: 'members/photo.jpg', reason: { kind: 'option', pattern: 'members/**' } },
      { path: 'members/talk.mp4', reason: { kind: 'option', pattern: 'members/**' } },
    ]);
    for (const path of ['members/photo.jpg', 'members/talk.mp4', 'members/notes/secret-plans.pdf', 'drafts.txt']) {
      assert.ok((await readFile(join(out, path))).equals(await readFile(join(site.siteDir, path))), `${path} copied`);
    }
    const published = await publishedAssetText(out);
    assert.ok(published.includes('img/public.png'), 'the control: the asset table names assets');
    assert.ok(
      !published.includes('secret-plans') && !published.includes('members/'),
      'no excluded name in the public worker or its asset table',
    );
    const page = await readFile(join(out, 'index.html'), 'utf8');
    assert.ok(
      page.includes('<img src="members/photo.jpg">') && !page.includes('<noscript data-peer-connect><img src="members/photo.jpg">'),
    );
    assert.ok(page.includes('<noscript data-peer-connect><img src="img/public.png"></noscript>'));
  });

  it('without --exclude the same files are assets (the control)', async () => {
    const r = await buildSite({ siteDir: site.siteDir, outDir: join(site.root, 'out-all') });
    assert.ok('members/notes/secret-plans.pdf' in r.manifest.assets);
    assert.deepEqual(r.excluded, []);
  });
});
