/**
 * page-bridge/torrent-store/idb-chunk-store.ts against an in-memory IndexedDB (fake-indexeddb):
 * chunk bytes, missing chunks, quota and LRU eviction, reopening after a reload, failures.
 */
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createStore, keys, type UseStore } from 'idb-keyval';
import { IdbChunkStore, type IdbChunkStoreOptions } from '../../page-bridge/torrent-store/idb-chunk-store.ts';

let dbCount = 0;
/** A new database per test; reopening it by name is a "reload" (fresh UseStore, fresh LRU). */
function freshDb(): { name: string; db: UseStore } {
  const name = `chunk-test-${++dbCount}`;
  return { name, db: createStore(name, 'chunks') };
}

/** A fake clock so LRU order does not depend on how fast the test runs. */
function clock(): () => number {
  let t = 1_000;
  return () => ++t;
}

const put = (s: IdbChunkStore, i: number, buf: Uint8Array): Promise<void> =>
  new Promise((resolve, reject) => s.put(i, buf, (err) => (err ? reject(err) : resolve())));
const get = (s: IdbChunkStore, i: number, opts?: { offset?: number; length?: number }): Promise<Uint8Array> =>
  new Promise((resolve, reject) =>
    s.get(i, opts, (err, chunk) => (err ? reject(err) : chunk ? resolve(chunk) : reject(new Error('no chunk')))),
  );
const close = (s: IdbChunkStore): Promise<void> => new Promise((resolve, reject) => s.close((err) => (err ? reject(err) : resolve())));
const destroy = (s: IdbChunkStore): Promise<void> => new Promise((resolve, reject) => s.destroy((err) => (err ? reject(err) : resolve())));
const fill = (n: number, byte: number): Uint8Array => new Uint8Array(n).fill(byte);
const isNotFound = (err: unknown): boolean => err instanceof Error && (err as Error & { notFound?: boolean }).notFound === true;

function open(db: UseStore, torrentId: string, opts: IdbChunkStoreOptions = {}, chunkLength = 10): IdbChunkStore {
  return new IdbChunkStore(chunkLength, { idbStore: db, torrentId, ...opts });
}

describe('IdbChunkStore: chunks', () => {
  it('puts and gets a chunk, whole and by offset/length', async () => {
    const { db } = freshDb();
    const s = open(db, 'a');
    await put(s, 0, new TextEncoder().encode('0123456789'));
    assert.deepEqual(await get(s, 0), new TextEncoder().encode('0123456789'));
    assert.deepEqual(await get(s, 0, { offset: 2, length: 3 }), new TextEncoder().encode('234'));
    assert.deepEqual(await get(s, 0, { offset: 7 }), new TextEncoder().encode('789'));
    assert.deepEqual(await get(s, 0, { length: 4 }), new TextEncoder().encode('0123'));
    await close(s);
  });

  it('stores a copy: changing the buffer after put does not change the chunk', async () => {
    const { db } = freshDb();
    const s = open(db, 'a');
    const buf = fill(10, 1);
    await put(s, 0, buf);
    buf.fill(9);
    assert.deepEqual(await get(s, 0), fill(10, 1));
    await close(s);
  });

  it('stores only the chunk of a view into a larger buffer (Buffer pool, subarray)', async () => {
    const { db } = freshDb();
    const s = open(db, 'a');
    const big = new Uint8Array(100).map((_, i) => i);
    await put(s, 0, big.subarray(40, 50));
    await put(s, 1, Buffer.from('abcdefghij'));
    assert.deepEqual(await get(s, 0), big.slice(40, 50));
    assert.deepEqual([...(await get(s, 1))], [...Buffer.from('abcdefghij')]);
    await close(s);
  });

  it('takes a shorter last chunk when the length is known, and only that length', async () => {
    const { db } = freshDb();
    const s = open(db, 'a', { length: 25 });
    await put(s, 2, fill(5, 3));
    assert.deepEqual(await get(s, 2), fill(5, 3));
    // WebTorrent verifies the last piece with { length: lastPieceLength }.
    assert.deepEqual(await get(s, 2, { length: 5 }), fill(5, 3));
    await assert.rejects(put(s, 2, fill(10, 3)), /length must be 5/);
    await assert.rejects(put(s, 1, fill(5, 3)), /length must be 10/);
    await assert.rejects(put(s, 3, fill(10, 3)), RangeError);
    await close(s);
  });

  it('a missing chunk is a notFound error, never bytes', async () => {
    const { db } = freshDb();
    const s = open(db, 'a', { length: 30 });
    await put(s, 0, fill(10, 1));
    await assert.rejects(get(s, 1), isNotFound);
    await assert.rejects(get(s, 7), isNotFound);
    await close(s);
  });

  it('a range outside the chunk is an error, not a short read', async () => {
    const { db } = freshDb();
    const s = open(db, 'a');
    await put(s, 0, fill(10, 1));
    await assert.rejects(get(s, 0, { offset: 8, length: 5 }), RangeError);
    await close(s);
  });

  it('keys chunks by torrent: two torrents with the same index do not mix', async () => {
    const { db } = freshDb();
    const a = open(db, 'a');
    const b = open(db, 'b');
    await put(a, 0, fill(10, 1));
    await put(b, 0, fill(10, 2));
    assert.deepEqual(await get(a, 0), fill(10, 1));
    assert.deepEqual(await get(b, 0), fill(10, 2));
    await Promise.all([close(a), close(b)]);
  });

  it('uses the torrent info hash as id, else the name', async () => {
    const { db } = freshDb();
    const infoHash = 'ab'.repeat(20);
    const s = new IdbChunkStore(10, { idbStore: db, torrent: { infoHash }, name: 'movie - abababab' });
    assert.equal(s.torrentId, infoHash);
    assert.equal(new IdbChunkStore(10, { idbStore: db, name: 'n' }).torrentId, 'n');
    assert.throws(() => new IdbChunkStore(10, { idbStore: db }), /torrentId/);
    await close(s);
  });

  it('errors after close, and on a second close', async () => {
    const { db } = freshDb();
    const s = open(db, 'a');
    await close(s);
    await assert.rejects(put(s, 0, fill(10, 1)), /closed/);
    await assert.rejects(get(s, 0), /closed/);
    await assert.rejects(close(s), /closed/);
  });

  it('close waits for a put made without a callback', async () => {
    const { name, db } = freshDb();
    const s = open(db, 'a');
    s.put(0, fill(10, 4));
    await close(s);
    const again = open(createStore(name, 'chunks'), 'a');
    assert.deepEqual(await get(again, 0), fill(10, 4));
    await close(again);
  });
});

describe('IdbChunkStore: quota and LRU eviction', () => {
  it('evicts the least recently used chunks once the quota is reached', async () => {
    const { db } = freshDb();
    const s = open(db, 'a', { quotaBytes: 30, now: clock() });
    for (let i = 0; i < 3; i++) await put(s, i, fill(10, i));
    await put(s, 3, fill(10, 3));
    await assert.rejects(get(s, 0), isNotFound);
    for (let i = 1; i < 4; i++) assert.deepEqual(await get(s, i), fill(10, i));
    await close(s);
  });

  it('a get counts as a use', async () => {
    const { db } = freshDb();
    const s = open(db, 'a', { quotaBytes: 30, now: clock() });
    for (let i = 0; i < 3; i++) await put(s, i, fill(10, i));
    await get(s, 0);
    await put(s, 3, fill(10, 3));
    assert.deepEqual(await get(s, 0), fill(10, 0));
    await assert.rejects(get(s, 1), isNotFound);
    await close(s);
  });

  it('evicts across torrents, closed torrents first', async () => {
    const { db } = freshDb();
    const now = clock();
    const old = open(db, 'old', { quotaBytes: 40, now });
    await put(old, 0, fill(10, 1));
    await put(old, 1, fill(10, 1));
    await close(old);
    const cur = open(db, 'cur', { quotaBytes: 40, now });
    await put(cur, 0, fill(10, 2));
    await put(cur, 1, fill(10, 2));
    await put(cur, 2, fill(10, 2));
    const oldAgain = open(db, 'old', { quotaBytes: 40, now });
    await assert.rejects(get(oldAgain, 0), isNotFound);
    assert.deepEqual(await get(oldAgain, 1), fill(10, 1));
    await Promise.all([close(cur), close(oldAgain)]);
  });

  it('prefers a closed torrent even when the open one has older chunks', async () => {
    const { db } = freshDb();
    const now = clock();
    const cur = open(db, 'cur', { quotaBytes: 30, now });
    await put(cur, 0, fill(10, 2));
    const other = open(db, 'other', { quotaBytes: 30, now });
    await put(other, 0, fill(10, 1));
    await close(other);
    await put(cur, 1, fill(10, 2));
    await put(cur, 2, fill(10, 2));
    assert.deepEqual(await get(cur, 0), fill(10, 2));
    const otherAgain = open(db, 'other', { quotaBytes: 30, now });
    await assert.rejects(get(otherAgain, 0), isNotFound);
    await Promise.all([close(cur), close(otherAgain)]);
  });

  it('tells an open torrent which of its chunks it evicted (default: torrent._markUnverified)', async () => {
    const { db } = freshDb();
    const unverified: number[] = [];
    const torrent = { infoHash: 'cd'.repeat(20), _markUnverified: (i: number) => unverified.push(i) };
    const s = new IdbChunkStore(10, { idbStore: db, torrent, quotaBytes: 20, now: clock() });
    for (let i = 0; i < 4; i++) await put(s, i, fill(10, i));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(unverified, [0, 1]);
    await close(s);
  });

  it('never evicts a chunk before its put callback ran (WebTorrent marks it verified there)', async () => {
    const { name, db } = freshDb();
    const events: string[] = [];
    const s = open(db, 'a', { quotaBytes: 30, now: clock(), onEvict: (i) => events.push(`E${i}`) });
    await Promise.all(
      Array.from(
        { length: 12 },
        (_, i) =>
          new Promise<void>((resolve, reject) =>
            s.put(i, fill(10, i), (err) => {
              if (err) return reject(err);
              events.push(`V${i}`);
              resolve();
            }),
          ),
      ),
    );
    for (let i = 0; i < 12; i++) {
      const evicted = events.indexOf(`E${i}`);
      if (evicted !== -1) assert.ok(events.indexOf(`V${i}`) < evicted, `chunk ${i}: ${events.join(' ')}`);
    }
    await close(s);
    // In flight, puts may pass the quota; once their callbacks ran the total is trimmed back.
    const chunkKeys = (await keys(createStore(name, 'chunks'))).filter((k) => Array.isArray(k) && k[0] === 'c');
    assert.equal(chunkKeys.length, 3);
    assert.equal(events.filter((e) => e.startsWith('E')).length, 9);
  });

  it('never evicts a chunk while a get of it is in flight', async () => {
    const { db } = freshDb();
    const s = open(db, 'a', { quotaBytes: 20, now: clock() });
    await put(s, 0, fill(10, 0));
    await put(s, 1, fill(10, 1));
    const reading = get(s, 0); // chunk 0 is the oldest, and busy
    await put(s, 2, fill(10, 2));
    assert.deepEqual(await reading, fill(10, 0));
    await assert.rejects(get(s, 1), isNotFound);
    await close(s);
  });

  it('refuses a chunk larger than the whole quota', async () => {
    const { db } = freshDb();
    const s = open(db, 'a', { quotaBytes: 5 });
    await assert.rejects(put(s, 0, fill(10, 1)), /larger than the quota/);
    await close(s);
  });

  it('keeps the total within the quota under concurrent puts', async () => {
    const { name, db } = freshDb();
    const s = open(db, 'a', { quotaBytes: 50, now: clock() });
    await Promise.all(Array.from({ length: 20 }, (_, i) => put(s, i, fill(10, i))));
    await close(s);
    const chunkKeys = (await keys(createStore(name, 'chunks'))).filter((k) => Array.isArray(k) && k[0] === 'c');
    assert.equal(chunkKeys.length, 5);
  });
});

describe('IdbChunkStore: reload', () => {
  it('a store reopened on the same database finds its chunks', async () => {
    const { name, db } = freshDb();
    const s = open(db, 'a', { length: 25 });
    await put(s, 0, fill(10, 1));
    await put(s, 2, fill(5, 3));
    await close(s);
    const again = open(createStore(name, 'chunks'), 'a', { length: 25 });
    assert.deepEqual(await get(again, 0), fill(10, 1));
    assert.deepEqual(await get(again, 2), fill(5, 3));
    await assert.rejects(get(again, 1), isNotFound);
    await close(again);
  });

  it('keeps the LRU order across a reload, reads included', async () => {
    const { name, db } = freshDb();
    const now = clock();
    const s = open(db, 'a', { quotaBytes: 30, now });
    for (let i = 0; i < 3; i++) await put(s, i, fill(10, i));
    await get(s, 0); // 0 is now the youngest; close writes the batched use
    await close(s);
    const again = open(createStore(name, 'chunks'), 'a', { quotaBytes: 30, now });
    await put(again, 3, fill(10, 3));
    await assert.rejects(get(again, 1), isNotFound);
    assert.deepEqual(await get(again, 0), fill(10, 0));
    assert.deepEqual(await get(again, 2), fill(10, 2));
    await close(again);
  });

  it('counts chunks stored before the reload against the quota', async () => {
    const { name, db } = freshDb();
    const now = clock();
    const s = open(db, 'a', { quotaBytes: 30, now });
    for (let i = 0; i < 3; i++) await put(s, i, fill(10, i));
    await close(s);
    const b = open(createStore(name, 'chunks'), 'b', { quotaBytes: 30, now });
    await put(b, 0, fill(10, 9));
    await close(b);
    const chunkKeys = (await keys(createStore(name, 'chunks'))).filter((k) => Array.isArray(k) && k[0] === 'c');
    assert.equal(chunkKeys.length, 3);
  });
});

describe('IdbChunkStore: destroy', () => {
  it('removes only its own torrent', async () => {
    const { name, db } = freshDb();
    const a = open(db, 'a');
    const b = open(db, 'b');
    await put(a, 0, fill(10, 1));
    await put(a, 1, fill(10, 1));
    await put(b, 0, fill(10, 2));
    await destroy(a);
    await close(b);
    const db2 = createStore(name, 'chunks');
    const left = await keys(db2);
    assert.deepEqual(left.map((k) => (k as unknown[]).slice(0, 2).join(':')).sort(), ['c:b', 'u:b']);
    const a2 = open(db2, 'a');
    await assert.rejects(get(a2, 0), isNotFound);
    const b2 = open(db2, 'b');
    assert.deepEqual(await get(b2, 0), fill(10, 2));
    await Promise.all([close(a2), close(b2)]);
  });

  it('frees the quota it held', async () => {
    const { db } = freshDb();
    const now = clock();
    const a = open(db, 'a', { quotaBytes: 20, now });
    await put(a, 0, fill(10, 1));
    await put(a, 1, fill(10, 1));
    await destroy(a);
    const b = open(db, 'b', { quotaBytes: 20, now });
    await put(b, 0, fill(10, 2));
    await put(b, 1, fill(10, 2));
    assert.deepEqual(await get(b, 0), fill(10, 2));
    await close(b);
  });
});

describe('IdbChunkStore: a failing IndexedDB', () => {
  it('surfaces a rejecting database as callback errors', async () => {
    const failing: UseStore = () => Promise.reject(new Error('idb down'));
    const s = open(failing, 'a');
    await assert.rejects(put(s, 0, fill(10, 1)), /idb down/);
    await assert.rejects(get(s, 0), /idb down/);
    await close(s);
  });

  it('surfaces a database that throws synchronously as callback errors', async () => {
    const throwing: UseStore = () => {
      throw new Error('idb threw');
    };
    const s = open(throwing, 'a');
    await assert.rejects(put(s, 0, fill(10, 1)), /idb threw/);
    await assert.rejects(get(s, 0), /idb threw/);
    await assert.rejects(destroy(s), /idb threw/);
  });

  it('a failed write leaves the quota bookkeeping as it was', async () => {
    const { db } = freshDb();
    let failWrites = false;
    const flaky: UseStore = (mode, cb) => (failWrites && mode === 'readwrite' ? Promise.reject(new Error('quota exceeded')) : db(mode, cb));
    const now = clock();
    const s = open(flaky, 'a', { quotaBytes: 20, now });
    await put(s, 0, fill(10, 0));
    await put(s, 1, fill(10, 1));
    failWrites = true;
    await assert.rejects(put(s, 2, fill(10, 2)), /quota exceeded/);
    failWrites = false;
    // Chunk 0 was the planned victim of the failed put; it is still stored and still the oldest.
    assert.deepEqual(await get(s, 1), fill(10, 1));
    await put(s, 3, fill(10, 3));
    await assert.rejects(get(s, 0), isNotFound);
    assert.deepEqual(await get(s, 1), fill(10, 1));
    await assert.rejects(get(s, 2), isNotFound);
    await close(s);
  });

  it('a load that failed once is retried', async () => {
    const { db } = freshDb();
    let fail = true;
    const flaky: UseStore = (mode, cb) => (fail ? Promise.reject(new Error('blocked')) : db(mode, cb));
    const s = open(flaky, 'a');
    await assert.rejects(put(s, 0, fill(10, 1)), /blocked/);
    fail = false;
    await put(s, 0, fill(10, 1));
    assert.deepEqual(await get(s, 0), fill(10, 1));
    await close(s);
  });
});
