/**
 * A tab against hostile peers (issue 11): the upload ledger (duplicates, byte budgets, rates on a
 * fake clock), a link's throughput and the hand-off of a slow response to the origin, the bound on
 * a link's `have` state, and parked offers topped back up when taken offers expire.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { ASSUMED_ORIGIN, OriginRateEstimate, originFinishesFirst, ThroughputMeter } from '../../page-bridge/peer-score.ts';
import { UploadLedger, type UploadLimits } from '../../page-bridge/upload-budget.ts';
import {
  MAX_HAVE_PER_MESSAGE,
  MAX_HAVES_PER_LINK,
  MAX_PENDING_ANSWERS,
  MAX_PENDING_PARKED_OFFERS,
  OFFER_ANSWER_TIMEOUT_MS,
  PARKED_OFFERS,
  PIECE_SIZE,
} from '../../protocol/limits.ts';
import { encodeControl } from '../../protocol/peer-wire.ts';
import type { ClientMessage } from '../../protocol/signal-messages.ts';
import { linkedPair, testPool, tick, until } from './support/bridge-fakes.ts';
import { FakeClock } from './support/fake-clock.ts';

const H = 'a'.repeat(64);
const KiB = 1024;
const small: UploadLimits = {
  perPeerBytes: 4 * PIECE_SIZE,
  perPageBytes: 6 * PIECE_SIZE,
  perPeerRate: PIECE_SIZE, // one piece a second
  perPeerBurst: 2 * PIECE_SIZE,
  perPageRate: 100 * PIECE_SIZE,
  perPageBurst: 100 * PIECE_SIZE,
};

describe('UploadLedger', () => {
  it('a piece already sent to a peer is refused `duplicate` to that peer, not to another; a released one may be asked again', () => {
    const ledger = new UploadLedger(new FakeClock());
    assert.ok(ledger.admit('p1', H, 0).ok);
    const again = ledger.admit('p1', H, 0);
    assert.equal(again.ok ? 'ok' : again.code, 'duplicate');
    assert.ok(ledger.admit('p2', H, 0).ok);
    ledger.release('p2', H, 0);
    assert.ok(ledger.admit('p2', H, 0).ok);
  });

  it('rate: a token bucket per peer, refilled on the clock; past it `busy`', () => {
    const clock = new FakeClock();
    const ledger = new UploadLedger(clock, small);
    assert.ok(ledger.spend('p1', PIECE_SIZE).ok);
    assert.ok(ledger.spend('p1', PIECE_SIZE).ok);
    const third = ledger.spend('p1', PIECE_SIZE);
    assert.equal(third.ok ? 'ok' : third.code, 'busy');
    clock.advance(1_000);
    assert.ok(ledger.spend('p1', PIECE_SIZE).ok, 'one more piece after a second');
  });

  it('bytes: per peer and per page view; past either, `over-budget`, and the counter stops', () => {
    const clock = new FakeClock();
    const ledger = new UploadLedger(clock, small);
    for (let i = 0; i < 4; i++) {
      clock.advance(2_000);
      assert.ok(ledger.spend('p1', PIECE_SIZE).ok);
    }
    clock.advance(2_000);
    const fifth = ledger.spend('p1', PIECE_SIZE);
    assert.equal(fifth.ok ? 'ok' : fifth.code, 'over-budget');
    const admit = ledger.admit('p1', H, 9);
    assert.equal(admit.ok ? 'ok' : admit.code, 'over-budget');
    assert.ok(ledger.spend('p2', PIECE_SIZE).ok);
    assert.ok(ledger.spend('p2', PIECE_SIZE).ok);
    const page = ledger.spend('p3', PIECE_SIZE);
    assert.equal(page.ok ? 'ok' : page.code, 'over-budget', 'the page view has spent 6 pieces');
    assert.equal(ledger.uploaded, 6 * PIECE_SIZE);
  });
});

describe('PeerLink: upload refusals on the wire', () => {
  it('12 requests in flight for one stored piece: it is sent once, the other 11 are `nak duplicate`', async () => {
    const pieces = [new Uint8Array(PIECE_SIZE).fill(7)];
    const { nearPeer, farPeer, farHooks } = linkedPair(new Map([[H, pieces]]));
    for (let id = 1; id <= 12; id++) nearPeer.send(encodeControl({ t: 'req', id, hash: H, piece: 0 }));
    await until(() => farPeer.pieces.length + farPeer.sent.length >= 12, 'every request answered');
    await tick(5);
    assert.equal(farPeer.pieces.length, 1);
    assert.deepEqual(farHooks.uploaded, [PIECE_SIZE]);
    assert.equal(farPeer.sent.filter((m) => m.t === 'nak' && m.reason === 'duplicate').length, 11);
  });
});

describe('PeerLink: the have bound', () => {
  it(`a peer announcing more than ${MAX_HAVES_PER_LINK} assets breaks the protocol; what it said is bounded`, async () => {
    const { near, farPeer, nearHooks } = linkedPair();
    const batches = Math.ceil(MAX_HAVES_PER_LINK / MAX_HAVE_PER_MESSAGE) + 3;
    for (let b = 0; b < batches; b++) {
      const have = Array.from({ length: MAX_HAVE_PER_MESSAGE }, () => randomBytes(32).toString('hex'));
      farPeer.send(encodeControl({ t: 'have', have }));
    }
    await until(() => nearHooks.violations.length > 0, 'a violation');
    assert.match(nearHooks.violations[0] ?? '', /have: more than/);
    assert.ok(near.haves.size <= MAX_HAVES_PER_LINK, `${near.haves.size} haves kept`);
  });

  it('the same hashes announced again do not count twice', async () => {
    const { near, farPeer, nearHooks } = linkedPair();
    const have = Array.from({ length: MAX_HAVE_PER_MESSAGE }, () => randomBytes(32).toString('hex'));
    for (let b = 0; b < 20; b++) farPeer.send(encodeControl({ t: 'have', have }));
    await until(() => nearHooks.haveCalls.length === 20, 'every have');
    assert.deepEqual(nearHooks.violations, []);
    assert.equal(near.haves.size, MAX_HAVE_PER_MESSAGE);
  });
});

describe('ThroughputMeter and the hand-off to the origin', () => {
  it('a peer that sends each piece 1.4 s after the last: ~46 KB/s, and the origin would finish 8 pieces sooner', () => {
    const clock = new FakeClock();
    const meter = new ThroughputMeter(clock);
    assert.equal(meter.rate(), null, 'unmeasured');
    for (let i = 0; i < 6; i++) meter.busy();
    for (let i = 0; i < 3; i++) {
      clock.advance(1_400);
      meter.settled(PIECE_SIZE, true);
    }
    const rate = meter.rate() ?? 0;
    assert.ok(rate > 40 * KiB && rate < 50 * KiB, `rate ${rate}`);
    assert.equal(originFinishesFirst(8 * PIECE_SIZE, [rate]), true);
    assert.equal(originFinishesFirst(8 * PIECE_SIZE, [rate, null]), false, 'no verdict while a holder is unmeasured');
  });

  it('a fast peer keeps the response; time idle between requests does not count against it; a short first look is no verdict', () => {
    const clock = new FakeClock();
    const meter = new ThroughputMeter(clock);
    meter.busy();
    clock.advance(150); // round trip and a storage read
    meter.settled(PIECE_SIZE, false);
    assert.equal(meter.rate(), null, 'in flight for 150 ms: no verdict yet');
    clock.advance(1_000); // idle: not counted
    meter.busy();
    for (let i = 0; i < 60; i++) {
      clock.advance(20);
      meter.settled(PIECE_SIZE, true);
    }
    const rate = meter.rate() ?? 0;
    assert.ok(rate > 2_000 * KiB, `rate ${rate}`);
    assert.equal(originFinishesFirst(8 * PIECE_SIZE, [rate]), false);
  });

  it("the origin's rate is what the worker reported for responses the origin alone served", () => {
    const origin = new OriginRateEstimate();
    assert.deepEqual(origin.estimate(), ASSUMED_ORIGIN);
    origin.observe({ peer: 1, origin: 10 * PIECE_SIZE, cache: 0 }, 10); // partly from a peer: not the origin's rate
    origin.observe({ peer: 0, origin: 0, cache: PIECE_SIZE }, 1);
    assert.deepEqual(origin.estimate(), ASSUMED_ORIGIN);
    origin.observe({ peer: 0, origin: 4 * PIECE_SIZE, cache: 0 }, 100);
    assert.equal(origin.estimate().bytesPerS, 4 * PIECE_SIZE * 10);
  });

  it('a peer that stops delivering falls to 0 while its requests wait', () => {
    const clock = new FakeClock();
    const meter = new ThroughputMeter(clock);
    meter.busy();
    clock.advance(10);
    meter.settled(PIECE_SIZE, true);
    clock.advance(4_000);
    const rate = meter.rate();
    assert.ok(rate !== null && rate < 20 * KiB, `rate ${rate}`);
  });
});

describe('PeerPool: parked offers after expiry', () => {
  const offersSent = (sent: ClientMessage[]): string[] => sent.flatMap((m) => (m.type === 'offers' ? m.offers.map((o) => o.connId) : []));

  it(`offers taken and never answered: at most ${MAX_PENDING_PARKED_OFFERS} pending; when they expire the pool parks ${PARKED_OFFERS} again`, async () => {
    const clock = new FakeClock();
    const { pool, signal } = testPool({ clock });
    const parked = (await pool.offersForJoin()).map((o) => o.connId);
    const taken = new Set<string>();
    // A newcomer (or an attacker) takes every offer the holder parks and never answers.
    for (let round = 0; round < 20; round++) {
      for (const connId of [...parked, ...offersSent(signal.sent)]) {
        if (taken.has(connId)) continue;
        taken.add(connId);
        pool.onSignal({ type: 'offer-used', connId, by: `newcomer${taken.size}` });
      }
      await tick();
    }
    assert.equal(taken.size, MAX_PENDING_PARKED_OFFERS, 'offers made while taken ones were pending');
    assert.equal(pool.parkedOffers, 0);
    assert.equal(pool.pending('parked'), MAX_PENDING_PARKED_OFFERS);

    const before = offersSent(signal.sent).length;
    clock.advance(OFFER_ANSWER_TIMEOUT_MS);
    await until(
      () => pool.parkedOffers === PARKED_OFFERS && offersSent(signal.sent).length === before + PARKED_OFFERS,
      'offers parked again',
    );
    assert.equal(pool.pending('parked'), PARKED_OFFERS, 'the expired attempts are gone');
  });
});

describe('PeerPool: a parked offer that fails on its own', () => {
  it('is not replaced at once (a browser out of connections would make, fail and replace one endlessly)', async () => {
    const { pool, peers } = testPool({ clock: new FakeClock() });
    await pool.offersForJoin();
    const made = peers.made.length;
    peers.made[0]?.emit('error', new Error('ERR_PC_CONSTRUCTOR'));
    await tick();
    assert.equal(pool.parkedOffers, PARKED_OFFERS - 1);
    assert.equal(peers.made.length, made);
  });
});

describe('PeerPool: answers have their own budget', () => {
  it(`offers relayed from ${MAX_PENDING_ANSWERS + 4} strangers: ${MAX_PENDING_ANSWERS} answered, the rest ignored before any connection is made`, async () => {
    const { pool, peers } = testPool({ clock: new FakeClock() });
    await pool.offersForJoin();
    const before = peers.made.length;
    for (let i = 0; i < MAX_PENDING_ANSWERS + 4; i++)
      pool.onSignal({ type: 'signal', from: `stranger${i}`, connId: `conn-${i}`, sdp: { type: 'offer', sdp: 'x' } });
    assert.equal(peers.made.length - before, MAX_PENDING_ANSWERS);
    assert.equal(pool.pending('answer'), MAX_PENDING_ANSWERS);
    assert.equal(pool.parkedOffers, PARKED_OFFERS, 'our parked offers are untouched');
  });
});
