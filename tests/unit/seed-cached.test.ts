/** Issue 13, step 3: what a page loaded before the worker controlled it is seeded from the HTTP cache, verified. */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { SeedList, seedCandidates } from '../../page-bridge/seed-request.ts';
import { decodeBridgeToWorker, MAX_SEED_URLS } from '../../protocol/bridge-messages.ts';
import type { ManifestAsset } from '../../protocol/manifest.ts';
import { type SeedDeps, seedCached } from '../../sw/seed-cached.ts';

const PIECE = 4;
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const FILE = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
const asset: ManifestAsset = { hash: sha(FILE), size: FILE.length, type: 'image/png' } as ManifestAsset;
const PIECE_HASHES = [FILE.slice(0, 4), FILE.slice(4, 8), FILE.slice(8)].map(sha);

function deps(body: Uint8Array | null, complete = false): SeedDeps & { writes: number[]; completed: number; asked: Request[] } {
  const d = {
    writes: [] as number[],
    completed: 0,
    asked: [] as Request[],
    fetchCached: async (request: Request) => {
      d.asked.push(request);
      return body ? new Response(body.slice().buffer as ArrayBuffer) : new Response(null, { status: 504 });
    },
    pieceHash: async (i: number) => PIECE_HASHES[i] ?? '',
    verify: async (data: Uint8Array, hex: string) => sha(data) === hex,
    writePiece: async (_h: string, i: number) => {
      d.writes.push(i);
      return true;
    },
    markComplete: async () => {
      d.completed++;
      return true;
    },
    isComplete: async () => complete,
  };
  return d;
}

describe('seedCached', () => {
  test('the cached copy, verified piece by piece, is stored and announced', async () => {
    const d = deps(FILE);
    assert.equal(await seedCached('https://s/img.png', asset, PIECE, d), 'seeded');
    assert.deepEqual(d.writes, [0, 1, 2]);
    assert.equal(d.completed, 1);
    // From the HTTP cache only: a miss is a 504, never a request to the network (Fetch: only-if-cached needs same-origin).
    assert.equal(d.asked[0]?.cache, 'only-if-cached');
    assert.equal(d.asked[0]?.mode, 'same-origin');
  });

  test('a piece list that cannot be had: nothing stored, not announced', async () => {
    const d = { ...deps(FILE), pieceHash: async () => Promise.reject(new Error('no list')) };
    assert.equal(await seedCached('https://s/img.png', asset, PIECE, d), 'not-cached');
    assert.equal(d.completed, 0);
  });

  test('not in the HTTP cache (504): nothing stored', async () => {
    const d = deps(null);
    assert.equal(await seedCached('https://s/img.png', asset, PIECE, d), 'not-cached');
    assert.deepEqual(d.writes, []);
  });

  test('another version in the cache (a piece differs, or the size): nothing of it stored', async () => {
    const other = FILE.slice();
    other[9] = 0;
    const d = deps(other);
    assert.equal(await seedCached('https://s/img.png', asset, PIECE, d), 'wrong');
    assert.deepEqual(d.writes, [0, 1], 'the pieces before the wrong one verified: they are the same in both versions');
    assert.equal(d.completed, 0);
    const short = deps(FILE.slice(0, 9));
    assert.equal(await seedCached('https://s/img.png', asset, PIECE, short), 'wrong');
    assert.equal(short.completed, 0);
  });

  test('already held: the cache is not read', async () => {
    const d = deps(FILE, true);
    assert.equal(await seedCached('https://s/img.png', asset, PIECE, d), 'held');
    assert.deepEqual(d.writes, []);
  });
});

describe('seed request', () => {
  test('same-origin loads that did not go through a worker, no query, deduplicated', () => {
    const urls = seedCandidates(
      [
        { name: 'https://s/css/site.css', workerStart: 0 },
        { name: 'https://s/css/site.css', workerStart: 0 },
        { name: 'https://s/img/a.png', workerStart: 12.5 },
        { name: 'https://other/x.js', workerStart: 0 },
        { name: 'https://s/api?x=1', workerStart: 0 },
        { name: 'not a url', workerStart: 0 },
      ],
      'https://s',
    );
    assert.deepEqual(urls, ['https://s/css/site.css']);
  });

  test('SeedList: the welcome listing, then each later entry once (a font still in flight at the welcome), at most MAX_SEED_URLS in all', () => {
    const list = new SeedList('https://s');
    assert.deepEqual(list.take([{ name: 'https://s/css/site.css', workerStart: 0 }]), ['https://s/css/site.css']);
    assert.deepEqual(
      list.take([
        { name: 'https://s/css/site.css', workerStart: 0 },
        { name: 'https://s/fonts/inter.woff2', workerStart: 0 },
        { name: 'https://s/img/a.png', workerStart: 3 },
      ]),
      ['https://s/fonts/inter.woff2'],
    );
    assert.deepEqual(list.take([{ name: 'https://s/fonts/inter.woff2', workerStart: 0 }]), []);
    const many = Array.from({ length: MAX_SEED_URLS + 5 }, (_, i) => ({ name: `https://s/f${i}.js`, workerStart: 0 }));
    assert.equal(list.take(many).length, MAX_SEED_URLS - 2);
    assert.deepEqual(list.take([{ name: 'https://s/late.js', workerStart: 0 }]), []);
  });

  test(`the message is decoded and bounded (${MAX_SEED_URLS} URLs)`, () => {
    assert.ok(decodeBridgeToWorker({ pc: 'seed', urls: ['https://s/a'] }).ok);
    assert.equal(decodeBridgeToWorker({ pc: 'seed', urls: Array(MAX_SEED_URLS + 1).fill('u') }).ok, false);
    assert.equal(decodeBridgeToWorker({ pc: 'seed', urls: [1] }).ok, false);
  });
});
