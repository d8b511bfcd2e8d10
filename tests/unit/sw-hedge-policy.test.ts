/**
 * The worker's hedge policy (sw/hedge-policy.ts): which destinations skip peers, and how long a
 * gather waits for peers before racing the origin, from what was measured.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  HEDGE_MARGIN,
  HEDGE_MAX_MS,
  HEDGE_MIN_MS,
  HEDGE_PEER_BYTES_PER_MS,
  HEDGE_PEER_COLD_FIRST_PIECE_MS,
  HEDGE_PEER_FIRST_PIECE_MS,
  HEDGE_STALL_MIN_MS,
  HEDGE_STALL_PIECES,
} from '../../protocol/limits.ts';
import { Ewma, hedgeDelays, isCritical, SourceSpeeds } from '../../sw/hedge-policy.ts';

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

describe('hedgeDelays', () => {
  it('nothing measured: the documented defaults', () => {
    const d = hedgeDelays(new SourceSpeeds(), 10 * PIECE, PIECE);
    assert.equal(d.firstMs, HEDGE_PEER_FIRST_PIECE_MS * HEDGE_MARGIN);
    assert.equal(d.stallMs, Math.round(((HEDGE_STALL_PIECES * PIECE) / HEDGE_PEER_BYTES_PER_MS) * HEDGE_MARGIN));
  });

  it('fast peers measured: the wait shrinks to their first-piece time × margin, never under the floor', () => {
    const s = new SourceSpeeds();
    s.peerFirstPiece(100);
    assert.equal(hedgeDelays(s, 10 * PIECE, PIECE).firstMs, 100 * HEDGE_MARGIN);
    const quick = new SourceSpeeds();
    quick.peerFirstPiece(5);
    assert.equal(hedgeDelays(quick, 10 * PIECE, PIECE).firstMs, HEDGE_MIN_MS);
  });

  it('no bridge ready yet: the cold figures, measured apart', () => {
    const s = new SourceSpeeds();
    assert.equal(hedgeDelays(s, 10 * PIECE, PIECE, true).firstMs, HEDGE_PEER_COLD_FIRST_PIECE_MS * HEDGE_MARGIN);
    s.peerFirstPiece(100);
    s.peerFirstPiece(400, true);
    assert.equal(hedgeDelays(s, 10 * PIECE, PIECE, true).firstMs, 400 * HEDGE_MARGIN);
    assert.equal(hedgeDelays(s, 10 * PIECE, PIECE).firstMs, 100 * HEDGE_MARGIN, 'a cold sample leaves the warm figure alone');
  });

  it('slow peers measured: never past the ceiling', () => {
    const s = new SourceSpeeds();
    s.peerFirstPiece(5_000);
    assert.equal(hedgeDelays(s, 10 * PIECE, PIECE).firstMs, HEDGE_MAX_MS);
  });

  it('the margin only while the origin would not have finished: peers always get their expected time', () => {
    const s = new SourceSpeeds();
    s.peerFirstPiece(400); // × margin = 800
    s.origin(100, 1_000_000, 1_000); // 100 ms to first byte, 1,000 bytes/ms
    // 500,000 bytes: 100 + 500 = 600 ms from the origin: no use waiting past it
    assert.equal(hedgeDelays(s, 500_000, PIECE).firstMs, 600);
    // 20,000 bytes: the origin would take 120 ms, but peers still get their 400
    assert.equal(hedgeDelays(s, 20_000, PIECE).firstMs, 400);
    // a large request: the origin needs longer than 800, so the full margin stands
    assert.equal(hedgeDelays(s, 4_000_000, PIECE).firstMs, 800);
  });

  it('stall delay follows the peers measured rate, within its floor and the ceiling', () => {
    const fast = new SourceSpeeds();
    fast.peerRate(10_000_000, 1_000); // 10,000 bytes/ms: 4 pieces in 26 ms
    assert.equal(hedgeDelays(fast, 10 * PIECE, PIECE).stallMs, HEDGE_STALL_MIN_MS);
    const slow = new SourceSpeeds();
    slow.peerRate(100_000, 1_000); // 100 bytes/ms
    assert.equal(hedgeDelays(slow, 10 * PIECE, PIECE).stallMs, HEDGE_MAX_MS);
    const mid = new SourceSpeeds();
    mid.peerRate(500_000, 1_000); // 500 bytes/ms: 4 pieces in 524 ms, × 2
    assert.equal(hedgeDelays(mid, 10 * PIECE, PIECE).stallMs, Math.round(((4 * PIECE) / 500) * HEDGE_MARGIN));
  });

  it('a request smaller than a piece: the stall delay counts its own size', () => {
    const s = new SourceSpeeds();
    s.peerRate(1_000_000, 1_000); // 1,000 bytes/ms
    assert.equal(hedgeDelays(s, 1_000, PIECE).stallMs, HEDGE_STALL_MIN_MS);
  });
});
