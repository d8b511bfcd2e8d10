/**
 * What `peer-connect serve` must never do to the host it runs on, on a real server: serve a file
 * outside the folder through a symlink, serve dotfiles (`.env`, `.git/`), or redirect to another
 * host. The Host check and nosniff are serve-guard.test.ts's.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RunningSiteServer, startSiteServer } from '../../signal-worker/adapter/node/index.ts';
import { type RawResponse, rawRequest } from './serve-http.ts';

describe('serve: what it refuses and how it answers', () => {
  let root: string;
  let outside: string;
  let site: RunningSiteServer;
  const get = (path: string, headers: Record<string, string> = {}): Promise<RawResponse> => rawRequest(site.port, path, { headers });

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'peer-connect-serve-root-'));
    outside = await mkdtemp(join(tmpdir(), 'peer-connect-serve-outside-'));
    await writeFile(join(outside, 'secret.txt'), 'SECRET');
    await mkdir(join(outside, 'private'));
    await writeFile(join(outside, 'private', 'key.txt'), 'SECRET KEY');
    await writeFile(join(outside, 'private', 'index.html'), 'SECRET INDEX');

    await writeFile(join(root, 'index.html'), '<!doctype html><title>home</title>');
    await writeFile(join(root, 'page.txt'), 'PAGE');
    await mkdir(join(root, 'img'));
    await writeFile(join(root, 'img', 'index.html'), 'IMG INDEX');
    await mkdir(join(root, 'my dir'));
    await writeFile(join(root, 'my dir', 'index.html'), 'SPACED');
    await writeFile(join(root, '.env'), 'SECRET=1');
    await mkdir(join(root, '.git'));
    await writeFile(join(root, '.git', 'config'), 'SECRET GIT');
    await mkdir(join(root, 'a', '.git'), { recursive: true });
    await writeFile(join(root, 'a', '.git', 'config'), 'SECRET NESTED GIT');
    await mkdir(join(root, '.well-known'));
    await writeFile(join(root, '.well-known', 'security.txt'), 'Contact: mailto:security@example.com');

    await symlink(join(outside, 'secret.txt'), join(root, 'leak.txt'));
    await symlink(join(outside, 'private'), join(root, 'outside-dir'));
    await symlink('/etc', join(root, 'etc'));
    await symlink('page.txt', join(root, 'inside-link.txt'));
    await symlink(join(root, 'img'), join(root, 'inside-dir'));
    site = await startSiteServer({ root });
  });
  after(async () => {
    await site.close();
    await rm(root, { recursive: true, force: true });
    await rm(outside, { recursive: true, force: true });
  });

  it('answers 404 for symlinks that lead out of the folder, and follows those that stay inside', async () => {
    const escapes = [
      '/leak.txt',
      '/outside-dir/key.txt',
      '/outside-dir/',
      '/outside-dir',
      '/etc/hostname',
      '/etc/passwd',
      '/etc/',
      '/etc',
      '/%65tc/passwd',
    ];
    for (const path of escapes) {
      const res = await get(path);
      assert.equal(res.status, 404, path);
      assert.doesNotMatch(res.body, /SECRET|root:/, path);
    }
    assert.equal((await get('/inside-link.txt')).body, 'PAGE');
    assert.equal((await get('/inside-dir/')).body, 'IMG INDEX');
    assert.equal((await get('/inside-dir/index.html')).body, 'IMG INDEX');
  });

  it('answers 404 for any dot segment but .well-known, plain or percent-encoded', async () => {
    for (const path of [
      '/.env',
      '/.git/config',
      '/.git/',
      '/.git',
      '/%2eenv',
      '/%2Eenv',
      '/a/.git/config',
      '/a/%2Egit/config',
      '/.well-known/../.env',
      '/.well-known/%2e%2e/.env',
    ]) {
      const res = await get(path);
      assert.equal(res.status, 404, path);
      assert.doesNotMatch(res.body, /SECRET/, path);
    }
    for (const path of ['/.well-known/security.txt', '/%2Ewell-known/security.txt']) {
      const res = await get(path);
      assert.equal(res.status, 200, path);
      assert.match(res.body, /^Contact:/, path);
    }
  });

  it('redirects a directory to its slash form on this host only, keeping the query', async () => {
    const cases: Array<[string, string]> = [
      ['/img', '/img/'],
      ['//img', '/img/'],
      ['///img', '/img/'],
      ['//img?x=1&y=/2', '/img/?x=1&y=/2'],
      ['/img?a\\b', '/img/?a%5Cb'],
      ['/%69mg', '/img/'],
      ['/my%20dir', '/my%20dir/'],
      ['//inside-dir', '/inside-dir/'],
    ];
    for (const [path, location] of cases) {
      const res = await get(path);
      assert.equal(res.status, 301, path);
      assert.equal(res.headers.location, location, path);
    }
    assert.equal((await get('/my%20dir/')).body, 'SPACED');
  });

  it('never answers with a Location that leaves the host', async () => {
    for (const path of ['/%2F%2Fevil.example', '//%2Fevil.example', '/%5C%5Cevil.example', '/%2F%5Cevil.example', '//img%2F', '/img%5C']) {
      const res = await get(path);
      const location = res.headers.location ?? '';
      assert.ok(!location.startsWith('//') && !location.includes('\\'), `${path} -> ${location}`);
      assert.notEqual(res.status, 301, path);
    }
  });
});
