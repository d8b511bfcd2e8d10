/**
 * page-bridge/schedule/upload-queue.ts: choking by queuing delay (BEP 3's choke, BEP 29's
 * 100 ms target), and its wiring: a PeerPool whose links have too much queued answers a peer's
 * request `nak choked`, and a requester leaves that peer for CHOKE_RETRY_MS without counting a
 * failure.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PieceRequestError } from '../../page-bridge/peer-link.ts';
import { admitsUpload, UploadQueue } from '../../page-bridge/schedule/upload-queue.ts';
import type { Clock } from '../../protocol/clock.ts';
import { CHOKE_RETRY_MS, UPLOAD_QUEUE_TARGET_MS } from '../../protocol/limits.ts';
import { connectHolder, linkedPair, type StoredPieces, testPool, tick } from './support/bridge-fakes.ts';

const H = 'd'.repeat(64);
const PIECES = Array.from({ length: 4 }, (_, i) => new Uint8Array(1000).fill(i + 1));
const stored = (): StoredPieces => new Map([[H, PIECES]]);

describe('admitsUpload', () => {
  it(`admits while the queue would hold a request at most ${UPLOAD_QUEUE_TARGET_MS} ms at the rate, and chokes past it`, () => {
    const rate = 1_000; // bytes per ms
    assert.equal(admitsUpload(rate * UPLOAD_QUEUE_TARGET_MS, rate), true);
    assert.equal(admitsUpload(rate * UPLOAD_QUEUE_TARGET_MS + 1, rate), false);
  });

  it('an empty queue always takes a request, however slow the uplink: every uploader serves someone', () => {
    assert.equal(admitsUpload(0, 0), true);
    assert.equal(admitsUpload(1, 0), false);
  });
});

describe('UploadQueue', () => {
  it('chokes nothing until it has measured its links draining: a fast uplink is never held back on a guess', () => {
    const q = new UploadQueue();
    assert.equal(q.bytesPerMs, undefined);
    assert.equal(q.admits(50_000_000), true);
  });

  it('learns the rate from what drained while something stayed queued, and chokes by it', () => {
    const q = new UploadQueue();
    // 1 MB handed to the channels, all of it still buffered; 100 ms later 200 KB of it has gone out.
    q.observe(0, 1_000_000, 1_000_000);
    q.observe(100, 1_000_000, 800_000);
    assert.equal(q.bytesPerMs, 2_000);
    assert.equal(q.admits(2_000 * UPLOAD_QUEUE_TARGET_MS), true, `${UPLOAD_QUEUE_TARGET_MS} ms at 2 MB/s`);
    assert.equal(q.admits(2_000 * UPLOAD_QUEUE_TARGET_MS + 1), false);
    assert.equal(q.admits(0), true, 'an empty queue takes a request');
  });

  it('a queue that ran dry is not a measurement: nor a drain from an empty queue, nor one into it, nor one over a long gap', () => {
    const q = new UploadQueue();
    q.observe(0, 5_000, 0);
    q.observe(1_000, 5_000, 0);
    q.observe(1_100, 70_000, 64_000); // from empty: the bytes were queued and sent in between
    q.observe(1_600, 70_000, 0); // into empty: it may have drained in the first millisecond
    q.observe(1_700, 134_000, 64_000);
    q.observe(3_700, 134_000, 1_000); // 2 s apart
    assert.equal(q.bytesPerMs, undefined);
  });

  it('samples closer together than 20 ms are skipped (timer jitter), not averaged in as bursts', () => {
    const q = new UploadQueue();
    q.observe(0, 200_000, 200_000);
    q.observe(1, 200_000, 100_000); // 100 KB in 1 ms would be 100,000 bytes per ms
    assert.equal(q.bytesPerMs, undefined);
    q.observe(50, 200_000, 100_000);
    assert.equal(q.bytesPerMs, 2_000, '100 KB in the 50 ms since the last sample taken');
  });
});

describe('choking on the wire', () => {
  it('a link whose tab will not queue more answers `nak choked`; the asker leaves it for CHOKE_RETRY_MS, then asks it again', async () => {
    let now = 1_000;
    const clock: Clock = { now: () => now, setTimeout, clearTimeout };
    const { near: asker, farPeer, farHooks } = linkedPair(stored(), clock);
    let full = true;
    farHooks.uploadQueue = { observe: () => undefined, admits: () => !full };
    const err = await asker.request(H, 0).catch((e: unknown) => e);
    assert.ok(err instanceof PieceRequestError, 'an error with a code');
    assert.equal(err.code, 'choked');
    assert.deepEqual(farPeer.sent, [{ t: 'nak', id: 1, reason: 'choked' }]);
    assert.equal(farHooks.uploaded.length, 0, 'nothing was queued for it');
    assert.equal(asker.choked, true);
    now += CHOKE_RETRY_MS - 1;
    assert.equal(asker.choked, true);
    now += 1;
    assert.equal(asker.choked, false, 'the choke has passed');
    full = false;
    assert.deepEqual(new Uint8Array(await asker.request(H, 0)), PIECES[0]);
  });

  it('a link whose channel holds more than the target at its measured drain chokes its next request, another link of the same tab serves, and once drained it serves', async () => {
    let now = 0;
    const clock: Clock = { now: () => now, setTimeout, clearTimeout };
    const t = testPool({ stored: stored(), clock });
    const slowReader = await connectHolder(t.pool, t.peers, 'slow-reader');
    const slowSide = t.peers.last();
    const fastReader = await connectHolder(t.pool, t.peers, 'fast-reader');
    // 1 MB buffered: not measured yet, so the first request is served. 100 ms later 100 KB of it
    // has gone (1 MB/s measured) and 900 KB is left: 900 ms of queue, past the target, and the next is choked.
    slowSide.bufferSize = 1_000_000;
    await slowReader.far.request(H, 0);
    now = 100;
    slowSide.bufferSize = 1_000_000 - 100_000 + 1_000;
    const err = await slowReader.far.request(H, 1).catch((e: unknown) => e);
    assert.ok(err instanceof PieceRequestError && err.code === 'choked', `choked, got ${String(err)}`);
    assert.deepEqual(new Uint8Array(await fastReader.far.request(H, 1)), PIECES[1], 'the other link has nothing queued');
    now = 200;
    slowSide.bufferSize = 0;
    await tick(1);
    assert.deepEqual(new Uint8Array(await slowReader.far.request(H, 1)), PIECES[1]);
  });

  it('a request the budgets refuse gets that answer, not `choked`: a duplicate stays a duplicate', async () => {
    const { near, farPeer, farHooks } = linkedPair(stored());
    await near.request(H, 0);
    farHooks.uploadQueue = { observe: () => undefined, admits: () => false };
    await assert.rejects(near.request(H, 0), /peer refused: duplicate/);
    await assert.rejects(near.request(H, 1), /peer refused: choked/);
    assert.deepEqual(
      farPeer.sent.map((m) => m.t === 'nak' && m.reason),
      ['duplicate', 'choked'],
    );
    farHooks.uploadQueue = undefined;
    assert.deepEqual(new Uint8Array(await near.request(H, 1)), PIECES[1], 'a choked piece was not counted as sent');
  });
});
