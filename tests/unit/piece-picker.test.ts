/** The swarm's scheduling rules (page-bridge/schedule/), shared by the bridge and the simulator. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Bitfield } from '../../page-bridge/schedule/bitfield.ts';
import { isSeedRank, originShare } from '../../page-bridge/schedule/origin-share.ts';
import { PiecePicker } from '../../page-bridge/schedule/piece-picker.ts';
import { ORIGIN_SEED_FIRST_RANK } from '../../protocol/limits.ts';

const bits = (length: number, held: number[]): Bitfield => {
  const b = new Bitfield(length);
  for (const i of held) b.add(i);
  return b;
};
const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

describe('Bitfield', () => {
  test('round-trips its wire form, most significant bit first (BEP 3)', () => {
    const b = bits(10, [0, 7, 9]);
    assert.deepEqual([...b.toBytes()], [0b10000001, 0b01000000]);
    const back = Bitfield.fromBytes(10, b.toBytes());
    assert.ok(back);
    assert.deepEqual(
      range(10).filter((i) => back.has(i)),
      [0, 7, 9],
    );
    assert.equal(back.count, 3);
  });

  test('refuses a wrong length and spare bits set past the end', () => {
    assert.equal(Bitfield.fromBytes(10, new Uint8Array(3)), null);
    assert.equal(Bitfield.fromBytes(10, new Uint8Array([0, 0b00100000])), null);
    assert.equal(Bitfield.fromBytes(0, new Uint8Array(0))?.complete, true);
  });

  test('ignores indexes out of range and counts each bit once', () => {
    const b = new Bitfield(4);
    assert.equal(b.add(4), false);
    assert.equal(b.add(-1), false);
    assert.equal(b.add(2), true);
    assert.equal(b.add(2), false);
    assert.equal(b.count, 1);
    assert.equal(Bitfield.full(4).complete, true);
  });
});

describe('PiecePicker', () => {
  const options = { maxInFlightPerPeer: 2, endgamePieces: 2 };

  test('rarest first among the pieces a peer holds', () => {
    const p = new PiecePicker(range(4), 4, options);
    p.setPeer('a', bits(4, [0, 1, 2, 3]));
    p.setPeer('b', bits(4, [0, 1]));
    p.setPeer('c', bits(4, [0, 3]));
    // 2 is held only by a; 1 and 3 by two peers; 0 by three.
    assert.equal(p.pick('a'), 2);
    assert.equal(p.pick('b'), 1);
    assert.equal(p.pick('c'), 3);
    assert.equal(p.pick('c'), 0);
  });

  test('at most maxInFlightPerPeer requests per peer; a received piece frees a slot', () => {
    const p = new PiecePicker(range(6), 6, options);
    p.setPeer('a', Bitfield.full(6));
    assert.equal(p.pick('a'), 0);
    assert.equal(p.pick('a'), 1);
    assert.equal(p.pick('a'), null);
    assert.deepEqual(p.received(0, 'a'), []);
    assert.equal(p.pick('a'), 2);
    assert.equal(p.remaining, 5);
  });

  test('ties go to the piece nearest after the offset', () => {
    const p = new PiecePicker(range(5), 5, { ...options, offset: 3 });
    p.setPeer('a', Bitfield.full(5));
    assert.equal(p.pick('a'), 3);
    assert.equal(p.pick('a'), 4);
    assert.deepEqual(p.pending(), [3, 4, 0, 1, 2]);
  });

  test('a peer that failed a piece is not asked for it again; another is', () => {
    const p = new PiecePicker([0], 1, options);
    p.setPeer('liar', Bitfield.full(1));
    p.setPeer('honest', Bitfield.full(1));
    const first = p.pick('liar');
    assert.equal(first, 0);
    p.failed(0, 'liar');
    assert.equal(p.pick('liar'), null);
    assert.equal(p.pick('honest'), 0);
    p.failed(0, 'honest');
    assert.equal(p.anyUsableSource(), false, 'nobody left to ask: the origin');
  });

  test('a piece a peer choked is released: wanted again, its slot free, and the same peer may be asked for it later', () => {
    const p = new PiecePicker([0, 1], 2, { ...options, maxInFlightPerPeer: 1 });
    p.setPeer('busy', Bitfield.full(2));
    assert.equal(p.pick('busy'), 0);
    assert.equal(p.pick('busy'), null, 'its one slot is taken');
    p.release(0, 'busy');
    assert.equal(p.inFlight('busy'), 0);
    assert.equal(p.pick('busy'), 0, 'asked again, unlike a failed piece');
    assert.equal(p.sourceFor(1), true);
  });

  test('endgame: the last pieces in flight are asked of a second peer, and the duplicate is cancelled on arrival', () => {
    const p = new PiecePicker(range(2), 2, options);
    p.setPeer('slow', Bitfield.full(2));
    p.setPeer('fast', Bitfield.full(2));
    assert.equal(p.pick('slow'), 0);
    assert.equal(p.pick('slow'), 1);
    assert.equal(p.inEndgame(), true);
    assert.equal(p.pick('fast'), 0);
    assert.equal(p.pick('fast'), 1);
    assert.equal(p.pick('fast'), null, 'slots full');
    assert.deepEqual(p.received(0, 'fast'), ['slow']);
    assert.equal(p.inFlight('slow'), 1);
    assert.equal(p.inFlight('fast'), 1);
  });

  test('no endgame while pieces are unrequested or many are left', () => {
    const p = new PiecePicker(range(4), 4, options);
    p.setPeer('a', Bitfield.full(4));
    p.setPeer('b', bits(4, [1]));
    assert.equal(p.pick('a'), 0);
    assert.equal(p.pick('a'), 2, 'rarest first: 1 is held by two peers');
    assert.equal(p.pick('b'), 1);
    assert.equal(p.pick('b'), null, 'b holds only piece 1, already in flight, and this is no endgame');
    assert.equal(p.inEndgame(), false);
  });

  test('removePeer returns its pieces in flight to the pool; giveUp drops pieces the origin takes', () => {
    const p = new PiecePicker(range(3), 3, options);
    p.setPeer('a', Bitfield.full(3));
    p.pick('a');
    p.pick('a');
    assert.deepEqual(p.removePeer('a').sort(), [0, 1]);
    p.setPeer('b', Bitfield.full(3));
    assert.equal(p.pick('b'), 0);
    assert.deepEqual(p.giveUp([0, 2]), ['b']);
    assert.deepEqual(p.pending(), [1]);
    assert.deepEqual(p.unheld(), []);
  });

  test('a bitfield updated after setPeer is seen (a `have` for one piece)', () => {
    const p = new PiecePicker(range(2), 2, options);
    const b = new Bitfield(2);
    p.setPeer('a', b);
    assert.equal(p.pick('a'), null);
    assert.deepEqual(p.unheld(), [0, 1]);
    b.add(1);
    assert.equal(p.pick('a'), 1);
  });
});

describe('originShare', () => {
  test('everything when no other visitor holds or fetches the asset, nothing otherwise', () => {
    assert.deepEqual(originShare([3, 4, 5], 0), [3, 4, 5]);
    assert.deepEqual(originShare([3, 4, 5], 1), []);
  });

  test('the r-th fetcher takes piece pieceCount − r, for r < pieceCount; later ones nothing', () => {
    const all = range(4);
    assert.deepEqual(originShare(all, 2, 0, 4), [], 'rank 0 with sources: holders serve it');
    assert.deepEqual(originShare(all, 2, 1, 4), [3]);
    assert.deepEqual(originShare(all, 2, 3, 4), [1]);
    assert.deepEqual(originShare(all, 2, 4, 4), []);
    assert.deepEqual(originShare([0, 1], 2, 1, 4), [], 'its share is not in this window');
    assert.deepEqual(originShare([0], 3, 1, 1), [], 'a one-piece asset: only the first takes it');
    // Across the first ranks the origin sends each piece at most once more.
    const extra = range(ORIGIN_SEED_FIRST_RANK).flatMap((r) => originShare(all, 1, r, 4));
    assert.deepEqual(extra.sort(), [1, 2, 3]);
  });

  test(`ranks ${ORIGIN_SEED_FIRST_RANK}, ${2 * ORIGIN_SEED_FIRST_RANK}, ${4 * ORIGIN_SEED_FIRST_RANK}, … take a whole copy: a crowd of N gets about log2(N) copies from the origin`, () => {
    const all = range(4);
    const seeds = range(1025).filter((r) => originShare(all, 2, r, 4).length === 4);
    assert.deepEqual(
      seeds,
      [8, 16, 32, 64, 128, 256, 512, 1024].filter((r) => r >= ORIGIN_SEED_FIRST_RANK),
    );
    assert.deepEqual(originShare([0], 3, ORIGIN_SEED_FIRST_RANK, 1), [0], 'a one-piece asset too');
    assert.deepEqual(originShare([2, 3], 3, 2 * ORIGIN_SEED_FIRST_RANK, 4), [2, 3], 'the pieces of its window');
    assert.deepEqual(originShare(all, 2, ORIGIN_SEED_FIRST_RANK), all, 'whatever the piece count');
    assert.equal(isSeedRank(ORIGIN_SEED_FIRST_RANK + 1), false);
    assert.equal(isSeedRank(3 * ORIGIN_SEED_FIRST_RANK), false);
    assert.equal(isSeedRank(Number.NaN), false);
    // Origin bytes per visitor, in whole copies, for a crowd of N: the first fetcher and the seed ranks.
    const copies = (n: number): number => 1 + range(n).filter(isSeedRank).length;
    assert.equal(copies(10), 2);
    assert.equal(copies(1_000), 8);
  });
});
