/**
 * The service worker's piece gathering and response building, in Node: a real asset with real
 * SHA-256 piece hashes, an in-memory piece store, a scripted fake bridge, and a fake origin that
 * speaks Range (206) — or ignores it (200), or fails (500). Timeouts are shortened; every test is
 * bounded.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { BridgeReply } from '../../protocol/bridge-messages.ts';
import { HEDGE_CROWD_MARGIN, HEDGE_CROWD_MAX_MS, HEDGE_CROWD_RANK } from '../../protocol/limits.ts';
import { PieceGatherer } from '../../sw/gather-pieces.ts';
import { crowdFirstMs, SourceSpeeds } from '../../sw/hedge-policy.ts';
import { type ServeDeps, type ServeOutcome, SOURCE_HEADER, serveAsset } from '../../sw/serve-asset.ts';
import { WindowedGatherer } from '../../sw/windowed-gather.ts';
import { FakeClock, settleTasks } from './support/fake-clock.ts';
import {
  allIndexes,
  bufferOf,
  deps,
  FakeBridge,
  FakeOrigin,
  type Fixture,
  gatherAll,
  MemStore,
  makeAsset,
  matchesHash,
  PEER,
  PIECE,
  pieceReply,
  range,
  rangeFor,
  SIZE,
  sleep,
  slice,
  sourcesOf,
  T,
  URL_,
  verifyNow,
} from './support/sw-fakes.ts';

// ---------------------------------------------------------------- PieceGatherer

describe('PieceGatherer', () => {
  it("the tests' synchronous hash check agrees with the worker's WebCrypto one", T, async () => {
    const f = await makeAsset(3 * PIECE + 5);
    for (const i of [0, 1, 2, 3]) {
      const piece = slice(f, i);
      const wrong = piece.slice();
      wrong[0] = (wrong[0]! + 1) & 0xff;
      for (const [data, hex] of [
        [piece, f.pieces[i]!],
        [wrong, f.pieces[i]!],
      ] as const) {
        assert.equal(await verifyNow(data, hex), await matchesHash(data, hex));
      }
    }
  });

  it('everything cached: all from cache, no bridge, no origin', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    for (const i of allIndexes(f)) store.put(i, slice(f, i));
    const origin = new FakeOrigin(f);
    const bridge = new FakeBridge(() => []);
    const g = new PieceGatherer(f.asset, URL_, PIECE, allIndexes(f), deps(store, origin, bridge));
    const { bytes, pieces } = await gatherAll(g);
    assert.deepEqual(bytes, f.data);
    assert.ok(sourcesOf(pieces).every((s) => s === 'cache'));
    assert.deepEqual(g.bytes, { cache: SIZE, peer: 0, origin: 0 });
    assert.equal(origin.ranges.length, 0);
    assert.equal(bridge.opened, 0);
    assert.deepEqual(store.written, []);
  });

  it('a corrupted cached piece is deleted and fetched again', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    for (const i of allIndexes(f)) store.put(i, slice(f, i));
    const bad = slice(f, 3);
    bad[100] = (bad[100]! + 1) & 0xff;
    store.put(3, bad);
    const origin = new FakeOrigin(f);
    const g = new PieceGatherer(f.asset, URL_, PIECE, allIndexes(f), deps(store, origin, null));
    const { bytes, pieces } = await gatherAll(g);
    assert.deepEqual(bytes, f.data);
    assert.deepEqual(store.deleted, [3]);
    assert.deepEqual(origin.ranges, [rangeFor(f, 3, 3)]);
    assert.equal(pieces[3]!.source, 'origin');
    assert.deepEqual(g.bytes, { cache: SIZE - PIECE, peer: 0, origin: PIECE });
    assert.ok(store.holdsAll(f), 'every piece stored, verified');
    assert.deepEqual(store.get(3), slice(f, 3), 'the good piece replaced the bad one');
  });

  it('no bridge: only the missing runs come from the origin, one Range request per run', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    for (const i of [0, 1, 4, 7]) store.put(i, slice(f, i));
    const origin = new FakeOrigin(f);
    const g = new PieceGatherer(f.asset, URL_, PIECE, allIndexes(f), deps(store, origin, null));
    const { bytes, pieces } = await gatherAll(g);
    assert.deepEqual(bytes, f.data);
    assert.deepEqual([...origin.ranges].sort(), [rangeFor(f, 2, 3), rangeFor(f, 5, 6), rangeFor(f, 8, 9)].sort());
    assert.equal(origin.ranges.includes(`bytes=${8 * PIECE}-${SIZE - 1}`), true, 'the last run ends at the last byte');
    assert.equal(origin.bytesSent, SIZE - 4 * PIECE, 'no byte fetched twice or needlessly');
    assert.deepEqual(sourcesOf(pieces), ['cache', 'cache', 'origin', 'origin', 'cache', 'origin', 'origin', 'cache', 'origin', 'origin']);
    assert.deepEqual(g.bytes, { cache: 4 * PIECE, peer: 0, origin: SIZE - 4 * PIECE });
    assert.ok(store.holdsAll(f), 'every piece stored, verified');
    assert.deepEqual(
      [...store.written].sort((a, b) => a - b),
      [2, 3, 5, 6, 8, 9],
    );
  });

  it('a gather of a sub-range of pieces fetches only those', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const g = new PieceGatherer(f.asset, URL_, PIECE, [4, 5, 6], deps(store, origin, null));
    const { bytes } = await gatherAll(g);
    assert.deepEqual(bytes, f.data.subarray(4 * PIECE, 7 * PIECE));
    assert.deepEqual(origin.ranges, [rangeFor(f, 4, 6)]);
    await assert.rejects(g.piece(0), /not part of this gather/);
  });

  it('an origin that ignores Range (200) still yields exact pieces', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    for (const i of [0, 1, 4, 7]) store.put(i, slice(f, i));
    const origin = new FakeOrigin(f, 'ignore-range', 5_000);
    const g = new PieceGatherer(f.asset, URL_, PIECE, allIndexes(f), deps(store, origin, null));
    const { bytes } = await gatherAll(g);
    assert.deepEqual(bytes, f.data);
    assert.equal(origin.ranges.length, 3);
    assert.ok(store.holdsAll(f), 'every piece stored, verified');
  });

  it('bridge answers no-peers: everything missing comes from the origin', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    store.put(0, slice(f, 0));
    const origin = new FakeOrigin(f);
    const clock = new FakeClock(0);
    const bridge = new FakeBridge(() => [{ at: 5, reply: { pc: 'no-peers', reason: 'no signaling' } }], clock);
    const d = { ...deps(store, origin, bridge, { firstMs: 5_000, stallMs: 5_000 }), timers: clock };
    const g = new PieceGatherer(f.asset, URL_, PIECE, allIndexes(f), d);
    const all = gatherAll(g);
    await clock.advanceSettled(4);
    assert.deepEqual(origin.ranges, [], 'nothing from the origin before the bridge answered');
    await clock.advanceSettled(1);
    assert.deepEqual(origin.ranges, [rangeFor(f, 1, 9)], 'no-peers is acted on at once, not after a deadline');
    const { bytes } = await all;
    assert.deepEqual(bytes, f.data);
    assert.deepEqual(bridge.requests[0]?.pieces, range(1, 9), 'the bridge is asked only for missing pieces');
    assert.equal(bridge.requests[0]?.hash, f.asset.hash);
    assert.equal(bridge.requests[0]?.size, SIZE);
    assert.deepEqual(origin.ranges, [rangeFor(f, 1, 9)]);
    assert.equal(bridge.closed, true);
    assert.deepEqual(g.bytes, { cache: PIECE, peer: 0, origin: SIZE - PIECE });
  });

  it('openBridge rejecting is the same as no bridge', T, async () => {
    const f = await makeAsset(3 * PIECE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const d = deps(store, origin, null);
    d.openBridge = async () => {
      throw new Error('no clients');
    };
    const { bytes } = await gatherAll(new PieceGatherer(f.asset, URL_, PIECE, allIndexes(f), d));
    assert.deepEqual(bytes, f.data);
    assert.deepEqual(origin.ranges, [rangeFor(f, 0, 2)]);
  });

  it('peers deliver everything (out of order): zero origin bytes, every piece stored', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const order = [3, 0, 9, 1, 2, 8, 4, 7, 6, 5];
    const bridge = new FakeBridge(() => [
      { at: 2, reply: { pc: 'accepted', peers: 2 } },
      ...order.map((i, k) => ({ at: 5 + k * 3, reply: pieceReply(f, i) })),
    ]);
    const g = new PieceGatherer(f.asset, URL_, PIECE, allIndexes(f), deps(store, origin, bridge, { firstMs: 2_000, stallMs: 2_000 }));
    const { bytes, pieces } = await gatherAll(g);
    assert.deepEqual(bytes, f.data);
    assert.ok(sourcesOf(pieces).every((s) => s === 'peer'));
    assert.deepEqual(g.bytes, { cache: 0, peer: SIZE, origin: 0 });
    assert.equal(origin.ranges.length, 0);
    assert.equal(origin.bytesSent, 0);
    assert.ok(store.holdsAll(f), 'every piece stored, verified');
    for (const i of allIndexes(f)) assert.deepEqual(store.get(i), slice(f, i), `piece ${i} stored`);
    assert.equal(bridge.closed, true, 'the session is closed once every piece arrived');
    assert.deepEqual(bridge.reports, []);
    assert.equal(g.badPeers.size, 0);
  });

  it('a corrupt piece from a peer: reported with that peer id, refetched from the origin, never stored', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const liar = 'peer_LIARLIARLIARLIAR';
    const corrupt = slice(f, 2);
    corrupt[0] = (corrupt[0]! ^ 0xff) & 0xff;
    const bridge = new FakeBridge((pieces) => [
      { at: 1, reply: { pc: 'accepted', peers: 2 } },
      ...pieces.filter((i) => i !== 2).map((i, k) => ({ at: 3 + k, reply: pieceReply(f, i) })),
      { at: 4, reply: { pc: 'piece', index: 2, data: bufferOf(corrupt), peerId: liar } },
    ]);
    const writes: Array<{ index: number; data: Uint8Array }> = [];
    const d = deps(store, origin, bridge, { firstMs: 2_000, stallMs: 2_000 });
    d.writePiece = async (hash, index, data) => {
      writes.push({ index, data: new Uint8Array(data.slice(0)) });
      return store.writePiece(hash, index, data);
    };
    const g = new PieceGatherer(f.asset, URL_, PIECE, allIndexes(f), d);
    const { bytes, pieces } = await gatherAll(g);
    assert.deepEqual(bytes, f.data, 'the page gets exact bytes');
    assert.deepEqual(bridge.reports, [{ pc: 'bad-piece', index: 2, peerId: liar }]);
    assert.deepEqual([...g.badPeers], [liar]);
    assert.equal(pieces[2]!.source, 'origin');
    assert.deepEqual(origin.ranges, [rangeFor(f, 2, 2)]);
    assert.deepEqual(g.bytes, { cache: 0, peer: SIZE - PIECE, origin: PIECE });
    assert.ok(store.holdsAll(f), 'every piece stored, verified');
    for (const w of writes) assert.deepEqual(w.data, slice(f, w.index), `only verified bytes are stored (piece ${w.index})`);
    assert.deepEqual(store.get(2), slice(f, 2));
  });

  it('a piece of the wrong length is treated as bad', T, async () => {
    const f = await makeAsset(4 * PIECE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const bridge = new FakeBridge(() => [
      { at: 1, reply: { pc: 'accepted', peers: 1 } },
      { at: 2, reply: pieceReply(f, 0) },
      { at: 3, reply: { pc: 'piece', index: 1, data: bufferOf(slice(f, 1).subarray(0, 100)), peerId: PEER } },
      { at: 4, reply: pieceReply(f, 2) },
      { at: 5, reply: pieceReply(f, 3) },
    ]);
    const g = new PieceGatherer(f.asset, URL_, PIECE, allIndexes(f), deps(store, origin, bridge, { firstMs: 2_000, stallMs: 2_000 }));
    const { bytes } = await gatherAll(g);
    assert.deepEqual(bytes, f.data);
    assert.deepEqual(bridge.reports, [{ pc: 'bad-piece', index: 1, peerId: PEER }]);
    assert.deepEqual(origin.ranges, [rangeFor(f, 1, 1)]);
  });

  it('piece-failed: that piece comes from the origin', T, async () => {
    const f = await makeAsset(4 * PIECE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const bridge = new FakeBridge(() => [
      { at: 1, reply: { pc: 'accepted', peers: 1 } },
      { at: 2, reply: pieceReply(f, 0) },
      { at: 3, reply: { pc: 'piece-failed', index: 2, reason: 'nak' } },
      { at: 4, reply: pieceReply(f, 1) },
      { at: 5, reply: pieceReply(f, 3) },
    ]);
    const g = new PieceGatherer(f.asset, URL_, PIECE, allIndexes(f), deps(store, origin, bridge, { firstMs: 2_000, stallMs: 2_000 }));
    const { bytes, pieces } = await gatherAll(g);
    assert.deepEqual(bytes, f.data);
    assert.deepEqual(sourcesOf(pieces), ['peer', 'peer', 'origin', 'peer']);
    assert.deepEqual(origin.ranges, [rangeFor(f, 2, 2)]);
  });

  it('bridge never accepts: after the hedge delay everything comes from the origin', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const clock = new FakeClock(0);
    const bridge = new FakeBridge(() => [], clock);
    const d = { ...deps(store, origin, bridge, { firstMs: 60, stallMs: 5_000 }), timers: clock };
    const g = new PieceGatherer(f.asset, URL_, PIECE, allIndexes(f), d);
    const all = gatherAll(g);
    await clock.advanceSettled(59);
    assert.deepEqual(origin.ranges, [], 'the origin waits for the hedge delay');
    await clock.advanceSettled(1);
    const { bytes } = await all;
    assert.deepEqual(bytes, f.data);
    assert.deepEqual(origin.ranges, [rangeFor(f, 0, 9)]);
    assert.equal(bridge.closed, true, 'the session ends with the gather');
  });

  it('the hedge delay counts from asking, not from the bridge accepting', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const clock = new FakeClock(0);
    const bridge = new FakeBridge(() => [{ at: 40, reply: { pc: 'accepted', peers: 3 } }], clock);
    const d = { ...deps(store, origin, bridge, { firstMs: 100, stallMs: 5_000 }), timers: clock };
    const g = new PieceGatherer(f.asset, URL_, PIECE, allIndexes(f), d);
    const all = gatherAll(g);
    await clock.advanceSettled(99);
    assert.deepEqual(origin.ranges, [], 'accepted at 40 does not restart the wait');
    await clock.advanceSettled(1);
    const { bytes } = await all;
    assert.deepEqual(bytes, f.data);
    assert.equal(g.bytes.origin, SIZE);
  });

  it('a hedge races: peers keep sending after the origin is asked, and the first verified copy of each piece wins', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    // An origin that needs 30 ms of the fake clock for its answer.
    const clock = new FakeClock(0);
    const real = new FakeOrigin(f);
    const asked: Array<string | null> = [];
    const origin = {
      fetchOrigin: async (url: string, init: RequestInit): Promise<Response> => {
        asked.push(new Headers(init.headers).get('range'));
        await new Promise<void>((r) => clock.setTimeout(r, 30));
        return real.fetchOrigin(url, init);
      },
    };
    const bridge = new FakeBridge(
      () => [
        { at: 1, reply: { pc: 'accepted', peers: 1 } },
        { at: 5, reply: pieceReply(f, 0) },
        { at: 10, reply: pieceReply(f, 1) },
        // the gap after piece 1 passes the stall delay (80) at 90: the origin is asked for 2-9
        { at: 100, reply: pieceReply(f, 6) },
      ],
      clock,
    );
    const d = { ...deps(store, origin as unknown as FakeOrigin, bridge, { firstMs: 1_000, stallMs: 80 }), timers: clock };
    const g = new PieceGatherer(f.asset, URL_, PIECE, allIndexes(f), d);
    const all = gatherAll(g);
    await clock.advanceSettled(89);
    assert.deepEqual(asked, [], 'no gap of 80 yet: the last piece came at 10');
    await clock.advanceSettled(1);
    assert.deepEqual(asked, [rangeFor(f, 2, 9)], 'every piece peers still owe, in one run');
    await clock.advanceSettled(20);
    await clock.advanceSettled(100);
    const { bytes, pieces } = await all;
    assert.deepEqual(bytes, f.data, 'byte-exact whoever won');
    assert.equal(pieces[6]!.source, 'peer', 'the peer was first with piece 6 (at 100, the origin answers at 120)');
    assert.deepEqual(sourcesOf(pieces), ['peer', 'peer', 'origin', 'origin', 'origin', 'origin', 'peer', 'origin', 'origin', 'origin']);
    assert.deepEqual(g.bytes, { cache: 0, peer: 3 * PIECE, origin: SIZE - 3 * PIECE });
    assert.ok(store.holdsAll(f), 'every piece stored, verified');
    assert.equal(bridge.closed, true, 'the session ends with the gather');
  });

  it('origin fails (500) with no bridge: every piece rejects, nothing hangs', T, async () => {
    const f = await makeAsset(3 * PIECE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f, 'fail');
    const g = new PieceGatherer(f.asset, URL_, PIECE, allIndexes(f), deps(store, origin, null));
    void g.start();
    for (const i of allIndexes(f)) await assert.rejects(g.piece(i), /500/);
    assert.deepEqual(store.written, []);
  });

  it('cancel aborts the origin request', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f, 'range', 1_000);
    const g = new PieceGatherer(f.asset, URL_, PIECE, allIndexes(f), deps(store, origin, null));
    void g.start();
    await g.piece(0);
    g.cancel();
    await assert.rejects(g.piece(9));
    assert.ok(origin.bytesSent < SIZE, 'the origin stopped sending');
  });
});

// ---------------------------------------------------------------- serveAsset

describe('serveAsset', () => {
  const request = (headers: Record<string, string> = {}): Request => new Request(URL_, { headers });

  async function serve(
    f: Fixture,
    d: ServeDeps,
    headers: Record<string, string> = {},
  ): Promise<{ response: Response; done: Promise<ServeOutcome | null> }> {
    let resolveDone: (o: ServeOutcome | null) => void = () => undefined;
    let calls = 0;
    const done = new Promise<ServeOutcome | null>((r) => (resolveDone = r));
    const response = await serveAsset(request(headers), f.asset, PIECE, d, (o) => {
      calls++;
      assert.equal(calls, 1, 'onDone is called once');
      resolveDone(o);
    });
    return { response, done };
  }

  it('200: exact body and headers (from the origin, no bridge)', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const { response, done } = await serve(f, deps(store, origin, null));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-length'), String(SIZE));
    assert.equal(response.headers.get('content-type'), 'video/mp4');
    assert.equal(response.headers.get('accept-ranges'), 'bytes');
    assert.equal(response.headers.get(SOURCE_HEADER), 'origin');
    assert.equal(response.headers.get('content-range'), null);
    const body = new Uint8Array(await response.arrayBuffer());
    assert.deepEqual(body, f.data);
    const outcome = await done;
    assert.ok(outcome);
    assert.deepEqual(outcome.bytes, { cache: 0, peer: 0, origin: SIZE });
    assert.equal(outcome.status, 200);
    assert.ok(store.holdsAll(f), 'a whole-file response leaves every piece stored');
  });

  it('200 from cache says so', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    for (const i of allIndexes(f)) store.put(i, slice(f, i));
    const origin = new FakeOrigin(f);
    const { response, done } = await serve(f, deps(store, origin, null));
    assert.equal(response.headers.get(SOURCE_HEADER), 'cache');
    assert.deepEqual(new Uint8Array(await response.arrayBuffer()), f.data);
    assert.deepEqual((await done)?.bytes, { cache: SIZE, peer: 0, origin: 0 });
    assert.equal(origin.ranges.length, 0);
  });

  it('206 for bytes=100-70000: Content-Range, Content-Length and exact bytes', T, async () => {
    const f = await makeAsset(100_000);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const { response, done } = await serve(f, deps(store, origin, null), { Range: 'bytes=100-70000' });
    assert.equal(response.status, 206);
    assert.equal(response.headers.get('content-range'), 'bytes 100-70000/100000');
    assert.equal(response.headers.get('content-length'), String(70000 - 100 + 1));
    const body = new Uint8Array(await response.arrayBuffer());
    assert.equal(body.length, 69_901);
    assert.deepEqual(body, f.data.subarray(100, 70_001));
    assert.deepEqual(origin.ranges, [rangeFor(f, 0, 4)], 'only the pieces covering the range');
    const outcome = await done;
    assert.equal(outcome?.status, 206);
    assert.deepEqual(store.stored(), [0, 1, 2, 3, 4], 'a range stores only its pieces');
    assert.equal(store.holdsAll(f), false, 'a range does not make the asset complete');
  });

  it('206 for a suffix range inside the last partial piece', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const { response } = await serve(f, deps(store, origin, null), { Range: 'bytes=-500' });
    assert.equal(response.status, 206);
    assert.equal(response.headers.get('content-range'), `bytes ${SIZE - 500}-${SIZE - 1}/${SIZE}`);
    assert.deepEqual(new Uint8Array(await response.arrayBuffer()), f.data.subarray(SIZE - 500));
    assert.deepEqual(origin.ranges, [rangeFor(f, 9, 9)]);
  });

  it('206 with a one-byte range spanning nothing else', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const { response } = await serve(f, deps(store, origin, null), { Range: `bytes=${PIECE}-${PIECE}` });
    assert.equal(response.status, 206);
    assert.equal(response.headers.get('content-length'), '1');
    assert.deepEqual(new Uint8Array(await response.arrayBuffer()), f.data.subarray(PIECE, PIECE + 1));
    assert.deepEqual(origin.ranges, [rangeFor(f, 1, 1)]);
  });

  it('416 past the end, with bytes */size and no fetch at all', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const bridge = new FakeBridge(() => []);
    let doneCalls = 0;
    const response = await serveAsset(request({ Range: `bytes=${SIZE}-` }), f.asset, PIECE, deps(store, origin, bridge), () => doneCalls++);
    assert.equal(response.status, 416);
    assert.equal(response.headers.get('content-range'), `bytes */${SIZE}`);
    assert.equal((await response.arrayBuffer()).byteLength, 0);
    assert.equal(origin.ranges.length, 0);
    assert.equal(bridge.opened, 0);
    assert.equal(doneCalls, 1, "onDone ends the worker's event: a 416 that never calls it keeps a new worker waiting for good");
  });

  it('several ranges → 200 with the whole file', T, async () => {
    const f = await makeAsset(3 * PIECE + 5);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const { response } = await serve(f, deps(store, origin, null), { Range: 'bytes=0-1,5-9' });
    assert.equal(response.status, 200);
    assert.deepEqual(new Uint8Array(await response.arrayBuffer()), f.data);
  });

  it('empty asset: 200, empty body, Content-Length 0, onDone called', T, async () => {
    const f = await makeAsset(0);
    assert.equal(f.pieces.length, 0);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const { response, done } = await serve(f, deps(store, origin, null));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-length'), '0');
    assert.equal((await response.arrayBuffer()).byteLength, 0);
    const outcome = await done;
    assert.ok(outcome);
    assert.deepEqual(outcome.bytes, { cache: 0, peer: 0, origin: 0 });
    assert.equal(origin.ranges.length, 0);
  });

  it("origin fails (500) and nothing is cached: the page gets the origin's own 500, onDone(null)", T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f, 'fail');
    const outcomes: Array<ServeOutcome | null> = [];
    const response = await serveAsset(request(), f.asset, PIECE, deps(store, origin, null), (o) => outcomes.push(o));
    assert.equal(response.status, 500);
    assert.equal(await response.text(), 'boom');
    assert.deepEqual(outcomes, [null]);
  });

  it(
    'origin unreachable and nothing is cached: the response promise rejects (a network error, as without us), onDone(null)',
    T,
    async () => {
      const f = await makeAsset(SIZE);
      const store = new MemStore(f.asset.hash);
      const d = deps(store, new FakeOrigin(f), null);
      d.fetchOrigin = async () => {
        throw new TypeError('Failed to fetch');
      };
      const outcomes: Array<ServeOutcome | null> = [];
      await assert.rejects(
        serveAsset(request(), f.asset, PIECE, d, (o) => outcomes.push(o)),
        /unreachable/,
      );
      assert.deepEqual(outcomes, [null]);
    },
  );

  it(
    "origin fails (500) after the first piece came from cache, before any piece came from the network: the page gets the origin's 500",
    T,
    async () => {
      const f = await makeAsset(SIZE);
      const store = new MemStore(f.asset.hash);
      store.put(0, slice(f, 0));
      const origin = new FakeOrigin(f, 'fail');
      const outcomes: Array<ServeOutcome | null> = [];
      const response = await serveAsset(request(), f.asset, PIECE, deps(store, origin, null), (o) => outcomes.push(o));
      assert.equal(response.status, 500);
      assert.equal(await response.text(), 'boom');
      assert.deepEqual(outcomes, [null]);
    },
  );

  it('origin fails (500) after peers started the body: the body errors, onDone(null), no hang', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f, 'fail');
    const bridge = new FakeBridge(() => [
      { at: 1, reply: { pc: 'accepted', peers: 1 } },
      { at: 2, reply: pieceReply(f, 0) },
      { at: 3, reply: pieceReply(f, 1) },
    ]);
    const outcomes: Array<ServeOutcome | null> = [];
    const response = await serveAsset(request(), f.asset, PIECE, deps(store, origin, bridge, { firstMs: 500, stallMs: 100 }), (o) =>
      outcomes.push(o),
    );
    assert.equal(response.status, 200);
    assert.equal(response.headers.get(SOURCE_HEADER), 'peer');
    await assert.rejects(response.arrayBuffer());
    assert.deepEqual(outcomes, [null]);
  });

  it('onDone reports the bytes by source (cache + peer + origin)', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    store.put(0, slice(f, 0));
    store.put(1, slice(f, 1));
    const origin = new FakeOrigin(f);
    const bridge = new FakeBridge(() => [
      { at: 1, reply: { pc: 'accepted', peers: 1 } },
      { at: 3, reply: pieceReply(f, 2) },
      { at: 4, reply: pieceReply(f, 3) },
      { at: 5, reply: pieceReply(f, 4) },
      { at: 6, reply: { pc: 'piece-failed', index: 5, reason: 'gone' } },
      // 6..9: never sent; the stall deadline sends them to the origin.
    ]);
    const { response, done } = await serve(f, deps(store, origin, bridge, { firstMs: 1_000, stallMs: 60 }));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get(SOURCE_HEADER), 'cache');
    assert.deepEqual(new Uint8Array(await response.arrayBuffer()), f.data);
    const outcome = await done;
    assert.ok(outcome);
    assert.deepEqual(outcome.bytes, { cache: 2 * PIECE, peer: 3 * PIECE, origin: SIZE - 5 * PIECE });
    assert.equal(outcome.bytes.cache + outcome.bytes.peer + outcome.bytes.origin, SIZE);
    assert.equal(outcome.status, 200);
    assert.ok(store.holdsAll(f), 'cache, peer and origin pieces together complete the asset in the store');
    assert.ok(outcome.ms >= 0);
    assert.deepEqual([...origin.ranges].sort(), [rangeFor(f, 5, 5), rangeFor(f, 6, 9)].sort());
  });

  it('a peer-first response says peer, and a corrupt peer piece never reaches the body', T, async () => {
    const f = await makeAsset(4 * PIECE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const corrupt = slice(f, 1);
    corrupt[PIECE - 1] = (corrupt[PIECE - 1]! + 1) & 0xff;
    const bridge = new FakeBridge(() => [
      { at: 1, reply: { pc: 'accepted', peers: 1 } },
      { at: 2, reply: pieceReply(f, 0) },
      { at: 3, reply: { pc: 'piece', index: 1, data: bufferOf(corrupt), peerId: PEER } },
      { at: 4, reply: pieceReply(f, 2) },
      { at: 5, reply: pieceReply(f, 3) },
    ]);
    const { response, done } = await serve(f, deps(store, origin, bridge, { firstMs: 1_000, stallMs: 1_000 }));
    assert.equal(response.headers.get(SOURCE_HEADER), 'peer');
    assert.deepEqual(new Uint8Array(await response.arrayBuffer()), f.data);
    assert.deepEqual(bridge.reports, [{ pc: 'bad-piece', index: 1, peerId: PEER }]);
    assert.deepEqual((await done)?.bytes, { cache: 0, peer: 3 * PIECE, origin: PIECE });
  });

  it('cancelling the body reports onDone(null) and stops the origin', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f, 'range', 2_000);
    const { response, done } = await serve(f, deps(store, origin, null));
    const reader = response.body!.getReader();
    await reader.read();
    await reader.cancel();
    assert.equal(await done, null);
    await settleTasks();
    assert.ok(origin.bytesSent < SIZE);
  });
});

describe('WindowedGatherer: a long range window by window', () => {
  it('asks the bridge one window at a time, the next at half the current, and yields every byte in order', T, async () => {
    const f = await makeAsset(PIECE * 10 + 123);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const bridge = new FakeBridge((pieces) => [
      { at: 0, reply: { pc: 'accepted', peers: 1 } },
      ...pieces.map((i, k) => ({ at: 2 + k, reply: pieceReply(f, i) })),
    ]);
    const indexes = range(0, 10);
    const g = new WindowedGatherer(f.asset, URL_, PIECE, indexes, deps(store, origin, bridge), 4);
    g.start();
    await settleTasks();
    assert.deepEqual(
      bridge.requests.map((r) => r.pieces),
      [[0, 1, 2, 3]],
      'only the first window before anything is read',
    );
    const out: Uint8Array[] = [];
    const windowsSeen: number[] = [];
    for (const i of indexes) {
      out.push((await g.piece(i)).data);
      await settleTasks(); // a window's bridge request goes out after its (async) storage read
      windowsSeen.push(bridge.requests.length);
    }
    // Window 2 opens while reading piece 2 (half of window 1), window 3 at piece 6, none past the end.
    assert.deepEqual(windowsSeen, [1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 3]);
    assert.deepEqual(
      bridge.requests.map((r) => r.pieces),
      [
        [0, 1, 2, 3],
        [4, 5, 6, 7],
        [8, 9, 10],
      ],
    );
    const joined = Buffer.concat(out);
    assert.ok(joined.equals(Buffer.from(f.data)), 'bytes differ');
    assert.deepEqual(g.bytes, { peer: f.asset.size, origin: 0, cache: 0 });
    assert.ok(store.holdsAll(f), 'every piece stored, verified');
    assert.equal(origin.ranges.length, 0);
  });

  it('a cancel stops every open window (no origin fetch after it)', T, async () => {
    const f = await makeAsset(PIECE * 8);
    const origin = new FakeOrigin(f);
    const bridge = new FakeBridge(() => [{ at: 0, reply: { pc: 'accepted', peers: 1 } }]);
    const g = new WindowedGatherer(
      f.asset,
      URL_,
      PIECE,
      range(0, 7),
      deps(new MemStore(f.asset.hash), origin, bridge, { firstMs: 50, stallMs: 50 }),
      4,
    );
    g.start();
    g.cancel();
    await sleep(150);
    assert.equal(bridge.closed, true);
    assert.equal(origin.bytesSent, 0);
  });
});

describe('PieceGatherer: hedge delays from what the worker measured', () => {
  it('a request asked while another waits on peers gets a longer first-piece delay; the backlog empties as pieces come', T, async () => {
    const f = await makeAsset(SIZE);
    const speeds = new SourceSpeeds();
    const clock = new FakeClock(0);
    const silent = new FakeBridge(() => [], clock);
    const first = new PieceGatherer(f.asset, URL_, PIECE, allIndexes(f), {
      ...deps(new MemStore(f.asset.hash), new FakeOrigin(f), silent),
      speeds,
      timers: clock,
    });
    void first.start();
    await clock.advanceSettled(0);
    assert.equal(speeds.peerBacklogBytes, SIZE, 'the first gather owes its whole size');
    const bridge = new FakeBridge((pieces) => pieces.map((i, k) => ({ at: k + 1, reply: pieceReply(f, i) })), clock);
    const second = new PieceGatherer(f.asset, URL_, PIECE, [0], {
      ...deps(new MemStore(f.asset.hash), new FakeOrigin(f), bridge),
      speeds,
      timers: clock,
    });
    void second.start();
    await clock.advanceSettled(0);
    assert.ok(
      second.delays.firstMs > first.delays.firstMs,
      `${second.delays.firstMs} ms after ${SIZE} B ahead, ${first.delays.firstMs} ms with none`,
    );
    await clock.advanceSettled(5);
    assert.equal((await second.piece(0)).source, 'peer');
    first.cancel();
    assert.equal(speeds.peerBacklogBytes, 0, 'delivered and cancelled gathers owe nothing');
  });

  it(
    `a crowd's fetcher (\`accepted\` with rank ${HEDGE_CROWD_RANK} or more) waits ${HEDGE_CROWD_MARGIN} times as long for a first piece, counted from asking; a smaller rank does not`,
    T,
    async () => {
      const f = await makeAsset(SIZE);
      const run = async (rank: number | undefined): Promise<{ firstMs: number; askedAt: number | null }> => {
        const clock = new FakeClock(0);
        const origin = new FakeOrigin(f);
        const accepted: BridgeReply = rank === undefined ? { pc: 'accepted', peers: 2 } : { pc: 'accepted', peers: 2, rank };
        const bridge = new FakeBridge(() => [{ at: 100, reply: accepted }], clock);
        const g = new PieceGatherer(f.asset, URL_, PIECE, allIndexes(f), {
          ...deps(new MemStore(f.asset.hash), origin, bridge),
          speeds: new SourceSpeeds(),
          timers: clock,
        });
        const all = gatherAll(g);
        let askedAt: number | null = null;
        for (let t = 0; t < HEDGE_CROWD_MAX_MS + 100 && askedAt === null; t += 10) {
          await clock.advanceSettled(10);
          if (origin.ranges.length > 0) askedAt = clock.now();
        }
        await clock.advanceSettled(HEDGE_CROWD_MAX_MS);
        assert.deepEqual((await all).bytes, f.data);
        return { firstMs: g.delays.firstMs, askedAt };
      };
      const plain = await run(undefined);
      const small = await run(HEDGE_CROWD_RANK - 1);
      const crowd = await run(HEDGE_CROWD_RANK);
      assert.ok(
        plain.askedAt !== null && plain.askedAt >= plain.firstMs && plain.askedAt < plain.firstMs + 20,
        `origin asked at ${plain.askedAt} ms`,
      );
      assert.equal(small.askedAt, plain.askedAt, 'below the crowd rank: the usual delay');
      const expected = crowdFirstMs(plain.firstMs, HEDGE_CROWD_RANK);
      assert.ok(expected > plain.firstMs);
      assert.equal(crowd.firstMs, expected);
      assert.ok(
        crowd.askedAt !== null && crowd.askedAt >= expected && crowd.askedAt < expected + 20,
        `origin asked at ${crowd.askedAt} ms, expected ${expected}`,
      );
    },
  );
});
