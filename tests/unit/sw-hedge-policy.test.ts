/**
 * The worker's hedge policy (sw/hedge-policy.ts): which destinations skip peers, and how long a
 * gather waits for peers before racing the origin, from what was measured.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Ewma } from '../../protocol/ewma.ts';
import {
  HEDGE_CROWD_MARGIN,
  HEDGE_CROWD_MAX_MS,
  HEDGE_CROWD_RANK,
  HEDGE_MARGIN,
  HEDGE_MAX_MS,
  HEDGE_MIN_MS,
  HEDGE_PEER_BYTES_PER_MS,
  HEDGE_PEER_COLD_FIRST_PIECE_MS,
  HEDGE_PEER_FIRST_PIECE_MS,
  HEDGE_STALL_MIN_MS,
  HEDGE_STALL_PIECES,
  NO_PEERS_MEMORY_MS,
} from '../../protocol/limits.ts';
import { crowdFirstMs, hedgeDelays, isCritical, SourceSpeeds } from '../../sw/hedge-policy.ts';

const PIECE = 64 * 1024;

describe('isCritical', () => {
  it('stylesheets, scripts, fonts and workers go to the network at once; images, media and fetch() do not', () => {
    for (const d of ['style', 'script', 'font', 'worker', 'sharedworker', 'manifest']) assert.equal(isCritical(d), true, d);
    for (const d of ['image', 'video', 'audio', 'track', '', 'document']) assert.equal(isCritical(d), false, d);
  });
});

describe('Ewma', () => {
  it('starts at its first sample, then moves a share of the way; ignores nonsense', () => {
    const e = new Ewma(0.5);
    assert.equal(e.value, undefined);
    e.add(100);
    assert.equal(e.value, 100);
    e.add(200);
    assert.equal(e.value, 150);
    e.add(Number.NaN);
    e.add(-5);
    assert.equal(e.value, 150);
  });
});

const within = (v: number, lo: number, hi: number): number => Math.round(Math.min(hi, Math.max(lo, v)));

describe('hedgeDelays', () => {
  it('nothing measured: the documented defaults', () => {
    const d = hedgeDelays(new SourceSpeeds(), 10 * PIECE, PIECE);
    assert.equal(d.firstMs, within(HEDGE_PEER_FIRST_PIECE_MS * HEDGE_MARGIN, HEDGE_MIN_MS, HEDGE_MAX_MS));
    assert.equal(
      d.stallMs,
      within(((HEDGE_STALL_PIECES * PIECE) / HEDGE_PEER_BYTES_PER_MS) * HEDGE_MARGIN, HEDGE_STALL_MIN_MS, HEDGE_MAX_MS),
    );
  });

  it('fast peers measured: the wait shrinks to their first-piece time × margin, never under the floor', () => {
    const s = new SourceSpeeds();
    s.peerFirstPiece(400);
    assert.equal(hedgeDelays(s, 10 * PIECE, PIECE).firstMs, within(400 * HEDGE_MARGIN, HEDGE_MIN_MS, HEDGE_MAX_MS));
    const quick = new SourceSpeeds();
    quick.peerFirstPiece(5);
    assert.equal(hedgeDelays(quick, 10 * PIECE, PIECE).firstMs, HEDGE_MIN_MS);
  });

  it('no bridge ready yet: the cold figure, never below its default, measured apart from the warm one', () => {
    const s = new SourceSpeeds();
    const cold = within(HEDGE_PEER_COLD_FIRST_PIECE_MS * HEDGE_MARGIN, HEDGE_MIN_MS, HEDGE_MAX_MS);
    assert.equal(hedgeDelays(s, 10 * PIECE, PIECE, true).firstMs, cold);
    s.peerFirstPiece(400);
    s.peerFirstPiece(50, true);
    assert.equal(hedgeDelays(s, 10 * PIECE, PIECE, true).firstMs, cold, 'a fast cold sample does not lower it');
    assert.equal(
      hedgeDelays(s, 10 * PIECE, PIECE).firstMs,
      within(400 * HEDGE_MARGIN, HEDGE_MIN_MS, HEDGE_MAX_MS),
      'nor touch the warm one',
    );
  });

  it('slow peers measured: never past the ceiling', () => {
    const s = new SourceSpeeds();
    s.peerFirstPiece(5_000);
    assert.equal(hedgeDelays(s, 10 * PIECE, PIECE).firstMs, HEDGE_MAX_MS);
  });

  it('bytes already asked of peers by other requests are waited for at the peers rate', () => {
    const s = new SourceSpeeds();
    s.peerFirstPiece(200);
    s.peerRate(1_000_000, 1_000); // 1,000 bytes/ms
    assert.equal(hedgeDelays(s, PIECE, PIECE, false, 0).firstMs, within(200 * HEDGE_MARGIN, HEDGE_MIN_MS, HEDGE_MAX_MS));
    // 300,000 bytes ahead: 300 ms more before a first piece can come
    assert.equal(hedgeDelays(s, PIECE, PIECE, false, 300_000).firstMs, within(500 * HEDGE_MARGIN, HEDGE_MIN_MS, HEDGE_MAX_MS));
    s.backlog(300_000);
    s.backlog(-100_000);
    assert.equal(s.peerBacklogBytes, 200_000);
    s.backlog(-1_000_000);
    assert.equal(s.peerBacklogBytes, 0, 'never below 0');
  });

  it('the margin only while the origin would not have finished: peers always get their expected time', () => {
    const s = new SourceSpeeds();
    s.peerFirstPiece(600); // × margin = 1200
    s.origin(100, 1_000_000, 1_000); // 100 ms to first byte, 1,000 bytes/ms
    // 800,000 bytes: 100 + 800 = 900 ms from the origin: no use waiting past it
    assert.equal(hedgeDelays(s, 800_000, PIECE).firstMs, 900);
    // 20,000 bytes: the origin would take 120 ms, but peers still get their 600
    assert.equal(hedgeDelays(s, 20_000, PIECE).firstMs, 600);
    // a large request: the origin needs longer than 1200, so the full margin stands
    assert.equal(hedgeDelays(s, 4_000_000, PIECE).firstMs, 1200);
  });

  it('stall delay follows the peers measured rate, within its floor and the ceiling', () => {
    const fast = new SourceSpeeds();
    fast.peerRate(10_000_000, 1_000); // 10,000 bytes/ms: 4 pieces in 26 ms
    assert.equal(hedgeDelays(fast, 10 * PIECE, PIECE).stallMs, HEDGE_STALL_MIN_MS);
    const slow = new SourceSpeeds();
    slow.peerRate(100_000, 1_000); // 100 bytes/ms
    assert.equal(hedgeDelays(slow, 10 * PIECE, PIECE).stallMs, HEDGE_MAX_MS);
    const mid = new SourceSpeeds();
    mid.peerRate(400_000, 1_000); // 400 bytes/ms: 4 pieces in 655 ms, × 2
    assert.equal(hedgeDelays(mid, 10 * PIECE, PIECE).stallMs, within(((4 * PIECE) / 400) * HEDGE_MARGIN, HEDGE_STALL_MIN_MS, HEDGE_MAX_MS));
  });

  it('a request smaller than a piece: the stall delay counts its own size', () => {
    const s = new SourceSpeeds();
    s.peerRate(1_000_000, 1_000); // 1,000 bytes/ms
    assert.equal(hedgeDelays(s, 1_000, PIECE).stallMs, HEDGE_STALL_MIN_MS);
  });
});

describe('SourceSpeeds.expectNoPeers', () => {
  it('a no-peers answer and no peer piece at all within NO_PEERS_MEMORY_MS', () => {
    const s = new SourceSpeeds();
    assert.equal(s.expectNoPeers(0), false, 'nothing known: ask');
    s.noPeersAnswered(1_000);
    assert.equal(s.expectNoPeers(1_000 + NO_PEERS_MEMORY_MS), true);
    assert.equal(s.expectNoPeers(1_001 + NO_PEERS_MEMORY_MS), false, 'forgotten after the memory');
    s.peerPieceCame(2_000);
    s.noPeersAnswered(3_000);
    assert.equal(s.expectNoPeers(3_500), false, 'peers served this worker lately: a no-peers for one asset says nothing of the next page');
    s.noPeersAnswered(2_500 + NO_PEERS_MEMORY_MS);
    assert.equal(s.expectNoPeers(2_501 + NO_PEERS_MEMORY_MS), true, 'no piece within the memory, a fresh no-peers');
  });
});

describe('crowdFirstMs', () => {
  it(`from rank ${HEDGE_CROWD_RANK} on: ${HEDGE_CROWD_MARGIN} times the delay, at most ${HEDGE_CROWD_MAX_MS} ms, never shorter than without`, () => {
    assert.equal(crowdFirstMs(500, undefined), 500, 'a holder was named, or no rank said');
    assert.equal(crowdFirstMs(500, HEDGE_CROWD_RANK - 1), 500);
    assert.equal(crowdFirstMs(500, HEDGE_CROWD_RANK), 500 * HEDGE_CROWD_MARGIN);
    assert.equal(crowdFirstMs(1_500, 1_000), Math.min(1_500 * HEDGE_CROWD_MARGIN, HEDGE_CROWD_MAX_MS));
    assert.equal(crowdFirstMs(HEDGE_CROWD_MAX_MS * 2, 50), HEDGE_CROWD_MAX_MS * 2, 'a longer delay is kept');
    assert.equal(crowdFirstMs(500, Number.NaN), 500);
  });
});
