/** The bridge's pure torrent bookkeeping: when the web seed joins, and where a piece came from. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PieceSources } from '../../page-bridge/torrent/piece-sources.ts';
import { shouldAddWebSeed, type WebSeedView } from '../../page-bridge/torrent/web-seed-policy.ts';

const limits = { peerGraceMs: 700, stallMs: 800 };
const view = (over: Partial<WebSeedView>): WebSeedView => ({
  now: 10_000,
  readingSince: 10_000,
  lastByteAt: null,
  peerWires: 0,
  othersInSwarm: null,
  webSeedOn: false,
  ...over,
});

describe('web seed policy', () => {
  it('never adds it when nothing is read, or twice', () => {
    assert.equal(shouldAddWebSeed(view({ readingSince: null, othersInSwarm: 0 }), limits), false);
    assert.equal(shouldAddWebSeed(view({ webSeedOn: true, othersInSwarm: 0 }), limits), false);
  });
  it('adds it at once when the tracker says no one else is in the swarm', () => {
    assert.equal(shouldAddWebSeed(view({ othersInSwarm: 0 }), limits), true);
  });
  it('waits the grace period for a first peer when others are in the swarm or the count is unknown', () => {
    for (const othersInSwarm of [null, 3]) {
      assert.equal(shouldAddWebSeed(view({ othersInSwarm, now: 10_699 }), limits), false);
      assert.equal(shouldAddWebSeed(view({ othersInSwarm, now: 10_700 }), limits), true);
    }
  });
  it('with peers connected, adds it only after a stall measured from the later of the read start and the last piece', () => {
    assert.equal(shouldAddWebSeed(view({ peerWires: 2, now: 10_799 }), limits), false);
    assert.equal(shouldAddWebSeed(view({ peerWires: 2, now: 10_800 }), limits), true);
    assert.equal(shouldAddWebSeed(view({ peerWires: 2, lastByteAt: 10_500, now: 11_299 }), limits), false);
    assert.equal(shouldAddWebSeed(view({ peerWires: 2, lastByteAt: 10_500, now: 11_300 }), limits), true);
    // A byte from before this read does not postpone it.
    assert.equal(shouldAddWebSeed(view({ peerWires: 2, lastByteAt: 5_000, now: 10_800 }), limits), true);
  });
});

describe('piece sources', () => {
  it('names the wire type that sent most of a piece, and stored for a piece no wire sent', () => {
    const s = new PieceSources();
    s.block(0, 16_384, true);
    s.block(0, 16_384, false);
    s.block(0, 16_384, true);
    s.block(1, 16_384, false);
    assert.equal(s.sourceOf(0), 'web-seed');
    assert.equal(s.sourceOf(1), 'peer');
    assert.equal(s.sourceOf(2), 'stored');
  });
  it('forgets a piece that failed verification', () => {
    const s = new PieceSources();
    s.block(3, 100, false);
    s.reset(3);
    s.block(3, 100, true);
    assert.equal(s.sourceOf(3), 'web-seed');
  });
});
