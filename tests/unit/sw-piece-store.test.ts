/**
 * sw/store/piece-store.ts against an in-memory IndexedDB (fake-indexeddb): the byte quota with
 * whole-asset LRU eviction, busy assets, `a:` records, clean-up after a deploy, lost reports,
 * reloads (a new worker) and storage failures.
 */
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createStore, del, keys, set, type UseStore } from 'idb-keyval';
import type { Manifest, ManifestAsset } from '../../protocol/manifest.ts';
import { assetKey, pieceKey, useKey } from '../../protocol/store-keys.ts';
import { PieceStore, type PieceStoreOptions } from '../../sw/store/piece-store.ts';

const PIECE = 10;
const hashOf = (name: string): string => Buffer.from(name.padEnd(32, '.')).toString('hex').slice(0, 64);
const A = hashOf('a');
const B = hashOf('b');
const C = hashOf('c');
const D = hashOf('d');

/** An asset of `size` bytes in PIECE-byte pieces (piece hashes are not the store's business). */
function asset(hash: string, size: number): ManifestAsset {
  return { hash, size, type: 'application/octet-stream', ...(size > PIECE ? { piecesRoot: '0'.repeat(64) } : {}) };
}

function manifestOf(...assets: ManifestAsset[]): Manifest {
  return {
    version: 2,
    build: '0123456789abcdef0123',
    pieceSize: PIECE,
    builtAt: '2024-01-01T00:00:00.000Z',
    assets: Object.fromEntries(assets.map((a, i) => [`f${i}`, a])),
  };
}

let dbCount = 0;
const freshDb = (): UseStore => createStore(`piece-store-test-${++dbCount}`, 'pieces');

function clock(): () => number {
  let t = 1_000;
  return () => ++t;
}

interface Harness {
  store: PieceStore;
  lost: string[];
}

function open(db: UseStore, manifest: Manifest, quotaBytes: number, extra: Partial<PieceStoreOptions> = {}): Harness {
  const lost: string[] = [];
  const store = new PieceStore({ manifest, quotaBytes, db, now: clock(), onLost: (h) => void lost.push(...h), ...extra });
  return { store, lost };
}

const bytes = (n: number, fill = 1): ArrayBuffer => new Uint8Array(n).fill(fill).buffer;

/** Writes every piece of `a` and its `a:` record; resolves with what each write and markComplete said. */
async function storeAsset(store: PieceStore, a: ManifestAsset): Promise<{ writes: boolean[]; complete: boolean }> {
  const count = Math.ceil(a.size / PIECE);
  const writes = Array.from({ length: count }, (_, i) => store.writePiece(a.hash, i, bytes(Math.min(PIECE, a.size - i * PIECE))));
  await store.flush();
  const done = await Promise.all(writes);
  return { writes: done, complete: await store.markComplete(a.hash, a.size, count) };
}

const order = async (store: PieceStore): Promise<string[]> => (await store.usage()).assets.map((e) => e.hash);
const storedKeys = async (db: UseStore): Promise<string[]> => (await keys(db)).map(String).sort();
const keysOf = (hash: string, pieces: number, complete: boolean): string[] => [
  ...Array.from({ length: pieces }, (_, i) => pieceKey(hash, i)),
  useKey(hash),
  ...(complete ? [assetKey(hash)] : []),
];

describe('PieceStore: pieces and a: records', () => {
  it('reads back what it wrote and counts exact bytes, a short last piece included', async () => {
    const db = freshDb();
    const a = asset(A, 25);
    const { store } = open(db, manifestOf(a), 1000);
    assert.deepEqual(await storeAsset(store, a), { writes: [true, true, true], complete: true });
    const read = await store.readPieces(A, [0, 2, 3]);
    assert.deepEqual(
      read.map((d) => d?.byteLength),
      [10, 5, undefined],
    );
    assert.equal((await store.usage()).totalBytes, 25);
    assert.deepEqual(await storedKeys(db), keysOf(A, 3, true).sort());
  });

  it('a piece written twice (two responses) is stored and counted once', async () => {
    const a = asset(A, 20);
    const { store } = open(freshDb(), manifestOf(a), 1000);
    const writes = [store.writePiece(A, 0, bytes(10)), store.writePiece(A, 0, bytes(10))];
    await store.flush();
    assert.deepEqual(await Promise.all(writes), [true, true]);
    await store.writePiece(A, 0, bytes(10));
    assert.equal((await store.usage()).totalBytes, 10);
  });

  it('a piece deleted behind its back (another tool, a test) is put again by the next write of it', async () => {
    const db = freshDb();
    const a = asset(A, 20);
    const { store } = open(db, manifestOf(a), 1000);
    await storeAsset(store, a);
    await del(pieceKey(A, 1), db);
    assert.equal(await store.writePiece(A, 1, bytes(10)), true);
    assert.equal((await store.readPieces(A, [1]))[0]?.byteLength, 10);
    assert.equal((await store.usage()).totalBytes, 20);
  });

  it('markComplete: false while pieces are missing, true once, even with the last piece still batched', async () => {
    const a = asset(A, 20);
    const { store } = open(freshDb(), manifestOf(a), 1000);
    await store.writePiece(A, 0, bytes(10));
    assert.equal(await store.markComplete(A, 20, 2), false);
    const last = store.writePiece(A, 1, bytes(10)); // not flushed: markComplete flushes first
    assert.equal(await store.markComplete(A, 20, 2), true);
    assert.equal(await last, true);
    assert.equal(await store.markComplete(A, 20, 2), false);
  });

  it('a corrupt stored piece is deleted; its complete asset is lost until stored again', async () => {
    const db = freshDb();
    const a = asset(A, 20);
    const { store, lost } = open(db, manifestOf(a), 1000);
    await storeAsset(store, a);
    await store.deletePiece(A, 1);
    assert.deepEqual(lost, [A]);
    assert.deepEqual(await storedKeys(db), [pieceKey(A, 0), useKey(A)]);
    assert.equal((await store.usage()).totalBytes, 10);
    assert.deepEqual(await storeAsset(store, a), { writes: [true, true], complete: true });
  });
});

describe('PieceStore: quota and LRU eviction', () => {
  it('stays within the quota over many writes, evicting whole assets with their records', async () => {
    const db = freshDb();
    const assets = Array.from({ length: 20 }, (_, i) => asset(hashOf(`asset-${i}`), 30));
    const { store, lost } = open(db, manifestOf(...assets), 100);
    for (const a of assets) {
      assert.equal((await storeAsset(store, a)).complete, true);
      assert.ok((await store.usage()).totalBytes <= 100);
    }
    // The three most recent assets fit (90 bytes); every older one went whole, and was announced lost.
    const kept = assets.slice(-3).map((a) => a.hash);
    assert.deepEqual(await order(store), kept);
    assert.deepEqual(await storedKeys(db), kept.flatMap((h) => keysOf(h, 3, true)).sort());
    assert.deepEqual(
      lost,
      assets.slice(0, -3).map((a) => a.hash),
    );
  });

  it('evicts the least recently used asset: a read makes an asset young', async () => {
    const all = [asset(A, 30), asset(B, 30), asset(C, 30), asset(D, 30)];
    const { store, lost } = open(freshDb(), manifestOf(...all), 90);
    for (const a of all.slice(0, 3)) await storeAsset(store, a);
    assert.equal((await store.readPieces(A, [1]))[0]?.byteLength, 10);
    await storeAsset(store, all[3]!);
    assert.deepEqual(await order(store), [C, A, D]);
    assert.deepEqual(lost, [B]);
  });

  it('a partial asset evicted is not reported lost (it was never announced)', async () => {
    const { store, lost } = open(freshDb(), manifestOf(asset(A, 30), asset(B, 30)), 30);
    await store.writePiece(A, 0, bytes(10));
    await storeAsset(store, asset(B, 30));
    assert.deepEqual(await order(store), [B]);
    assert.deepEqual(lost, []);
  });

  it('never evicts a held (served) asset: another goes, and the quota is restored on release', async () => {
    const all = [asset(A, 30), asset(B, 30), asset(C, 30)];
    const { store, lost } = open(freshDb(), manifestOf(...all), 60);
    await storeAsset(store, all[0]!);
    await storeAsset(store, all[1]!);
    const releaseA = store.hold(A);
    const releaseB = store.hold(B);
    const releaseC = store.hold(C); // as the worker holds an asset for the response that stores it
    await storeAsset(store, all[2]!); // A and B busy: nothing can go
    assert.equal((await store.usage()).totalBytes, 90);
    releaseB();
    releaseB(); // a second call does nothing
    assert.deepEqual(await order(store), [A, C]);
    assert.deepEqual(lost, [B]);
    releaseA();
    releaseC();
    assert.deepEqual(await order(store), [A, C]);
  });

  it('pieces of an asset being written are not evicted by its own or another asset in the same batch', async () => {
    const all = [asset(A, 20), asset(B, 20)];
    const { store } = open(freshDb(), manifestOf(...all), 30);
    const writes = [0, 1].flatMap((i) => [store.writePiece(A, i, bytes(10)), store.writePiece(B, i, bytes(10))]);
    await store.flush();
    assert.deepEqual(await Promise.all(writes), [true, true, true, true]);
    // Over the quota only while both were being written; then the older (A) goes.
    assert.deepEqual(await order(store), [B]);
  });

  it('refuses pieces that would make one asset alone larger than the quota', async () => {
    const { store } = open(freshDb(), manifestOf(asset(A, 50)), 30);
    const { writes, complete } = await storeAsset(store, asset(A, 50));
    assert.deepEqual(writes, [true, true, true, false, false]);
    assert.equal(complete, false);
    assert.equal((await store.usage()).totalBytes, 30);
  });
});

describe('PieceStore: a new worker (reload) and clean-up after a deploy', () => {
  it('use records survive a reload: the next worker evicts in the same order', async () => {
    const db = freshDb();
    const all = [asset(A, 30), asset(B, 30), asset(C, 30), asset(D, 30)];
    const first = open(db, manifestOf(...all), 90).store;
    for (const a of all.slice(0, 3)) await storeAsset(first, a);
    await first.readPieces(A, [0]);
    await first.flush(); // the read's new place is written with the next batch
    const { store, lost } = open(db, manifestOf(...all), 90);
    assert.deepEqual(await order(store), [B, C, A]);
    await storeAsset(store, all[3]!);
    assert.deepEqual(lost, [B]);
  });

  it('clean-up deletes exactly the assets the new manifest lacks, and reports the complete ones lost', async () => {
    const db = freshDb();
    const old = [asset(A, 20), asset(B, 20), asset(C, 20)];
    const before = open(db, manifestOf(...old), 1000).store;
    await storeAsset(before, old[0]!);
    await storeAsset(before, old[1]!);
    await before.writePiece(C, 0, bytes(10)); // partial: never announced
    await before.flush();
    await set('unrelated', 1, db); // not ours: left alone

    const next = manifestOf(asset(B, 20), asset(D, 20)); // B unchanged across the deploy, A and C gone
    const { store, lost } = open(db, next, 1000);
    await store.cleanUp();
    assert.deepEqual(lost, [A]);
    assert.deepEqual(await storedKeys(db), [...keysOf(B, 2, true), 'unrelated'].sort());
    assert.deepEqual(await order(store), [B]);
    assert.equal((await store.usage()).totalBytes, 20);
  });

  it("clean-up also evicts down to a new deploy's smaller quota, least recently used first", async () => {
    const db = freshDb();
    const all = [asset(A, 20), asset(B, 20), asset(C, 20)];
    const before = open(db, manifestOf(...all), 1000).store;
    for (const a of all) await storeAsset(before, a);
    const { store, lost } = open(db, manifestOf(...all), 40);
    await store.cleanUp();
    assert.deepEqual(lost, [A]);
    assert.deepEqual(await order(store), [B, C]);
  });

  it('adopts pieces stored before the quota existed (no use records) as least recently used, and drops a stale a: record', async () => {
    const db = freshDb();
    // As the worker without a quota left them: pieces and a: records only.
    for (let i = 0; i < 2; i++) await set(pieceKey(A, i), bytes(10), db);
    await set(assetKey(A), { hash: A, size: 20, pieces: 2, complete: true, storedAt: 1 }, db);
    await set(pieceKey(B, 0), bytes(10), db); // B's a: says complete, but piece 1 went (a corrupt piece deleted)
    await set(assetKey(B), { hash: B, size: 20, pieces: 2, complete: true, storedAt: 1 }, db);
    const { store, lost } = open(db, manifestOf(asset(A, 20), asset(B, 20), asset(C, 20)), 40);
    await storeAsset(store, asset(C, 20));
    assert.deepEqual(lost, [B, A], 'B at load (stale a:), then A evicted as the oldest for C');
    assert.deepEqual(await order(store), [B, C]);
    assert.deepEqual(await storedKeys(db), [pieceKey(B, 0), useKey(B), ...keysOf(C, 2, true)].sort());
  });
});

describe('PieceStore: storage failures', () => {
  it('a store that cannot open reads as empty, refuses writes and never throws', async () => {
    const broken: UseStore = () => Promise.reject(new Error('no IndexedDB here'));
    const { store } = open(broken, manifestOf(asset(A, 20)), 1000);
    assert.deepEqual(await store.readPieces(A, [0, 1]), [undefined, undefined]);
    assert.equal(await store.writePiece(A, 0, bytes(10)), false);
    assert.equal(await store.markComplete(A, 20, 2), false);
    await store.deletePiece(A, 0);
    await store.cleanUp();
  });

  it('a change that fails to commit is not kept in memory: the next change starts from what is stored', async () => {
    const real = freshDb();
    let failWrites = false;
    const flaky: UseStore = (mode, callback) =>
      failWrites && mode === 'readwrite' ? Promise.reject(new Error('quota exceeded')) : real(mode, callback);
    const { store } = open(flaky, manifestOf(asset(A, 20), asset(B, 20)), 1000);
    await storeAsset(store, asset(A, 20));
    failWrites = true;
    assert.equal(await store.writePiece(B, 0, bytes(10)), false);
    failWrites = false;
    assert.deepEqual(await order(store), [A]);
    assert.equal((await store.usage()).totalBytes, 20);
  });
});
