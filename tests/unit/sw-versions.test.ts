/**
 * A redeploy under an open tab: the worker's manifest lists version 1 of a file, the origin now
 * serves version 2. Every response must be exactly one version, whole: the manifest's (from
 * storage or peers) or the origin's current one, never pieces of both, never cut to the old
 * size, never a failure where the origin serves the file. Version 2 bytes are never stored.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { type ServeOutcome, SOURCE_HEADER, serveAsset } from '../../sw/serve-asset.ts';
import {
  deps,
  type Effects,
  FakeBridge,
  FakeOrigin,
  type Fixture,
  MemStore,
  makeAsset,
  PASSED_HEADER,
  PIECE,
  pieceReply,
  range,
  slice,
  T,
  URL_,
} from './support/sw-fakes.ts';

/** Version 2 of a file: `size` bytes; where it overlaps version 1 it differs only in the pieces listed. */
function nextVersion(v1: Fixture, size: number, changedPieces: number[]): Fixture {
  const data = new Uint8Array(size);
  data.set(v1.data.subarray(0, Math.min(size, v1.data.length)));
  if (size > v1.data.length) data.set(new Uint8Array(randomBytes(size - v1.data.length)), v1.data.length);
  for (const i of changedPieces) data[i * PIECE + 7] = (data[i * PIECE + 7]! + 1) & 0xff;
  // The origin serves these bytes; the manifest (the asset) stays version 1's.
  return { data, asset: v1.asset, pieces: v1.pieces };
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

async function serve(v1: Fixture, store: MemStore, origin: FakeOrigin, bridge: FakeBridge | null, headers: Record<string, string> = {}) {
  const effects: Effects = { passed: [], changed: [] };
  const outcomes: Array<ServeOutcome | null> = [];
  const d = deps(store, origin, bridge, { firstMs: 300, stallMs: 150 }, effects);
  const response = await serveAsset(new Request(URL_, { headers }), v1.asset, PIECE, d, (o) => outcomes.push(o));
  return { response, effects, outcomes };
}

const storedIndexes = (store: MemStore): number[] => [...store.written].sort((a, b) => a - b);

describe('a redeploy under an open tab', () => {
  it('whole file stored: version 1 from storage, the origin is not asked', T, async () => {
    const v1 = await makeAsset(10 * PIECE);
    const store = new MemStore(v1.asset.hash);
    for (const i of range(0, 9)) store.put(i, slice(v1, i));
    const origin = new FakeOrigin(nextVersion(v1, 10 * PIECE, [0, 5]));
    const { response, effects } = await serve(v1, store, origin, null);
    assert.equal(sha(new Uint8Array(await response.arrayBuffer())), sha(v1.data));
    assert.equal(response.headers.get(SOURCE_HEADER), 'cache');
    assert.deepEqual(origin.ranges, []);
    assert.deepEqual(effects.passed, []);
  });

  it(
    'piece 0 stored, the rest changed at the origin: the page gets the origin answer to its own request, nothing of version 2 stored',
    T,
    async () => {
      const v1 = await makeAsset(4 * PIECE);
      const store = new MemStore(v1.asset.hash);
      store.put(0, slice(v1, 0));
      const origin = new FakeOrigin(nextVersion(v1, 4 * PIECE, [1, 2, 3]));
      const { response, effects, outcomes } = await serve(v1, store, origin, null);
      assert.equal(response.headers.get(PASSED_HEADER), '1', 'passed to the network, not stitched');
      assert.equal(effects.passed.length, 1);
      assert.equal(effects.passed[0]?.url, URL_);
      assert.deepEqual(effects.changed, [v1.asset.hash]);
      assert.deepEqual(storedIndexes(store), []);
      assert.deepEqual(outcomes, [null]);
    },
  );

  it(
    'piece 0 stored, a same-size change only in the last piece: still passed whole, not 3 pieces of one version and 1 of the other',
    T,
    async () => {
      const v1 = await makeAsset(4 * PIECE);
      const store = new MemStore(v1.asset.hash);
      store.put(0, slice(v1, 0));
      const origin = new FakeOrigin(nextVersion(v1, 4 * PIECE, [3]));
      const { response, effects } = await serve(v1, store, origin, null);
      assert.equal(response.headers.get(PASSED_HEADER), '1');
      assert.deepEqual(effects.changed, [v1.asset.hash]);
      assert.ok(!store.written.includes(3), 'the changed piece is never stored');
    },
  );

  it('nothing stored, a same-size change in piece 3 of 10: the response follows the origin and is version 2 whole', T, async () => {
    const v1 = await makeAsset(10 * PIECE);
    const store = new MemStore(v1.asset.hash);
    const v2 = nextVersion(v1, 10 * PIECE, [3]);
    const origin = new FakeOrigin(v2);
    const { response, effects } = await serve(v1, store, origin, null);
    assert.equal(response.status, 200);
    const body = new Uint8Array(await response.arrayBuffer());
    assert.equal(body.length, v2.data.length);
    assert.equal(sha(body), sha(v2.data), 'exactly the origin version, whole');
    assert.deepEqual(effects.changed, [v1.asset.hash]);
    assert.deepEqual(effects.passed, [], 'one origin request, no second one');
    assert.ok(
      storedIndexes(store).every((i) => i < 3),
      `only pieces verified against the manifest are stored: ${storedIndexes(store)}`,
    );
  });

  it('a grown file, nothing stored: the whole new file (not cut to the old size), for a plain and a Range request', T, async () => {
    const v1 = await makeAsset(100 * 1024);
    const origin = new FakeOrigin(nextVersion(v1, 300 * 1024, [0]));
    for (const headers of [{}, { Range: 'bytes=0-99' }] as Array<Record<string, string>>) {
      const store = new MemStore(v1.asset.hash);
      const { response, effects } = await serve(v1, store, origin, null, headers);
      assert.equal(response.headers.get(PASSED_HEADER), '1', JSON.stringify(headers));
      assert.deepEqual(effects.changed, [v1.asset.hash]);
      assert.deepEqual(storedIndexes(store), []);
    }
  });

  it('a grown file whose first pieces are unchanged: the size in Content-Range tells before any byte', T, async () => {
    const v1 = await makeAsset(3 * PIECE);
    const origin = new FakeOrigin(nextVersion(v1, 5 * PIECE, []));
    const store = new MemStore(v1.asset.hash);
    const { response, effects } = await serve(v1, store, origin, null);
    assert.equal(response.headers.get(PASSED_HEADER), '1');
    assert.deepEqual(effects.changed, [v1.asset.hash]);
    assert.deepEqual(storedIndexes(store), [], 'nothing stored from an answer of the wrong size');
  });

  it('a shrunk file, nothing stored: the origin answer, not a failure (plain, and a range past the new end)', T, async () => {
    const v1 = await makeAsset(300 * 1024);
    const origin = new FakeOrigin(nextVersion(v1, 100 * 1024, []));
    for (const headers of [{}, { Range: 'bytes=250000-' }] as Array<Record<string, string>>) {
      const store = new MemStore(v1.asset.hash);
      const { response, effects } = await serve(v1, store, origin, null, headers);
      assert.equal(response.headers.get(PASSED_HEADER), '1', JSON.stringify(headers));
      assert.deepEqual(effects.changed, [v1.asset.hash]);
    }
  });

  it('an origin that ignores Range and sends another length: changed, passed', T, async () => {
    const v1 = await makeAsset(3 * PIECE);
    const origin = new FakeOrigin(nextVersion(v1, 3 * PIECE + 10, []), 'ignore-range');
    const { response, effects } = await serve(v1, new MemStore(v1.asset.hash), origin, null);
    assert.equal(response.headers.get(PASSED_HEADER), '1');
    assert.deepEqual(effects.changed, [v1.asset.hash]);
  });

  it('peers hold version 1: a response they start is finished by them when the origin has changed', T, async () => {
    const v1 = await makeAsset(6 * PIECE);
    const store = new MemStore(v1.asset.hash);
    const origin = new FakeOrigin(nextVersion(v1, 6 * PIECE, [4]));
    let sessions = 0;
    // First session: pieces 0-2 then silence (the worker falls back to the origin, which has
    // changed); second session: the rest.
    const bridge = new FakeBridge((pieces) => {
      sessions++;
      const send = sessions === 1 ? pieces.filter((i) => i < 3) : pieces;
      return [{ at: 1, reply: { pc: 'accepted', peers: 1 } }, ...send.map((i, k) => ({ at: 2 + k, reply: pieceReply(v1, i) }))];
    });
    const { response, effects } = await serve(v1, store, origin, bridge);
    assert.equal(response.headers.get(SOURCE_HEADER), 'peer');
    const body = new Uint8Array(await response.arrayBuffer());
    assert.equal(sha(body), sha(v1.data), 'version 1 whole, from peers');
    assert.deepEqual(effects.changed, [v1.asset.hash]);
    assert.ok(sessions >= 2, 'the peers were asked again for what the origin could not supply');
  });

  it('peers started version 1 and cannot finish it, the origin has changed: the body fails rather than mix', T, async () => {
    const v1 = await makeAsset(6 * PIECE);
    const store = new MemStore(v1.asset.hash);
    const origin = new FakeOrigin(nextVersion(v1, 6 * PIECE, [4]));
    let sessions = 0;
    const bridge = new FakeBridge((pieces) => {
      sessions++;
      if (sessions > 1) return [{ at: 1, reply: { pc: 'no-peers', reason: 'gone' } }];
      return [
        { at: 1, reply: { pc: 'accepted', peers: 1 } },
        ...pieces.filter((i) => i < 3).map((i, k) => ({ at: 2 + k, reply: pieceReply(v1, i) })),
      ];
    });
    const { response, outcomes } = await serve(v1, store, origin, bridge);
    const reader = response.body!.getReader();
    const got: number[] = [];
    await assert.rejects(
      (async () => {
        for (;;) {
          const { done, value } = await reader.read();
          if (done) return;
          got.push(...value);
        }
      })(),
    );
    assert.ok(got.length <= 4 * PIECE, 'nothing past what version 1 could supply');
    assert.deepEqual(Uint8Array.from(got), v1.data.subarray(0, got.length), 'every byte passed on is version 1');
    assert.deepEqual(outcomes, [null]);
  });

  it('the origin refuses (401, 403, 404, 410): the page gets the origin answer itself', T, async () => {
    const v1 = await makeAsset(3 * PIECE);
    for (const status of [401, 403, 404, 410]) {
      const store = new MemStore(v1.asset.hash);
      store.put(0, slice(v1, 0));
      const origin = new FakeOrigin(v1, 'status', 7_001, status);
      const { response, effects } = await serve(v1, store, origin, null);
      assert.equal(response.status, status);
      assert.equal(response.headers.get('x-origin'), 'own');
      assert.equal(await response.text(), `the origin says ${status}`);
      assert.deepEqual(effects.changed, []);
    }
  });
});
