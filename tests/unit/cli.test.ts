/** The `peer-connect` command as a user runs it: a real process, real files, exit codes. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'peer-connect.js');
const demo = join(import.meta.dirname, '..', '..', 'demo', 'site');
const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });

test('build writes the worker, the bridge and script-tagged pages, and reports what it did', () => {
  const out = mkdtempSync(join(tmpdir(), 'pc-cli-'));
  try {
    const r = run('build', demo, '--out', out, '--signal', 'ws://127.0.0.1:9/peer-connect/signal', '--first-visit', 'off');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /built .*: \d+ assets .* 5 pages, 0 elements marked/);
    assert.ok(readFileSync(join(out, 'peer-connect-sw.js'), 'utf8').length > 1000);
    assert.ok(readFileSync(join(out, 'peer-connect.js'), 'utf8').includes('ws://127.0.0.1:9/peer-connect/signal'));
    assert.ok(readFileSync(join(out, 'posts', 'first-light.html'), 'utf8').includes('<script src="../peer-connect.js" async></script>'));
  } finally {
    rmSync(out, { recursive: true, force: true });
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
  assert.match(r.stderr, /--first-visit must be one of swap, reload, off/);
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
  assert.match(r.stderr, /must not be the site folder/);
});

test('an unknown command prints usage and exits 2', () => {
  const r = run('deploy-to-the-moon');
  assert.equal(r.status, 2);
  assert.match(r.stdout, /Usage:/);
});
