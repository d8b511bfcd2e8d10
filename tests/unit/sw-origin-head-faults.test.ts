/**
 * A torrent asset's head (sw-origin-head.test.ts) under the faults a review looked for: an origin
 * that fails the head once the rest is in, with peers that then accept and go silent; an origin
 * redeployed while the head and the peers' session race.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from './support/fake-clock.ts';
import {
  deps,
  FakeBridge,
  FakeOrigin,
  gatherAll,
  headGatherer,
  MemStore,
  makeAsset,
  PIECE,
  pieceReply,
  SIZE,
  T,
} from './support/sw-fakes.ts';

describe('PieceGatherer: a head from the origin, faults', () => {
  it('the origin fails the head after the rest is in, and the head session stays silent: the head still settles', T, async () => {
    const f = await makeAsset(SIZE);
    const clock = new FakeClock(0);
    const origin = new FakeOrigin(f);
    // A slow 500: the peers' rest is in (no deadline left running) before the head fails.
    origin.fetchOrigin = async () => {
      await new Promise<void>((resolve) => clock.setTimeout(resolve, 200));
      return new Response('boom', { status: 500 });
    };
    const bridge = new FakeBridge(
      (pieces) =>
        pieces.includes(0)
          ? [{ at: 2, reply: { pc: 'accepted' as const, peers: 1 } }] // accepted, then nothing ever
          : [
              { at: 2, reply: { pc: 'accepted' as const, peers: 1 } },
              ...pieces.map((i, k) => ({ at: 10 + 3 * k, reply: pieceReply(f, i) })),
            ],
      clock,
    );
    const d = { ...deps(new MemStore(f.asset.hash), origin, bridge, { firstMs: 1_000, stallMs: 1_000 }), timers: clock };
    const g = headGatherer(f, d);
    void g.start();
    let settled = false;
    g.piece(0).then(
      () => (settled = true),
      () => (settled = true),
    );
    await clock.advanceSettled(300);
    assert.equal(bridge.opened, 2, 'the head was asked of peers in a second session');
    await clock.advanceSettled(10_000);
    assert.ok(settled, 'piece 0 settled (a hedge deadline covers the head session too)');
    g.cancel();
  });

  it('the origin is redeployed (same size) while the head and the peers race: the rest still comes from peers, byte-exact', T, async () => {
    const f = await makeAsset(SIZE);
    const changed = f.data.slice();
    changed[PIECE + 5] = (changed[PIECE + 5] ?? 0) ^ 0xff; // piece 1 differs, piece 0 does not
    const origin = new FakeOrigin({ ...f, data: changed });
    const bridge = new FakeBridge((pieces) => [
      { at: 2, reply: { pc: 'accepted' as const, peers: 1 } },
      ...pieces.map((i, k) => ({ at: 60 + 3 * k, reply: pieceReply(f, i) })),
    ]);
    const g = headGatherer(f, deps(new MemStore(f.asset.hash), origin, bridge, { firstMs: 300, stallMs: 300 }));
    const all = gatherAll(g);
    await g.piece(0);
    g.commit(); // the response's headers and piece 0 are out: the page is served this version
    const { bytes } = await all;
    assert.deepEqual(bytes, f.data);
  });
});
