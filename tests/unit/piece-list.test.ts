/**
 * Piece-hash lists out of the worker (issue 14): the list's encoding and its check against the
 * manifest root (protocol/piece-list.ts), the worker's fetch-verify-cache of lists
 * (sw/piece-lists.ts), and a gather whose list cannot be trusted (sw/gather-pieces.ts,
 * sw/serve-asset.ts): no byte of it is used, the page's request goes to the network.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { ManifestAsset } from '../../protocol/manifest.ts';
import { encodePieceList, PIECE_HASH_BYTES, pieceListPath, singlePieceHashes, verifyPieceList } from '../../protocol/piece-list.ts';
import { GatherError, isGatherError } from '../../sw/gather-errors.ts';
import { type PieceListStorage, PieceLists } from '../../sw/piece-lists.ts';
import { type ServeOutcome, serveAsset } from '../../sw/serve-asset.ts';
import {
  deps,
  type Effects,
  FakeBridge,
  FakeOrigin,
  MemStore,
  makeAsset,
  PASSED_HEADER,
  PIECE,
  pieceReply,
  range,
  T,
  URL_,
} from './support/sw-fakes.ts';

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const hashes = (n: number): string[] => Array.from({ length: n }, (_, i) => sha(new Uint8Array([i, i >> 8])));

describe('piece list encoding', () => {
  it('is 32 raw bytes a piece, in order, and reads back through its root', async () => {
    const pieces = hashes(5);
    const list = encodePieceList(pieces);
    assert.equal(list.byteLength, 5 * PIECE_HASH_BYTES);
    assert.equal(Buffer.from(list.subarray(32, 64)).toString('hex'), pieces[1]);
    const checked = await verifyPieceList(list, sha(list), 5, sha);
    assert.ok(checked.ok);
    assert.equal(checked.value.count, 5);
    assert.deepEqual(
      range(0, 4).map((i) => checked.value.hashAt(i)),
      pieces,
    );
    assert.equal(checked.value.hashAt(5), '', 'past the end: no hash, so no piece can match');
    assert.equal(checked.value.hashAt(-1), '');
  });

  it('refuses a list of another length, or one byte changed, before any of it is used', async () => {
    const list = encodePieceList(hashes(4));
    const root = sha(list);
    const short = await verifyPieceList(list.subarray(0, 3 * 32), root, 4, sha);
    assert.ok(!short.ok && short.code === 'piece-list-length');
    const longer = await verifyPieceList(new Uint8Array([...list, 0]), root, 4, sha);
    assert.ok(!longer.ok && longer.code === 'piece-list-length');
    const tampered = list.slice();
    tampered[70]! ^= 1;
    const bad = await verifyPieceList(tampered, root, 4, sha);
    assert.ok(!bad.ok && bad.code === 'piece-list-root');
    // The right bytes for another asset's count.
    const count = await verifyPieceList(list, root, 5, sha);
    assert.ok(!count.ok && count.code === 'piece-list-length');
  });

  it('throws on a malformed hex hash (the build made them: a bug of ours)', () => {
    assert.throws(() => encodePieceList(['zz']));
    assert.throws(() => encodePieceList(['A'.repeat(64)]));
  });

  it('a one-piece asset needs no list: its piece hash is its file hash', () => {
    const h = hashes(1)[0]!;
    assert.equal(singlePieceHashes(h, 1).hashAt(0), h);
    assert.equal(singlePieceHashes(h, 1).hashAt(1), '');
    assert.equal(singlePieceHashes(h, 0).hashAt(0), '');
  });

  it('lives at peer-connect-pieces/<root>.bin', () => {
    assert.equal(pieceListPath('ab'.repeat(32)), `peer-connect-pieces/${'ab'.repeat(32)}.bin`);
  });
});

/** An in-memory IndexedDB side, counting what was read and written. */
class MemLists implements PieceListStorage {
  readonly map = new Map<string, Uint8Array>();
  puts = 0;
  get = async (root: string) => this.map.get(root)?.slice();
  put = async (root: string, bytes: Uint8Array) => {
    this.puts++;
    this.map.set(root, bytes.slice());
  };
  keepOnly = async (roots: ReadonlySet<string>) => {
    for (const r of [...this.map.keys()]) if (!roots.has(r)) this.map.delete(r);
  };
}

const SITE = 'https://site.example/blog/';

function listAsset(count: number): { asset: ManifestAsset; list: Uint8Array; pieces: string[] } {
  const pieces = hashes(count);
  const list = encodePieceList(pieces);
  return { asset: { hash: sha(list.subarray(0, 1)), size: count * PIECE - 10, type: 'image/jpeg', piecesRoot: sha(list) }, list, pieces };
}

/** A fake origin for list files: answers each URL with `body(url)` (null: 404), counting requests. */
function listOrigin(body: (url: string) => Uint8Array | null) {
  const asked: string[] = [];
  return {
    asked,
    fetch: async (url: string): Promise<Response> => {
      asked.push(url);
      const b = body(url);
      return b ? new Response(b.slice(), { status: 200 }) : new Response('not here', { status: 404 });
    },
  };
}

const lists = (origin: ReturnType<typeof listOrigin>, storage: PieceListStorage, memoryBytes?: number): PieceLists =>
  new PieceLists({ fetch: origin.fetch, sha256: sha, storage, siteRoot: SITE, pieceSize: PIECE, ...(memoryBytes ? { memoryBytes } : {}) });

describe('the worker fetches piece lists on demand (sw/piece-lists.ts)', () => {
  it('one fetch for concurrent and later requests; stored; a new worker reads storage, not the network', async () => {
    const { asset, list, pieces } = listAsset(6);
    const origin = listOrigin(() => list);
    const storage = new MemLists();
    const pl = lists(origin, storage);
    const [a, b] = await Promise.all([pl.hashesFor(asset), pl.hashesFor(asset)]);
    assert.equal(a, b);
    assert.deepEqual(origin.asked, [`${SITE}${pieceListPath(asset.piecesRoot!)}`]);
    assert.equal((await pl.hashesFor(asset)).hashAt(5), pieces[5]);
    assert.equal(origin.asked.length, 1, 'memory answers');
    assert.equal(storage.puts, 1);
    const restarted = lists(origin, storage);
    assert.equal((await restarted.hashesFor(asset)).hashAt(2), pieces[2]);
    assert.equal(origin.asked.length, 1, 'storage answers a new worker');
  });

  it('a one-piece or empty asset fetches nothing', async () => {
    const origin = listOrigin(() => null);
    const pl = lists(origin, new MemLists());
    const one = await pl.hashesFor({ hash: 'c'.repeat(64), size: PIECE });
    assert.equal(one.hashAt(0), 'c'.repeat(64));
    assert.equal((await pl.hashesFor({ hash: 'c'.repeat(64), size: 0 })).count, 0);
    assert.deepEqual(origin.asked, []);
  });

  it('a tampered, truncated or missing list is refused with piece-list, never stored, and asked again next time', async () => {
    const { asset, list } = listAsset(4);
    const tampered = list.slice();
    tampered[0]! ^= 0xff;
    for (const served of [tampered, list.subarray(0, 64), null]) {
      const origin = listOrigin(() => served);
      const storage = new MemLists();
      const pl = lists(origin, storage);
      await assert.rejects(pl.hashesFor(asset), (e: unknown) => isGatherError(e, 'piece-list'));
      await assert.rejects(pl.hashesFor(asset), (e: unknown) => isGatherError(e, 'piece-list'));
      assert.equal(origin.asked.length, 2, 'a failure is not remembered');
      assert.equal(storage.map.size, 0);
    }
  });

  it('a stored list that no longer matches its root is fetched again and replaced', async () => {
    const { asset, list, pieces } = listAsset(3);
    const storage = new MemLists();
    const edited = list.slice();
    edited[40]! ^= 1;
    storage.map.set(asset.piecesRoot!, edited);
    const origin = listOrigin(() => list);
    const got = await lists(origin, storage).hashesFor(asset);
    assert.equal(got.hashAt(1), pieces[1]);
    assert.equal(origin.asked.length, 1);
    assert.deepEqual(storage.map.get(asset.piecesRoot!), list);
  });

  it('memory keeps the most recent lists under its byte bound', async () => {
    const a = listAsset(4);
    const b = listAsset(5);
    const origin = listOrigin((url) => (url.includes(a.asset.piecesRoot!) ? a.list : b.list));
    const storage: PieceListStorage = { get: async () => undefined, put: async () => undefined, keepOnly: async () => undefined };
    const pl = lists(origin, storage, 5 * PIECE_HASH_BYTES);
    await pl.hashesFor(a.asset);
    await pl.hashesFor(b.asset); // a is dropped to make room
    await pl.hashesFor(b.asset);
    await pl.hashesFor(a.asset);
    assert.equal(origin.asked.length, 3);
  });

  it('clean-up after a deploy keeps only the lists the manifest names', async () => {
    const storage = new MemLists();
    storage.map.set('1'.repeat(64), new Uint8Array(32));
    storage.map.set('2'.repeat(64), new Uint8Array(32));
    await lists(
      listOrigin(() => null),
      storage,
    ).cleanUp([{ piecesRoot: '2'.repeat(64) }, {}]);
    assert.deepEqual([...storage.map.keys()], ['2'.repeat(64)]);
  });
});

describe('a gather and its piece list', () => {
  it('uses no byte from storage, peers or the origin: the page gets the network, nothing is stored, no peer is blamed', T, async () => {
    const f = await makeAsset(6 * PIECE);
    const store = new MemStore(f.asset.hash);
    store.put(0, f.data.subarray(0, PIECE)); // a stored piece is not read as good either
    const bridge = new FakeBridge((pieces) => [
      { at: 0, reply: { pc: 'accepted', peers: 1 } },
      ...pieces.map((i, k) => ({ at: 1 + k, reply: pieceReply(f, i) })),
    ]);
    const origin = new FakeOrigin(f);
    const effects: Effects = { passed: [], changed: [] };
    const d = deps(store, origin, bridge, { firstMs: 300, stallMs: 150 }, effects);
    d.pieceHash = async () => {
      throw new GatherError('piece-list', 'list refused');
    };
    const outcomes: Array<ServeOutcome | null> = [];
    const response = await serveAsset(new Request(URL_), f.asset, PIECE, d, (o) => outcomes.push(o));
    assert.equal(response.headers.get(PASSED_HEADER), '1', 'the network answered the page');
    assert.equal(effects.passed.length, 1);
    assert.deepEqual(store.written, []);
    assert.deepEqual(bridge.reports, [], 'no bad-piece report: the list failed, not the peer');
    assert.deepEqual(outcomes, [null]);
  });

  it('a list that arrives after the pieces: they wait for it, then verify and are served and stored', T, async () => {
    const f = await makeAsset(4 * PIECE);
    const store = new MemStore(f.asset.hash);
    const bridge = new FakeBridge((pieces) => [
      { at: 0, reply: { pc: 'accepted', peers: 1 } },
      ...pieces.map((i) => ({ at: 1, reply: pieceReply(f, i) })),
    ]);
    const d = deps(store, new FakeOrigin(f), bridge);
    let listArrived = false;
    const asked: number[] = [];
    d.pieceHash = async (_asset, index) => {
      asked.push(index);
      await new Promise((r) => setTimeout(r, 50));
      listArrived = true;
      return f.pieces[index] ?? '';
    };
    const outcomes: Array<ServeOutcome | null> = [];
    const response = await serveAsset(new Request(URL_), f.asset, PIECE, d, (o) => outcomes.push(o));
    assert.ok(listArrived, 'nothing was answered before the list');
    assert.equal(response.headers.get('x-peer-connect-source'), 'peer');
    assert.deepEqual(new Uint8Array(await response.arrayBuffer()), f.data);
    assert.deepEqual([...asked].sort(), range(0, 3));
    assert.equal(outcomes[0]?.bytes.peer, f.data.length);
    assert.ok(store.holdsAll(f));
  });
});
