/**
 * "No peers, no detour" (issue 14) in Node: the page's own request to the network, its answer
 * streamed to the page as it is, a copy verified piece by piece and stored (sw/direct-fetch.ts);
 * and when serveAsset hands a request over to it instead of cutting the origin into Range runs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type DirectOutcome, fetchDirect } from '../../sw/direct-fetch.ts';
import { SourceSpeeds } from '../../sw/hedge-policy.ts';
import type { ServeDeps, ServeOutcome } from '../../sw/serve-asset.ts';
import { serveAsset, WHY_HEADER } from '../../sw/serve-asset.ts';
import { FakeClock } from './support/fake-clock.ts';
import {
  bufferOf,
  deps,
  FakeBridge,
  FakeOrigin,
  type Fixture,
  fakePieceHash,
  MemStore,
  makeAsset,
  PIECE,
  pieceReply,
  sleep,
  slice,
  T,
  URL_,
  verifyNow,
} from './support/sw-fakes.ts';

const SIZE = 10 * PIECE - 1_000;

interface Net {
  requests: Request[];
  changed: string[];
}

/** fetchDirect's runtime over a FakeOrigin: the request's own headers (Range and all) go as they are. */
function directDeps(f: Fixture, store: MemStore, origin: FakeOrigin | ((r: Request) => Promise<Response>), net: Net) {
  return {
    fetch: async (r: Request) => {
      net.requests.push(r);
      return typeof origin === 'function' ? origin(r) : origin.fetchOrigin(r.url, { headers: r.headers });
    },
    verify: verifyNow,
    pieceHash: (index: number) => fakePieceHash(f.asset, index),
    writePiece: store.writePiece,
    onAssetChanged: (hash: string) => net.changed.push(hash),
  };
}

function direct(
  f: Fixture,
  store: MemStore,
  origin: FakeOrigin | ((r: Request) => Promise<Response>),
  headers: Record<string, string> = {},
) {
  const net: Net = { requests: [], changed: [] };
  let resolveDone: (o: DirectOutcome | null) => void = () => undefined;
  const done = new Promise<DirectOutcome | null>((r) => (resolveDone = r));
  const response = fetchDirect(new Request(URL_, { headers }), f.asset, PIECE, directDeps(f, store, origin, net), resolveDone);
  return { response, done, net };
}

describe('fetchDirect', () => {
  it("200: the page gets the origin's answer byte for byte, and every piece is verified and stored", T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const { response, done, net } = direct(f, store, new FakeOrigin(f));
    const r = await response;
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('content-length'), String(SIZE), "the origin's own headers");
    assert.deepEqual(new Uint8Array(await r.arrayBuffer()), f.data);
    const outcome = await done;
    assert.equal(outcome?.bytes, SIZE);
    assert.equal(outcome?.stored, f.pieces.length);
    assert.equal(outcome?.changed, false);
    assert.ok(store.holdsAll(f));
    assert.equal(net.requests.length, 1);
    assert.deepEqual(net.changed, []);
  });

  it(
    "the page's body ends only once every piece's write is issued (the store sees assets in the order the page read them)",
    T,
    async () => {
      const f = await makeAsset(SIZE);
      const store = new MemStore(f.asset.hash);
      const net: Net = { requests: [], changed: [] };
      // A hash that takes its time (a busy device): the copy lags behind the page's reading.
      const slow = {
        ...directDeps(f, store, new FakeOrigin(f), net),
        verify: async (d: Uint8Array, h: string): Promise<boolean> => {
          await sleep(5);
          return verifyNow(d, h);
        },
      };
      const response = await fetchDirect(new Request(URL_), f.asset, PIECE, slow, () => undefined);
      await response.arrayBuffer();
      assert.deepEqual(
        store.written,
        f.pieces.map((_, i) => i),
      );
    },
  );

  it('a piece list that cannot be had: the page still gets the whole answer; nothing stored, no change reported', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const net: Net = { requests: [], changed: [] };
    const listless = { ...directDeps(f, store, new FakeOrigin(f), net), pieceHash: () => Promise.reject(new Error('piece-list')) };
    let outcome: DirectOutcome | null = null;
    const r = await fetchDirect(new Request(URL_), f.asset, PIECE, listless, (o) => (outcome = o));
    assert.deepEqual(new Uint8Array(await r.arrayBuffer()), f.data);
    assert.deepEqual(store.written, []);
    assert.deepEqual(net.changed, []);
    assert.equal((outcome as DirectOutcome | null)?.changed, false);
  });

  it(
    'a compressed answer: the page gets the decoded bytes without the coding and encoded length that no longer describe them',
    T,
    async () => {
      const f = await makeAsset(SIZE);
      const store = new MemStore(f.asset.hash);
      // What fetch() hands a worker for `Content-Encoding: br`: the body already decoded, the headers as sent.
      const encoded = async (): Promise<Response> =>
        new Response(bufferOf(f.data), {
          status: 200,
          headers: { 'content-encoding': 'br', 'content-length': '1234', 'content-type': 'text/css' },
        });
      const { response, done } = direct(f, store, encoded);
      const r = await response;
      assert.equal(r.headers.get('content-encoding'), null);
      assert.equal(r.headers.get('content-length'), null);
      assert.equal(r.headers.get('content-type'), 'text/css');
      assert.deepEqual(new Uint8Array(await r.arrayBuffer()), f.data);
      assert.equal((await done)?.changed, false);
      assert.ok(store.holdsAll(f), 'the decoded bytes are the file: stored');
    },
  );

  it('a Range request goes as it is; only the whole pieces inside its answer are stored', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const { response, done, net } = direct(f, store, new FakeOrigin(f), { Range: `bytes=100-${4 * PIECE - 1}` });
    const r = await response;
    assert.equal(r.status, 206);
    assert.deepEqual(new Uint8Array(await r.arrayBuffer()), f.data.subarray(100, 4 * PIECE));
    await done;
    assert.equal(net.requests[0]!.headers.get('range'), `bytes=100-${4 * PIECE - 1}`);
    assert.deepEqual(store.stored(), [1, 2, 3], 'piece 0 starts before the answer');
  });

  it(
    'a same-size change in piece 3: the page gets the new file whole; pieces 0-2 stored, never 3 or later; the change is reported once',
    T,
    async () => {
      const f = await makeAsset(SIZE);
      const v2 = { data: f.data.slice(), asset: f.asset, pieces: f.pieces };
      v2.data[3 * PIECE + 10] = (v2.data[3 * PIECE + 10]! + 1) & 0xff;
      const store = new MemStore(f.asset.hash);
      const { response, done, net } = direct(f, store, new FakeOrigin(v2));
      assert.deepEqual(new Uint8Array(await (await response).arrayBuffer()), v2.data, 'one version: the origin answer');
      const outcome = await done;
      assert.equal(outcome?.changed, true);
      assert.deepEqual(store.stored(), [0, 1, 2]);
      assert.deepEqual(net.changed, [f.asset.hash]);
    },
  );

  it('another length: changed before any byte, nothing stored, the page still gets the answer', T, async () => {
    const f = await makeAsset(SIZE);
    const grown = await makeAsset(SIZE + 5);
    const store = new MemStore(f.asset.hash);
    const { response, done, net } = direct(
      f,
      store,
      async () => new Response(grown.data.slice().buffer as ArrayBuffer, { headers: { 'Content-Length': String(SIZE + 5) } }),
    );
    assert.deepEqual(new Uint8Array(await (await response).arrayBuffer()), grown.data);
    assert.equal((await done)?.changed, true);
    assert.deepEqual(store.stored(), []);
    assert.deepEqual(net.changed, [f.asset.hash]);
  });

  it('a compressed 200 (no length to check) that is shorter: changed, only matching pieces stored', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const short = f.data.subarray(0, 2 * PIECE);
    const { response, done, net } = direct(
      f,
      store,
      async () => new Response(short.slice().buffer as ArrayBuffer, { headers: { 'Content-Encoding': 'br' } }),
    );
    await (await response).arrayBuffer();
    assert.equal((await done)?.changed, true);
    assert.deepEqual(store.stored(), [0, 1]);
    assert.deepEqual(net.changed, [f.asset.hash]);
  });

  it('a refusal (404) is the answer as it is; nothing stored, nothing changed', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const { response, done, net } = direct(f, store, new FakeOrigin(f, 'status', 7_001, 404));
    const r = await response;
    assert.equal(r.status, 404);
    assert.equal(await r.text(), 'the origin says 404');
    assert.equal((await done)?.stored, 0);
    assert.deepEqual(net.changed, []);
  });

  it('the network fails: the page sees the error, onDone(null)', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const { response, done } = direct(f, store, async () => {
      throw new TypeError('Failed to fetch');
    });
    await assert.rejects(response, /Failed to fetch/);
    assert.equal(await done, null);
  });
});

describe('serveAsset hands over to the network when peers cannot help', () => {
  /** ServeDeps with `direct` over the same fake origin; `destination` set as a browser would. */
  function serve(f: Fixture, d: ServeDeps, store: MemStore, origin: FakeOrigin, destination = 'image') {
    const net: Net = { requests: [], changed: [] };
    const withDirect: ServeDeps = {
      ...d,
      direct: (request, onDone) =>
        fetchDirect(request, f.asset, PIECE, directDeps(f, store, origin, net), (o) =>
          onDone(o && ({ bytes: { peer: 0, origin: o.bytes, cache: 0 }, status: o.status, ms: 0 } satisfies ServeOutcome)),
        ),
    };
    const request = new Request(URL_);
    Object.defineProperty(request, 'destination', { value: destination });
    let resolveDone: (o: ServeOutcome | null) => void = () => undefined;
    const done = new Promise<ServeOutcome | null>((r) => (resolveDone = r));
    const response = serveAsset(request, f.asset, PIECE, withDirect, resolveDone);
    return { response, done, net };
  }

  it('no bridge ready: the request as made, no Range runs, every piece stored', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const { response, done, net } = serve(f, deps(store, origin, null), store, origin);
    assert.deepEqual(new Uint8Array(await (await response).arrayBuffer()), f.data);
    assert.deepEqual((await done)?.bytes, { peer: 0, origin: SIZE, cache: 0 });
    assert.equal(net.requests.length, 1);
    assert.deepEqual(origin.ranges, [null], 'one request, with no Range of ours');
    assert.ok(store.holdsAll(f));
  });

  it('the bridge answers no-peers: handed over', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const bridge = new FakeBridge(() => [{ at: 1, reply: { pc: 'no-peers', reason: 'no holder' } }]);
    const { response, net } = serve(f, deps(store, origin, bridge), store, origin);
    assert.deepEqual(new Uint8Array(await (await response).arrayBuffer()), f.data);
    assert.equal(net.requests.length, 1);
    assert.equal(bridge.opened, 1);
  });

  it('a critical destination (style): peers are not asked at all', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const bridge = new FakeBridge((pieces) => pieces.map((i, k) => ({ at: k, reply: pieceReply(f, i) })));
    const { response, done, net } = serve(f, deps(store, origin, bridge), store, origin, 'style');
    assert.deepEqual(new Uint8Array(await (await response).arrayBuffer()), f.data);
    await done;
    assert.equal(bridge.opened, 0);
    assert.equal(net.requests.length, 1);
    assert.ok(store.holdsAll(f), 'stored all the same: this visitor seeds it');
  });

  it('an image the build marked critical for its page (its LCP candidate): peers are not asked, the network answers', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const bridge = new FakeBridge((pieces) => pieces.map((i, k) => ({ at: k, reply: pieceReply(f, i) })));
    const { response, done, net } = serve(f, { ...deps(store, origin, bridge), marked: true }, store, origin, 'image');
    const answer = await response;
    assert.equal(answer.headers.get(WHY_HEADER), 'critical');
    assert.deepEqual(new Uint8Array(await answer.arrayBuffer()), f.data);
    await done;
    assert.equal(bridge.opened, 0);
    assert.equal(net.requests.length, 1);
    assert.ok(store.holdsAll(f), 'stored all the same: this visitor seeds it');
  });

  it('the same image unmarked waits for peers, who serve it', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const bridge = new FakeBridge((pieces) => pieces.map((i, k) => ({ at: k, reply: pieceReply(f, i) })));
    const { response, done, net } = serve(f, { ...deps(store, origin, bridge), marked: false }, store, origin, 'image');
    assert.deepEqual(new Uint8Array(await (await response).arrayBuffer()), f.data);
    await done;
    assert.equal(bridge.opened, 1);
    assert.equal(net.requests.length, 0);
  });

  it('a marked image already stored is read from storage, not the network', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    for (let i = 0; i < 10; i++) await store.writePiece(f.asset.hash, i, slice(f, i).slice().buffer);
    const origin = new FakeOrigin(f);
    const { response, net } = serve(f, { ...deps(store, origin, null), marked: true }, store, origin, 'image');
    assert.deepEqual(new Uint8Array(await (await response).arrayBuffer()), f.data);
    assert.equal(net.requests.length, 0);
    assert.equal(origin.ranges.length, 0, 'no Range run either');
  });

  it('no peer piece within the hedge delay: handed over (the session is closed)', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const clock = new FakeClock(0);
    const bridge = new FakeBridge(() => [{ at: 1, reply: { pc: 'accepted', peers: 1 } }], clock);
    const d = { ...deps(store, origin, bridge, { firstMs: 50, stallMs: 50 }), timers: clock };
    const { response, net } = serve(f, d, store, origin);
    await clock.advanceSettled(49);
    assert.equal(net.requests.length, 0);
    await clock.advanceSettled(1);
    assert.deepEqual(new Uint8Array(await (await response).arrayBuffer()), f.data);
    assert.equal(net.requests.length, 1);
    assert.equal(bridge.closed, true);
  });

  it('peers were just seen to hold nothing and this page has no bridge yet: handed over without waiting for one', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const bridge = new FakeBridge(() => [{ at: 1, reply: { pc: 'no-peers', reason: 'no holder' } }]);
    const speeds = new SourceSpeeds();
    speeds.noPeersAnswered(Date.now());
    let told = 0;
    const d: ServeDeps = { ...deps(store, origin, bridge), speeds, bridgeWarm: () => false, fetchingFromOrigin: () => void told++ };
    const { response, net } = serve(f, d, store, origin);
    const r = await response;
    assert.equal(r.headers.get(WHY_HEADER), 'no-peers-known');
    assert.equal(told, 1, 'the bridge is told it fetches from the origin (a crowd finds it)');
    assert.deepEqual(new Uint8Array(await r.arrayBuffer()), f.data);
    assert.equal(bridge.opened, 0, 'the bridge was not waited for');
    assert.equal(net.requests.length, 1);
    // A warm bridge (it has delivered peer pieces) is still asked.
    const again = serve(
      f,
      { ...deps(new MemStore(f.asset.hash), origin, bridge), speeds, bridgeWarm: () => true },
      new MemStore(f.asset.hash),
      origin,
    );
    assert.equal((await again.response).headers.get(WHY_HEADER), 'no-peers');
    assert.equal(bridge.opened, 1);
  });

  it('peers deliver: no hand-over, every byte from peers', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const bridge = new FakeBridge((pieces) => pieces.map((i, k) => ({ at: k, reply: pieceReply(f, i) })));
    const { response, done, net } = serve(f, deps(store, origin, bridge, { firstMs: 5_000, stallMs: 5_000 }), store, origin);
    assert.deepEqual(new Uint8Array(await (await response).arrayBuffer()), f.data);
    assert.deepEqual((await done)?.bytes, { peer: SIZE, origin: 0, cache: 0 });
    assert.equal(net.requests.length, 0);
    assert.deepEqual(origin.ranges, []);
  });

  it('some pieces stored: never handed over (the stored ones are served, the rest in Range runs)', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    store.put(0, slice(f, 0));
    const origin = new FakeOrigin(f);
    const { response, done, net } = serve(f, deps(store, origin, null), store, origin);
    assert.deepEqual(new Uint8Array(await (await response).arrayBuffer()), f.data);
    assert.deepEqual((await done)?.bytes, { peer: 0, origin: SIZE - PIECE, cache: PIECE });
    assert.equal(net.requests.length, 0);
  });
});
