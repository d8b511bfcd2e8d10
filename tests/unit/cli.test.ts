/** The `peer-connect` command as a user runs it: a real process, real files, exit codes. */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'peer-connect.js');
const demo = join(import.meta.dirname, '..', '..', 'demo', 'site');
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });

test('build writes the worker, the bridge and script-tagged pages, and reports what it did', () => {
  const out = mkdtempSync(join(tmpdir(), 'pc-cli-'));
  try {
    const r = run('build', demo, '--out', out, '--signal', 'ws://127.0.0.1:9/peer-connect/signal', '--first-visit', 'off');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /built .*: \d+ assets .* 5 pages, first visits: 5 off,/);
    assert.ok(readFileSync(join(out, 'peer-connect-sw.js'), 'utf8').length > 1000);
    assert.ok(readFileSync(join(out, 'peer-connect.js'), 'utf8').includes('ws://127.0.0.1:9/peer-connect/signal'));
    assert.match(
      readFileSync(join(out, 'posts', 'first-light.html'), 'utf8'),
      /<script src="\.\.\/peer-connect\.js\?v=[0-9a-f]{20}" async fetchpriority="high"><\/script>/,
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('build --exclude (repeatable) keeps files out of the manifest and says how many', () => {
  const out = mkdtempSync(join(tmpdir(), 'pc-cli-'));
  try {
    const r = run('build', demo, '--out', out, '--exclude', 'img/**', '--exclude', 'css/*.css', '--exclude', 'nothing/**');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /kept \d+ files out of the manifest/);
    assert.match(r.stdout, /--exclude img\/\*\*: \d+ files/);
    assert.match(r.stdout, /--exclude nothing\/\*\*: no file matched/);
    const tables = readdirSync(join(out, 'peer-connect-assets'));
    assert.equal(tables.length, 1, 'one asset table');
    const table = readFileSync(join(out, 'peer-connect-assets', tables[0]!), 'utf8');
    assert.ok(!/"img\//.test(table) && !/"css\/[^"]*\.css"/.test(table), 'no img/ or css/*.css asset in the asset table');
    assert.ok(/"js\//.test(table), 'the control: the table names the other assets');
    assert.ok(existsSync(join(out, 'img')), 'excluded files are still copied');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test("build reports what the site's host configuration protects, rule by rule", () => {
  const root = mkdtempSync(join(tmpdir(), 'pc-cli-'));
  try {
    const site = join(root, 'site');
    mkdirSync(join(site, 'members'), { recursive: true });
    writeFileSync(join(site, 'index.html'), '<title>t</title>');
    writeFileSync(join(site, 'members', '.htaccess'), 'AuthType Basic\nRequire valid-user\n');
    writeFileSync(join(site, 'members', 'a.pdf'), 'a');
    writeFileSync(join(site, 'members', 'b.pdf'), 'b');
    writeFileSync(join(site, '_headers'), '/drafts/*\n  Basic-Auth: a:b\n');
    writeFileSync(join(site, 'public.css'), 'x');
    const r = run('build', site, '--out', join(root, 'out'));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /: 1 assets .* in the manifest/);
    assert.match(r.stdout, /kept 2 files out of the manifest \(copied, served by the origin only, never by peers\):\n/);
    assert.match(r.stdout, /\n {2}members\/\.htaccess \(AuthType Basic\), everything under members\/: 2 files\n/);
    assert.match(r.stdout, /\n {2}_headers \(Basic-Auth on \/drafts\/\*\): no file matched\n/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('build without --out fails with a clear message and writes nothing', () => {
  const r = run('build', demo);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /build needs <site-dir> and --out <dir>/);
});

test('an invalid option value is refused by name', () => {
  const out = join(mkdtempSync(join(tmpdir(), 'pc-cli-')), 'never');
  const r = run('build', demo, '--out', out, '--first-visit', 'sometimes');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--first-visit must be one of auto, reload, swap, off/);
  assert.equal(existsSync(out), false);
});

test('--store-quota is baked into the worker; the default is 256 MiB; a bad size is refused by name', () => {
  const root = mkdtempSync(join(tmpdir(), 'pc-cli-'));
  try {
    const quota = join(root, 'quota');
    assert.equal(run('build', demo, '--out', quota, '--store-quota', '1.5MiB').status, 0);
    assert.match(readFileSync(join(quota, 'peer-connect-sw.js'), 'utf8'), /storeQuotaBytes:1572864\b/);
    const plain = join(root, 'plain');
    assert.equal(run('build', demo, '--out', plain).status, 0);
    assert.match(readFileSync(join(plain, 'peer-connect-sw.js'), 'utf8'), /storeQuotaBytes:268435456\b/);
    const bad = run('build', demo, '--out', join(root, 'never'), '--store-quota', 'lots');
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--store-quota must be a size/);
    assert.equal(existsSync(join(root, 'never')), false);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('building into the site folder itself is refused', () => {
  const r = run('build', demo, '--out', demo);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /--out .* is the site folder itself/);
});

test('building into a folder with files no build wrote is refused, and the folder is left alone', () => {
  const out = mkdtempSync(join(tmpdir(), 'pc-cli-'));
  try {
    writeFileSync(join(out, 'notes.txt'), 'mine');
    const r = run('build', demo, '--out', out);
    assert.equal(r.status, 1);
    assert.match(r.stderr, /peer-connect build: --out .* has no \.peer-connect-build/);
    assert.equal(readFileSync(join(out, 'notes.txt'), 'utf8'), 'mine');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('an unknown command prints usage and exits 2', () => {
  const r = run('deploy-to-the-moon');
  assert.equal(r.status, 2);
  assert.match(r.stdout, /Usage:/);
});

test('build --start manual bakes the start mode into the bridge; auto is the default; others are refused', () => {
  const root = mkdtempSync(join(tmpdir(), 'pc-cli-'));
  try {
    const bridgeConfig = (out: string): string => {
      const m = /\bstart:"(\w+)"/.exec(readFileSync(join(out, 'peer-connect.js'), 'utf8'));
      return m?.[1] ?? 'none';
    };
    const manual = run('build', demo, '--out', join(root, 'manual'), '--start', 'manual');
    assert.equal(manual.status, 0, manual.stderr);
    assert.equal(bridgeConfig(join(root, 'manual')), 'manual');
    const auto = run('build', demo, '--out', join(root, 'auto'));
    assert.equal(auto.status, 0, auto.stderr);
    assert.equal(bridgeConfig(join(root, 'auto')), 'auto');
    const bad = run('build', demo, '--out', join(root, 'bad'), '--start', 'later');
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /--start must be one of auto, manual/);
    assert.equal(existsSync(join(root, 'bad')), false);
    assert.match(run().stdout, /\[--start auto\|manual\]/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
