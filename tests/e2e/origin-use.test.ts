/**
 * originUse's preload window (tests/e2e/harness/origin-use.ts), against the real counting origin
 * and real HTTP requests in the order a held first visit makes them: only a first page provably
 * held (asked for twice, the worker script between) has its earlier asset bytes left out, and
 * those are still reported.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { WORKER_FILE } from '../../protocol/bridge-config.ts';
import type { Manifest } from '../../protocol/manifest.ts';
import { type OriginServer, startOriginServer, VISITOR_UA_TAG } from './harness/origin-server.ts';
import { originUse } from './harness/origin-use.ts';

const IMAGE = Buffer.alloc(5_000, 7);

function get(origin: OriginServer, visitor: string, path: string, range?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'user-agent': `${VISITOR_UA_TAG}/${visitor}` };
    if (range) headers.range = range;
    const req = request(`${origin.url}/${path}`, { headers, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    req.end();
  });
}

describe('originUse: the first page preload window', () => {
  let dir = '';
  let origin: OriginServer;
  const manifest = { assets: { 'a.jpg': { hash: 'a'.repeat(64), size: IMAGE.length, type: 'image/jpeg' } } } as Pick<Manifest, 'assets'>;
  const site = (): { origin: OriginServer; manifest: Manifest } => ({ origin, manifest: manifest as Manifest });

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pc-origin-use-'));
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'a.jpg'), IMAGE);
    await writeFile(join(dir, 'page.html'), '<!doctype html><img src="a.jpg">');
    await writeFile(join(dir, 'other.html'), '<!doctype html>');
    await writeFile(join(dir, WORKER_FILE), '// worker');
    origin = await startOriginServer({ root: dir });
  });
  after(async () => {
    await origin.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('a held first page: what came before the worker script is the preload window, left out only when asked', async () => {
    await get(origin, 'held', 'page.html');
    await get(origin, 'held', 'a.jpg'); // the preload scanner, before the hold
    await get(origin, 'held', WORKER_FILE);
    await get(origin, 'held', 'page.html'); // the reload
    await get(origin, 'held', 'a.jpg', 'bytes=0-999'); // the worker, after the hold
    const all = originUse(site(), 'held', ['a.jpg']);
    const after = originUse(site(), 'held', ['a.jpg'], { afterHold: true });
    assert.equal(all.pageAssetBytes, IMAGE.length + 1_000);
    assert.equal(all.preloadBytes, IMAGE.length);
    assert.equal(after.pageAssetBytes, 1_000);
    assert.equal(after.preloadBytes, IMAGE.length);
    assert.deepEqual(after.byPath, { 'a.jpg': { requests: 1, bytes: 1_000 } });
  });

  test('a first page not held (asked once, or another page next) has no preload window', async () => {
    await get(origin, 'plain', 'page.html');
    await get(origin, 'plain', 'a.jpg');
    await get(origin, 'plain', WORKER_FILE);
    await get(origin, 'plain', 'other.html');
    await get(origin, 'plain', 'a.jpg');
    const use = originUse(site(), 'plain', ['a.jpg'], { afterHold: true });
    assert.equal(use.preloadBytes, 0);
    assert.equal(use.pageAssetBytes, 2 * IMAGE.length);
  });
});
