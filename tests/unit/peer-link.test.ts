/**
 * page-bridge/peer-link.ts: two PeerLinks talking our wire protocol (protocol/peer-wire.ts) over
 * joined fake channels: what goes on the wire, what each side's hooks see. `lost` is in
 * bridge-lost.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MAX_HAVE_PER_MESSAGE,
  MAX_HP_PIECES,
  MAX_HP_PIECES_PER_LINK,
  MAX_PARTIAL_PER_LINK,
  MAX_REQUESTS_IN_FLIGHT_FROM_PEER,
  MAX_UPLOAD_BUFFERED_BYTES,
} from '../../protocol/limits.ts';
import { encodeControl } from '../../protocol/peer-wire.ts';
import { linkedPair, type StoredPieces, tick, until } from './support/bridge-fakes.ts';

const H = 'a'.repeat(64);
const piece = (n: number, size = 1000): Uint8Array => new Uint8Array(size).fill(n);
const stored = (): StoredPieces => new Map([[H, [piece(1), piece(2), piece(3, 10)]]]);

describe('PeerLink: downloads', () => {
  it('a request is `req` on the wire and resolves with the bytes the other side read from storage', async () => {
    const { near, nearPeer, farPeer, nearHooks, farHooks } = linkedPair(stored());
    const data = await near.request(H, 1);
    assert.deepEqual(new Uint8Array(data), piece(2));
    assert.deepEqual(nearPeer.sent, [{ t: 'req', id: 1, hash: H, piece: 1 }]);
    assert.deepEqual(
      farPeer.pieces.map((p) => p.id),
      [1],
    );
    assert.deepEqual(farHooks.uploaded, [1000], 'the uploader counts what it sent');
    await tick();
    assert.equal(nearHooks.settled, 1, 'a slot is free again');
    assert.equal(near.inFlight, 0);
  });

  it('requests in flight are counted until answered', async () => {
    const { near } = linkedPair(stored());
    const both = Promise.all([near.request(H, 0), near.request(H, 2)]);
    assert.equal(near.inFlight, 2);
    const [a, b] = await both;
    assert.equal(a.byteLength, 1000);
    assert.equal(b.byteLength, 10);
    assert.equal(near.inFlight, 0);
  });

  it('a piece the other side does not hold is refused: `nak missing` rejects the request', async () => {
    const { near, farPeer } = linkedPair(stored());
    await assert.rejects(near.request(H, 7), /peer refused: missing/);
    assert.deepEqual(farPeer.sent, [{ t: 'nak', id: 1, reason: 'missing' }]);
  });

  it('an unanswered request times out: `cancel` goes on the wire, and the other side never sends it', async () => {
    const { near, nearPeer, farPeer, farHooks } = linkedPair(stored());
    const reads: Array<() => void> = [];
    farHooks.readPiece = async (hash, index) => {
      await new Promise<void>((resolve) => reads.push(resolve));
      return stored().get(hash)?.[index] ?? null;
    };
    const first = near.request(H, 0, 5_000);
    await assert.rejects(near.request(H, 1, 30), /piece timed out/);
    assert.deepEqual(nearPeer.sent.at(-1), { t: 'cancel', id: 2 });
    assert.equal(reads.length, 2, 'both reached the uploader: one being read, one queued');
    await tick(5); // the cancel reaches the uploader
    for (const read of reads) read();
    await first;
    await tick(5);
    assert.deepEqual(
      farPeer.pieces.map((p) => p.id),
      [1],
      'the cancelled request was dropped from the queue',
    );
  });

  it('a late piece for a request that timed out is ignored', async () => {
    const { near, nearPeer, farHooks } = linkedPair(stored());
    farHooks.readPiece = () => new Promise(() => undefined);
    await assert.rejects(near.request(H, 0, 10), /timed out/);
    nearPeer.receive(new Uint8Array([0x02, 0, 0, 0, 1, 9, 9]));
    await tick();
    assert.equal(near.isOpen, true, 'not a violation');
  });
});

describe('PeerLink: uploads', () => {
  it(`past ${MAX_REQUESTS_IN_FLIGHT_FROM_PEER} queued requests (and the one being read), the uploader answers \`nak busy\``, async () => {
    const { near, farPeer, farHooks } = linkedPair(stored());
    farHooks.readPiece = () => new Promise(() => undefined); // storage never answers: every request stays queued
    const count = MAX_REQUESTS_IN_FLIGHT_FROM_PEER + 4;
    // Distinct pieces: the same one asked twice is refused `duplicate` (peer-budgets.test.ts).
    const requests = Array.from({ length: count }, (_, i) => near.request(H, i, 5_000).catch((e: Error) => e.message));
    await until(() => near.inFlight === count - 3, 'three refusals');
    assert.deepEqual(
      farPeer.sent,
      [count - 2, count - 1, count].map((id) => ({ t: 'nak', id, reason: 'busy' })),
    );
    near.close();
    assert.equal((await Promise.all(requests)).filter((m) => m === 'peer refused: busy').length, 3);
  });

  it('holds a piece back while the channel has more than MAX_UPLOAD_BUFFERED_BYTES queued', async () => {
    const { near, farPeer } = linkedPair(stored());
    farPeer.bufferSize = MAX_UPLOAD_BUFFERED_BYTES + 1;
    const data = near.request(H, 0);
    await tick(30);
    assert.equal(farPeer.pieces.length, 0, 'waiting for the buffer to drain');
    farPeer.bufferSize = 0;
    assert.equal((await data).byteLength, 1000);
  });

  it('a request whose read is held (a piece still being fetched here) does not hold up a later one already read', async () => {
    const { near, farPeer, farHooks } = linkedPair(stored());
    let release: (data: Uint8Array | null) => void = () => undefined;
    const read = farHooks.readPiece;
    farHooks.readPiece = (hash, index) => (index === 0 ? new Promise((resolve) => (release = resolve)) : read(hash, index));
    const first = near.request(H, 0, 5_000);
    await tick();
    const second = near.request(H, 1, 5_000);
    assert.deepEqual(new Uint8Array(await second), piece(2), 'served while piece 0 is still held');
    assert.equal(farPeer.pieces.length, 1);
    release(piece(9));
    assert.deepEqual(new Uint8Array(await first), piece(9), 'and the held one once its read settles');
  });

  it('a visitor who does not upload answers every request `nak missing`', async () => {
    const { near, farPeer } = linkedPair(new Map());
    await assert.rejects(near.request(H, 0), /missing/);
    assert.deepEqual(farPeer.pieces, []);
  });
});

describe('PeerLink: haves, violations, close', () => {
  it('`have` from the other side adds to its haves and reaches onHave; sendHave batches what the decoder accepts', async () => {
    const { near, far, nearHooks, farPeer } = linkedPair();
    const many = Array.from({ length: MAX_HAVE_PER_MESSAGE + 2 }, (_, i) => i.toString(16).padStart(64, '0'));
    far.sendHave(many);
    await until(() => near.haves.size === many.length, 'every have');
    assert.deepEqual(
      nearHooks.haveCalls.map((h) => h.length),
      [MAX_HAVE_PER_MESSAGE, 2],
    );
    assert.deepEqual(
      farPeer.sent.map((m) => m.t),
      ['have', 'have'],
    );
  });

  it('`hp` marks the pieces the other side has stored of an asset it fetches; its `have` makes it a holder; `lost` forgets both', async () => {
    const { near, far } = linkedPair();
    far.sendPieces(H, [0, 2]);
    await until(() => near.hasPiece(H, 2), 'the pieces');
    assert.equal(near.hasPiece(H, 1), false);
    assert.equal(near.isSource(H), true);
    assert.equal(near.haves.has(H), false, 'a fetcher is not a holder');
    far.sendHave([H]);
    await until(() => near.haves.has(H), 'the have');
    assert.equal(near.hasPiece(H, 1), true);
    assert.equal(near.partial.has(H), false);
    far.sendLost([H]);
    await until(() => !near.isSource(H), 'the lost');
  });

  it(`\`hp\` of many assets keeps at most ${MAX_HP_PIECES_PER_LINK} piece indexes a link, the oldest assets forgotten`, () => {
    const { nearPeer, near, nearHooks } = linkedPair();
    const hash = (n: number): string => n.toString(16).padStart(64, '0');
    // Each asset just under the per-asset violation (MAX_HP_PIECES * 64), MAX_PARTIAL_PER_LINK of them: 4 Mi indexes unbounded.
    for (let h = 0; h < MAX_PARTIAL_PER_LINK; h++)
      for (let m = 0; m < 64; m++)
        nearPeer.receive(
          encodeControl({ t: 'hp', hash: hash(h), pieces: Array.from({ length: MAX_HP_PIECES }, (_, i) => m * MAX_HP_PIECES + i) }),
        );
    let kept = 0;
    for (const pieces of near.partial.values()) kept += pieces.size;
    assert.deepEqual(nearHooks.violations, [], 'no single asset is past its bound');
    assert.ok(kept <= MAX_HP_PIECES_PER_LINK, `${kept} piece indexes kept`);
    assert.equal(near.hasPiece(hash(MAX_PARTIAL_PER_LINK - 1), 5), true, 'the latest asset is kept');
  });

  it('a frame that does not decode is a protocol violation', async () => {
    const { nearPeer, nearHooks } = linkedPair();
    nearPeer.receive(new Uint8Array([0x07, 1, 2]));
    nearPeer.receive(encodeControl({ t: 'have', have: ['not a hash'] } as never));
    assert.equal(nearHooks.violations.length, 2);
  });

  it('close rejects what is in flight, closes the channel and tells the pool once; later requests reject', async () => {
    const { near, nearPeer, nearHooks, farHooks } = linkedPair(stored());
    farHooks.readPiece = () => new Promise(() => undefined);
    const pending = near.request(H, 0);
    near.close();
    near.close();
    await assert.rejects(pending, /link closed/);
    await assert.rejects(near.request(H, 1), /link closed/);
    assert.equal(nearPeer.destroyed, true);
    assert.equal(nearHooks.closed, 1);
    assert.equal(near.isOpen, false);
  });

  it('the other side closing closes this link', async () => {
    const { near, far, nearHooks } = linkedPair();
    far.close();
    await until(() => !near.isOpen, 'the close to arrive');
    assert.equal(nearHooks.closed, 1);
  });
});
