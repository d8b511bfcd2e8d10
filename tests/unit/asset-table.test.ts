/**
 * The asset table out of the worker (issue 14): its encoding, the inlined key set and the check
 * against the inlined root (protocol/asset-table.ts), and the worker's fetch-verify-store of it
 * (sw/asset-table.ts): a worker never answers from a table it has not verified, a restarted
 * worker reads it back without the network, a missing one is fetched again, a tampered one is
 * refused.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { splitManifest } from '../../builder/worker-manifest.ts';
import { AssetKeys, assetTablePath, encodeAssetKeys, encodeAssetTable, verifyAssetTable } from '../../protocol/asset-table.ts';
import { encodeHashSet, HashSet } from '../../protocol/hash-set.ts';
import { ASSET_TABLE_INLINE_MAX_BYTES, ASSET_TABLE_RETRY_MS } from '../../protocol/limits.ts';
import type { Manifest, ManifestAsset } from '../../protocol/manifest.ts';
import { fnv1a } from '../../protocol/page-set.ts';
import { type AssetTableError, type AssetTableStorage, WorkerAssetTable } from '../../sw/asset-table.ts';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const PIECE = 64 * 1024;
const SITE = 'https://site.example/';
const h = (s: string): string => sha(new TextEncoder().encode(s));

const ASSETS: Record<string, ManifestAsset> = {
  'css/site.css': { hash: h('css'), size: 120, type: 'text/css; charset=utf-8' },
  'img/café.jpg': { hash: h('jpg'), size: 3 * PIECE + 5, type: 'image/jpeg', piecesRoot: h('list') },
  'media/clip.mp4': {
    hash: h('mp4'),
    size: 10,
    type: 'video/mp4',
    torrent: {
      infoHash: 'a'.repeat(40),
      pieceLength: 256 * 1024,
      file: 'peer-connect-torrents/clip.mp4.torrent',
      announce: '/peer-connect/announce',
    },
  },
};

function built(assets: Record<string, ManifestAsset> = ASSETS) {
  const bytes = encodeAssetTable(assets);
  return { bytes, root: sha(bytes), keys: new AssetKeys(encodeAssetKeys(Object.keys(assets))) };
}

describe('hash set (protocol/hash-set.ts)', () => {
  it('is 4 bytes a member, sorted and deduplicated; malformed input is empty', () => {
    const encoded = encodeHashSet([5, 0xffffffff, 5, 1]);
    assert.equal(atob(encoded).length, 12);
    const set = new HashSet(encoded);
    assert.equal(set.size, 3);
    for (const n of [1, 5, 0xffffffff]) assert.equal(set.has(n), true, String(n));
    for (const n of [0, 2, 6, 0xfffffffe]) assert.equal(set.has(n), false, String(n));
    assert.equal(new HashSet('***').size, 0);
    assert.equal(new HashSet(undefined).size, 0);
  });
});

describe('asset table (protocol/asset-table.ts)', () => {
  it('is the assets record as JSON, at peer-connect-assets/<root>.json, and reads back through its root', async () => {
    const { bytes, root, keys } = built();
    assert.deepEqual(JSON.parse(new TextDecoder().decode(bytes)), ASSETS);
    assert.equal(assetTablePath(root), `peer-connect-assets/${root}.json`);
    const checked = await verifyAssetTable(bytes, root, { pieceSize: PIECE, keys, sha256: sha });
    assert.ok(checked.ok);
    assert.deepEqual(checked.value.get('img/café.jpg'), ASSETS['img/café.jpg']);
    assert.equal(checked.value.get('img/cafe.jpg'), undefined);
    assert.equal(checked.value.get('__proto__'), undefined, 'only own keys are assets');
    assert.equal(checked.value.get('constructor'), undefined);
  });

  it('the key set holds 4 bytes an asset and finds each key, not others', () => {
    const encoded = encodeAssetKeys(Object.keys(ASSETS));
    assert.equal(atob(encoded).length, 4 * Object.keys(ASSETS).length);
    const keys = new AssetKeys(encoded);
    for (const k of Object.keys(ASSETS)) assert.equal(keys.mayHave(k), true, k);
    for (const k of ['img/cafe.jpg', 'css/site.css/', '', 'index.html']) assert.equal(keys.mayHave(k), false, k);
  });

  it('a table of another build, or tampered with, fails its root and none of it is used', async () => {
    const { bytes, root, keys } = built();
    const other = built({ ...ASSETS, 'css/site.css': { ...ASSETS['css/site.css']!, size: 121 } });
    const opts = { pieceSize: PIECE, keys, sha256: sha };
    const theirs = await verifyAssetTable(other.bytes, root, opts);
    assert.equal(!theirs.ok && theirs.code, 'asset-table-root');
    const tampered = bytes.slice();
    tampered[10] = tampered[10]! ^ 1;
    const edited = await verifyAssetTable(tampered, root, opts);
    assert.equal(!edited.ok && edited.code, 'asset-table-root');
    const badRoot = await verifyAssetTable(bytes, 'not-a-root', opts);
    assert.equal(!badRoot.ok && badRoot.code, 'asset-table-root');
  });

  it('a table that matches its root is still refused when malformed or when a key is not in the key set', async () => {
    const keys = built().keys;
    const notJson = new TextEncoder().encode('{"a":');
    const r1 = await verifyAssetTable(notJson, sha(notJson), { pieceSize: PIECE, keys, sha256: sha });
    assert.equal(!r1.ok && r1.code, 'asset-table-invalid');
    const badAsset = encodeAssetTable({ 'css/site.css': { hash: 'x', size: 1, type: 't' } });
    const r2 = await verifyAssetTable(badAsset, sha(badAsset), { pieceSize: PIECE, keys, sha256: sha });
    assert.equal(!r2.ok && r2.code, 'asset-table-invalid');
    // A multi-piece asset without its list root is not a valid table for this piece size.
    const noRoot = encodeAssetTable({ 'img/café.jpg': { hash: h('jpg'), size: 3 * PIECE, type: 'image/jpeg' } });
    const r3 = await verifyAssetTable(noRoot, sha(noRoot), { pieceSize: PIECE, keys, sha256: sha });
    assert.equal(!r3.ok && r3.code, 'asset-table-invalid');
    const stray = encodeAssetTable({ ...ASSETS, 'secret/plan.pdf': ASSETS['css/site.css']! });
    const r4 = await verifyAssetTable(stray, sha(stray), { pieceSize: PIECE, keys, sha256: sha });
    assert.equal(!r4.ok && r4.code, 'asset-table-keys');
  });

  it('a key-set hit whose key the table lacks (a collision) is not an asset', async () => {
    // A key set that also holds `ghost.css`'s hash stands for a 32-bit collision with an asset.
    const { bytes } = built();
    const keys = new AssetKeys(encodeHashSet([...Object.keys(ASSETS), 'ghost.css'].map(fnv1a)));
    assert.equal(keys.mayHave('ghost.css'), true);
    const table = new WorkerAssetTable({
      fetch: tableOrigin(() => bytes).fetch,
      sha256: sha,
      storage: new MemTables(),
      siteRoot: SITE,
      root: sha(bytes),
      keys,
      pieceSize: PIECE,
    });
    await table.load();
    assert.deepEqual(table.lookup('ghost.css'), { kind: 'none' });
    assert.equal(table.lookup('css/site.css').kind, 'asset');
  });
});

class MemTables implements AssetTableStorage {
  readonly data = new Map<string, Uint8Array>();
  puts = 0;
  failing = false;
  async get(root: string) {
    if (this.failing) throw new Error('storage down');
    return this.data.get(root);
  }
  async put(root: string, bytes: Uint8Array) {
    this.puts++;
    this.data.set(root, bytes.slice());
  }
  async keepOnly(root: string) {
    for (const k of [...this.data.keys()]) if (k !== root) this.data.delete(k);
  }
}

function tableOrigin(body: () => Uint8Array | null) {
  const asked: string[] = [];
  return {
    asked,
    fetch: async (url: string): Promise<Response> => {
      asked.push(url);
      const b = body();
      return b ? new Response(b.slice(), { status: 200 }) : new Response('not here', { status: 404 });
    },
  };
}

/** A worker's table for the built site; `inline`: the bytes the script would inline (WorkerManifest.assetTable). */
function worker(origin: ReturnType<typeof tableOrigin>, storage: MemTables, now = () => 0, inline?: Uint8Array) {
  const { root, keys } = built();
  const errors: AssetTableError[] = [];
  const table = new WorkerAssetTable({
    fetch: origin.fetch,
    sha256: sha,
    storage,
    siteRoot: SITE,
    root,
    keys,
    ...(inline ? { inline } : {}),
    pieceSize: PIECE,
    onError: (e) => errors.push(e),
    now,
  });
  return { table, errors, root };
}

describe("the worker's asset table (sw/asset-table.ts)", () => {
  it('install: fetched once, verified, stored; then every lookup is synchronous', async () => {
    const { bytes } = built();
    const origin = tableOrigin(() => bytes);
    const storage = new MemTables();
    const { table, root } = worker(origin, storage);
    const first = table.lookup('css/site.css');
    assert.equal(first.kind, 'reading', 'a first request starts the load, and waits while storage is read');
    assert.equal(await (first as { asset: Promise<ManifestAsset | undefined> }).asset, undefined, 'none stored: it passes');
    const [a, b] = await Promise.all([table.load(), table.load()]);
    assert.equal(a, b);
    assert.deepEqual(origin.asked, [`${SITE}peer-connect-assets/${root}.json`]);
    assert.equal(storage.puts, 1);
    assert.deepEqual(table.lookup('css/site.css'), { kind: 'asset', asset: ASSETS['css/site.css'] });
    assert.deepEqual(table.lookup('index.html'), { kind: 'none' });
  });

  it('a restarted worker reads the stored table back, without the network; a request during the read waits for it', async () => {
    const { bytes } = built();
    const origin = tableOrigin(() => bytes);
    const storage = new MemTables();
    await worker(origin, storage).table.load();
    const restarted = worker(origin, storage).table;
    void restarted.load();
    const found = restarted.lookup('img/café.jpg');
    assert.equal(found.kind, 'reading');
    assert.deepEqual(await (found as { asset: Promise<ManifestAsset | undefined> }).asset, ASSETS['img/café.jpg']);
    assert.equal(origin.asked.length, 1, 'storage answers a restarted worker');
    assert.equal(restarted.lookup('img/café.jpg').kind, 'asset');
  });

  it('a table gone from storage (evicted) is fetched again; meanwhile requests pass through', async () => {
    const { bytes } = built();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => (release = r));
    const origin = tableOrigin(() => bytes);
    const slow = {
      asked: origin.asked,
      fetch: async (url: string) => {
        await gate;
        return origin.fetch(url);
      },
    };
    const storage = new MemTables();
    const { table } = worker(slow, storage);
    const loading = table.load();
    await new Promise((r) => setTimeout(r, 0)); // past the storage read: now fetching
    assert.deepEqual(table.lookup('css/site.css'), { kind: 'unavailable' }, 'no verified table: pass through');
    assert.deepEqual(table.lookup('nope.css'), { kind: 'none' });
    release();
    await loading;
    assert.equal(table.lookup('css/site.css').kind, 'asset');
    assert.equal(origin.asked.length, 1);
  });

  it('a stored table that fails its root is not used, and is fetched again', async () => {
    const { bytes, root } = built();
    const origin = tableOrigin(() => bytes);
    const storage = new MemTables();
    const corrupt = bytes.slice();
    corrupt[5] = corrupt[5]! ^ 1;
    storage.data.set(root, corrupt);
    const { table } = worker(origin, storage);
    await table.load();
    assert.equal(origin.asked.length, 1);
    assert.deepEqual(storage.data.get(root), bytes, 'overwritten with the verified table');
  });

  it('a tampered or missing table is refused with a clear error; requests pass through; tried again after a pause', async () => {
    const { bytes } = built();
    let served: Uint8Array | null = bytes.slice();
    served[3] = served[3]! ^ 1;
    const origin = tableOrigin(() => served);
    const storage = new MemTables();
    let now = 1_000;
    const { table, errors } = worker(origin, storage, () => now);
    await assert.rejects(table.load(), (e: AssetTableError) => e.code === 'asset-table-root');
    assert.equal(errors.length, 1);
    assert.match(errors[0]!.message, /peer-connect-assets\/[0-9a-f]{64}\.json: asset table: its SHA-256 is not/);
    assert.equal(storage.puts, 0, 'a refused table is not stored');
    assert.deepEqual(table.lookup('css/site.css'), { kind: 'unavailable' });
    assert.equal(origin.asked.length, 1, 'no new fetch before the pause');
    served = null;
    now += ASSET_TABLE_RETRY_MS;
    assert.notEqual(table.lookup('css/site.css').kind, 'asset', 'starts a new load, answers nothing from it yet');
    await assert.rejects(table.load(), (e: AssetTableError) => e.code === 'asset-table-fetch' && /status 404/.test(e.message));
    assert.equal(origin.asked.length, 2, 'tried again after the pause (one fetch, shared)');
    served = bytes;
    now += ASSET_TABLE_RETRY_MS;
    table.lookup('css/site.css');
    await table.load();
    assert.equal(table.lookup('css/site.css').kind, 'asset');
  });

  it('storage that fails reads as "not stored"; the clean-up keeps only this root', async () => {
    const { bytes, root } = built();
    const origin = tableOrigin(() => bytes);
    const storage = new MemTables();
    storage.failing = true;
    const { table } = worker(origin, storage);
    await table.load();
    assert.equal(origin.asked.length, 1);
    storage.data.set('f'.repeat(64), new Uint8Array([1]));
    await table.cleanUp();
    assert.deepEqual([...storage.data.keys()], [root]);
  });
});

describe('a small asset table inlined into the worker (ASSET_TABLE_INLINE_MAX_BYTES)', () => {
  const manifestOf = (assets: Record<string, ManifestAsset>): Manifest => ({
    version: 2,
    pieceSize: PIECE,
    build: 'ab'.repeat(10),
    builtAt: '2026-12-01T00:00:00.000Z',
    assets,
  });
  /** `n` one-piece assets: enough of them make a table past the inline limit. */
  const many = (n: number): Record<string, ManifestAsset> =>
    Object.fromEntries(Array.from({ length: n }, (_, i) => [`img/photo-${i}.jpg`, { hash: h(`p${i}`), size: 1000, type: 'image/jpeg' }]));

  it("the build inlines the table's own bytes when small, and only its root and key set when not", () => {
    const small = splitManifest(manifestOf(ASSETS));
    assert.ok(small.table.bytes.byteLength <= ASSET_TABLE_INLINE_MAX_BYTES);
    assert.equal(small.inlined.assetTable, new TextDecoder().decode(small.table.bytes));
    assert.equal(small.inlined.assetsRoot, sha(small.table.bytes));
    const large = splitManifest(manifestOf(many(200)));
    assert.ok(large.table.bytes.byteLength > ASSET_TABLE_INLINE_MAX_BYTES, `${large.table.bytes.byteLength} B`);
    assert.equal(large.inlined.assetTable, undefined);
    assert.equal('assets' in large.inlined, false);
  });

  it('an inlined table is verified and used without storage or the network', async () => {
    const { bytes } = built();
    const origin = tableOrigin(() => null);
    const storage = new MemTables();
    const { table } = worker(origin, storage, undefined, bytes);
    const found = table.lookup('img/café.jpg');
    assert.equal(found.kind, 'reading', 'a request while the inlined table is checked waits for it');
    assert.deepEqual(await (found as { asset: Promise<ManifestAsset | undefined> }).asset, ASSETS['img/café.jpg']);
    assert.deepEqual(table.lookup('css/site.css'), { kind: 'asset', asset: ASSETS['css/site.css'] });
    assert.deepEqual(origin.asked, []);
    assert.equal(storage.puts, 0);
  });

  it('inlined bytes that fail the root are never used: the table is fetched and checked as for a large site', async () => {
    const { bytes } = built();
    const edited = built({ ...ASSETS, 'css/site.css': { ...ASSETS['css/site.css']!, size: 999 } }).bytes;
    const origin = tableOrigin(() => bytes);
    const { table } = worker(origin, new MemTables(), undefined, edited);
    await table.load();
    assert.equal(origin.asked.length, 1);
    assert.deepEqual(table.lookup('css/site.css'), { kind: 'asset', asset: ASSETS['css/site.css'] });
  });
});
