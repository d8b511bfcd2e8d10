/**
 * Faults a review found in the choke (`nak choked`, schedule/upload-queue.ts), its retry, the
 * drain measurement and the seed ranks across a large asset's windows: each a test that failed
 * before its fix.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PeerLink } from '../../page-bridge/peer-link.ts';
import { type RequestContext, servePieceRequest } from '../../page-bridge/piece-requests.ts';
import { originShare } from '../../page-bridge/schedule/origin-share.ts';
import { UploadQueue } from '../../page-bridge/schedule/upload-queue.ts';
import type { Clock } from '../../protocol/clock.ts';
import { GATHER_WINDOW_PIECES, PIECE_SIZE } from '../../protocol/limits.ts';
import { encodeControl } from '../../protocol/peer-wire.ts';
import { SignalHub } from '../../signal-worker/core/signal/signal-hub.ts';
import { FakeClock, FakeSignalSocket, hash, peerId, seededRandom } from './signal-fakes.ts';
import { connectHolder, countingHooks, FakeLookup, FakePeer, type StoredPieces, testPool, tick, until } from './support/bridge-fakes.ts';
import { workerEnd } from './support/worker-end.ts';

const H = 'e'.repeat(64);
const PIECES = Array.from({ length: 4 }, (_, i) => new Uint8Array(500).fill(i + 1));
const holding = (): StoredPieces => new Map([[H, PIECES]]);

/**
 * One holder that chokes the first request; the asker's clock (Date.now) reads `stepMs` less from
 * 10 ms after that choke on: a wall-clock step back, or, for a few ms, the host timer firing before
 * Date.now has reached the choke's end (measured in Node: about 1 in 40 50-ms timers fire up to
 * 1 ms early by Date.now).
 */
async function chokedOnceThenClockSteps(t: import('node:test').TestContext, stepMs: number): Promise<void> {
  let skew = 0;
  const clock: Clock = { now: () => Date.now() - skew, setTimeout, clearTimeout };
  const p = testPool({ clock });
  const ctx: RequestContext = { pool: p.pool, signal: new FakeLookup(), onFailure: () => undefined, onBadPiece: () => undefined };
  const holder = await connectHolder(p.pool, p.peers, 'busy-once', holding());
  let chokes = 1;
  holder.farHooks.uploadQueue = {
    observe: () => undefined,
    admits: () => {
      if (chokes-- <= 0) return true;
      setTimeout(() => (skew = stepMs), 10);
      return false;
    },
  };
  const worker = workerEnd(t);
  const serving = servePieceRequest(ctx, H, [0], worker.port);
  try {
    // `accepted`, then the piece: asked again about CHOKE_RETRY_MS (50 ms) after the choke.
    const replies = await worker.received(2, 1_000);
    assert.deepEqual(
      replies.map((r) => r.pc),
      ['accepted', 'piece'],
    );
  } finally {
    worker.send({ pc: 'cancel' });
    await Promise.race([serving, tick(200)]);
  }
}

describe('choke faults: the choke retry', () => {
  it('a choked piece is asked again even when the retry timer fires a few ms before the clock says the choke ended', {
    timeout: 5_000,
  }, async (t) => {
    await chokedOnceThenClockSteps(t, 5);
  });

  it('a wall-clock step back after a choke does not stretch it: the peer is asked again within about CHOKE_RETRY_MS', {
    timeout: 5_000,
  }, async (t) => {
    await chokedOnceThenClockSteps(t, 60_000);
  });
});

describe('choke faults: the drain rate a link measures', () => {
  /** The uploading end of a link under a manual clock, with a real UploadQueue to read. */
  function uploader(): {
    peer: FakePeer;
    link: PeerLink;
    queue: UploadQueue;
    setNow: (ms: number) => void;
    ask: (id: number, piece: number) => void;
  } {
    let now = 0;
    const clock: Clock = { now: () => now, setTimeout, clearTimeout };
    const peer = new FakePeer(false, 'uploader');
    const asker = new FakePeer(false, 'asker');
    FakePeer.join(peer, asker);
    const piece = new Uint8Array(PIECE_SIZE);
    const hooks = countingHooks(new Map([[H, [piece, piece, piece, piece, piece, piece]]]));
    const queue = new UploadQueue();
    hooks.uploadQueue = queue;
    const link = new PeerLink('asker', peer, hooks, clock);
    return {
      peer,
      link,
      queue,
      setNow: (ms) => void (now = ms),
      ask: (id, index) => peer.receive(encodeControl({ t: 'req', id, hash: H, piece: index })),
    };
  }

  it('is what left the channel, not lowered by pieces read meanwhile (they are arrivals, not a drain backwards)', async () => {
    const u = uploader();
    // The channel is full (back-pressure: nothing more is sent) and drains 100 KB per 100 ms: 1,000 bytes per ms.
    u.peer.bufferSize = 2_000_000;
    // t = 0, before any rate is measured: three requests; the first read waits behind the full
    // channel, the other two settle and wait in the link's queue (counted in its backlog).
    u.ask(1, 0);
    u.ask(2, 1);
    u.ask(3, 2);
    await tick(5);
    u.setNow(100);
    u.peer.bufferSize = 1_900_000;
    u.ask(4, 3); // t = 100: 100 KB left the channel since t = 0, and two 64 KiB reads joined the queue
    await tick(5);
    u.setNow(200);
    u.peer.bufferSize = 1_800_000;
    u.ask(5, 4); // t = 200: 100 KB more left the channel, and one more read joined the queue
    await tick(5);
    u.link.close(); // its uploads wait on the full channel otherwise
    const rate = u.queue.bytesPerMs ?? 0;
    // Within 1 % (a control frame handed to the fake channel, which does not grow its buffer, counts as drained).
    assert.ok(
      Math.abs(rate - 1_000) < 10,
      `the channel drained 1,000 bytes per ms; measured ${rate} (sent: ${JSON.stringify(u.peer.sent)})`,
    );
  });
});

describe('choke faults: UploadQueue and the clock', () => {
  it('keeps learning after the clock steps back (it does not wait for the clock to pass its last sample again)', () => {
    const q = new UploadQueue();
    q.observe(1_000_000, 1_000_000, 1_000_000);
    q.observe(1_000_100, 1_000_000, 900_000); // 1,000 bytes per ms
    assert.equal(q.bytesPerMs, 1_000);
    // The wall clock steps back an hour; the link keeps draining at 100 bytes per ms.
    const back = 1_000_100 - 3_600_000;
    q.observe(back + 100, 1_000_000, 890_000);
    q.observe(back + 200, 1_000_000, 880_000);
    q.observe(back + 300, 1_000_000, 870_000);
    assert.ok((q.bytesPerMs ?? 0) < 1_000, `still ${q.bytesPerMs} bytes per ms, measured before the step: nothing learned since`);
  });
});

describe('choke faults: seed ranks and windows', () => {
  it("a fetcher's later `want` (its next window of a large asset) carries the rank it registered with: a stable group does not all take that window whole", () => {
    const hub = new SignalHub({ limits: {}, clock: new FakeClock(), random: seededRandom(7) });
    const V = hash(77);
    const clients = Array.from({ length: 9 }, (_, i) => {
      const socket = new FakeSignalSocket();
      const conn = hub.accept(socket);
      const send = (m: Record<string, unknown>): void => conn.receive(JSON.stringify(m));
      send({ type: 'join', swarm: 'example.org', peerId: peerId(`v${i}`), have: [], offers: [], introduce: 0 });
      return { socket, send };
    });
    const want = (c: (typeof clients)[number]): number | undefined => {
      c.send({ type: 'want', hash: V, exclude: [], fetching: true });
      return c.socket.ofType('peers').at(-1)?.rank;
    };
    assert.deepEqual(clients.map(want), [0, 1, 2, 3, 4, 5, 6, 7, 8], 'the first window: one seed rank (8)');
    // A 64 MiB video (1,024 pieces): each of the nine asks for its second window.
    const window2 = Array.from({ length: GATHER_WINDOW_PIECES }, (_, i) => GATHER_WINDOW_PIECES + i);
    const ranks = clients.map(want);
    const fromOrigin = ranks.flatMap((rank) => originShare(window2, 8, rank, 1_024));
    assert.ok(
      fromOrigin.length <= window2.length,
      `ranks ${JSON.stringify(ranks)}: ${fromOrigin.length / window2.length} whole copies of the second window from the origin (nine fetchers, one seed rank)`,
    );
  });
});

void until;
