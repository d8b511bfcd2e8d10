/**
 * page-bridge/piece-requests.ts: one worker request served from other visitors. The pool is real
 * (on fake WebRTC peers joined to the other visitors' own PeerLinks), the worker's end is a real
 * MessageChannel; what is checked is what the worker receives on its port and what the other
 * visitors are asked.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type RequestContext, registerFetching, servePieceRequest } from '../../page-bridge/piece-requests.ts';
import type { BridgeReply } from '../../protocol/bridge-messages.ts';
import { PIECE_SIZE, PIECES_IN_FLIGHT_PER_LINK, PIECES_IN_FLIGHT_PER_PEER } from '../../protocol/limits.ts';
import type { PeerCandidate } from '../../protocol/signal-messages.ts';
import {
  attachVisitor,
  connectHolder,
  FakeLookup,
  type StoredPieces,
  type TestPool,
  testPool,
  tick,
  until,
} from './support/bridge-fakes.ts';
import { settle, workerEnd } from './support/worker-end.ts';

const H = 'c'.repeat(64);
const PIECES = Array.from({ length: 10 }, (_, i) => new Uint8Array(500).fill(i + 1));
/** Every piece of H, except those in `missing` (answered `nak missing`). */
const holding = (missing: number[] = []): StoredPieces => new Map([[H, PIECES.map((p, i) => (missing.includes(i) ? undefined : p))]]);

interface Setup extends TestPool {
  ctx: RequestContext;
  lookup: FakeLookup;
  failures: () => number;
  banned: string[];
}

function setup(options: { signaling?: boolean } = {}): Setup {
  const t = testPool();
  const lookup = new FakeLookup();
  let failures = 0;
  const banned: string[] = [];
  const ctx: RequestContext = {
    pool: t.pool,
    signal: options.signaling === false ? null : lookup,
    onFailure: () => void failures++,
    onBadPiece: (peerId) => void banned.push(peerId),
  };
  return { ...t, ctx, lookup, failures: () => failures, banned };
}

/** A fetcher linked now that stores every piece but says only that it has piece 0 (`hp`, no `have`). */
async function fetcherWithPiece0(s: TestPool, peerId: string): Promise<void> {
  const store: StoredPieces = new Map();
  const fetcher = await connectHolder(s.pool, s.peers, peerId, store);
  store.set(H, PIECES);
  fetcher.far.sendPieces(H, [0]);
}

/** Each piece among `replies` as [index, the peer it came from]. */
const sendersOf = (replies: BridgeReply[]): Array<[number, string]> =>
  [...piecesOf(replies).entries()].map(([index, [, peer]]) => [index, peer]);

/** The copy of piece 0 asked of `near`'s link first was withdrawn: nothing in flight, a `cancel` on the wire. */
function assertWithdrawn(link: { inFlight: number }, near: { sent: Array<{ t: string }> }): void {
  assert.equal(link.inFlight, 0, 'the first ask was withdrawn');
  assert.ok(
    near.sent.some((m) => m.t === 'cancel'),
    'the cancel on the wire',
  );
}

/** The pieces among `replies`, as index → [bytes, peerId]. */
const piecesOf = (replies: BridgeReply[]): Map<number, [Uint8Array, string]> =>
  new Map(replies.flatMap((r) => (r.pc === 'piece' ? [[r.index, [new Uint8Array(r.data), r.peerId]] as const] : [])));

describe('servePieceRequest: finding holders', () => {
  it('no open link and no signaling in this browser: `no-peers` at once', async (t) => {
    const s = setup({ signaling: false });
    const worker = workerEnd(t);
    await servePieceRequest(s.ctx, H, [0, 1], worker.port);
    assert.deepEqual(await worker.received(1), [{ pc: 'no-peers', reason: 'signaling off' }]);
  });

  it('signaling not joined in time: `no-peers`, and the server is not asked', async (t) => {
    const s = setup();
    s.lookup.open = false;
    const worker = workerEnd(t);
    await servePieceRequest(s.ctx, H, [0], worker.port);
    assert.deepEqual(await worker.received(1), [{ pc: 'no-peers', reason: 'no holder reachable' }]);
    assert.deepEqual(s.lookup.wants, []);
  });

  it('no link holds it: the server is asked, leaving out banned peers, and the holder it names serves', async (t) => {
    const s = setup();
    await connectHolder(s.pool, s.peers, 'linked-but-empty');
    s.pool.ban('banned-one');
    s.lookup.candidates = [{ peerId: 'named', offer: { connId: 'c1', sdp: { type: 'offer', sdp: 'o' } } }];
    const worker = workerEnd(t);
    const made = s.peers.made.length;
    const serving = servePieceRequest(s.ctx, H, [0, 1], worker.port);
    await until(() => s.peers.made.length > made, 'a connection to the named holder');
    attachVisitor(s.peers.last(), 'named', holding());
    await serving;
    // Linked peers are not left out: a link is told only what the other page used (local-have.ts).
    assert.deepEqual(s.lookup.wants, [{ hash: H, exclude: ['banned-one'] }]);
    const replies = await worker.received(3);
    assert.deepEqual(replies[0], { pc: 'accepted', peers: 1 });
    assert.deepEqual(
      [...piecesOf(replies).values()].map(([, peer]) => peer),
      ['named', 'named'],
    );
  });
  it('a linked peer that holds it without having said so: the server names it, and the open link serves', async (t) => {
    const s = setup();
    const quiet: StoredPieces = new Map();
    await connectHolder(s.pool, s.peers, 'quiet', quiet);
    quiet.set(H, PIECES); // held from an earlier visit: its page did not use it, so it never told the link
    s.lookup.candidates = [{ peerId: 'quiet', offer: { connId: 'c2', sdp: { type: 'offer', sdp: 'o' } } }];
    const worker = workerEnd(t);
    const made = s.peers.made.length;
    await servePieceRequest(s.ctx, H, [0, 1], worker.port);
    assert.deepEqual(s.lookup.wants, [{ hash: H, exclude: [] }]);
    assert.equal(s.peers.made.length, made, 'no new connection: the open link is used');
    const replies = await worker.received(3);
    assert.deepEqual(replies[0], { pc: 'accepted', peers: 1 });
    assert.deepEqual(
      [...piecesOf(replies).values()].map(([, peer]) => peer),
      ['quiet', 'quiet'],
    );
  });
});

describe('servePieceRequest: pieces', () => {
  it("from a linked holder: `accepted`, then each piece with its bytes and the holder's id", async (t) => {
    const s = setup();
    await connectHolder(s.pool, s.peers, 'holder', holding());
    const worker = workerEnd(t);
    await servePieceRequest(s.ctx, H, [2, 3, 4], worker.port);
    const replies = await worker.received(4);
    assert.deepEqual(replies[0], { pc: 'accepted', peers: 1 });
    const pieces = piecesOf(replies);
    assert.deepEqual([...pieces.keys()].sort(), [2, 3, 4]);
    for (const [index, [bytes, peer]] of pieces) {
      assert.deepEqual(bytes, PIECES[index]);
      assert.equal(peer, 'holder');
    }
    assert.equal(s.failures(), 0);
  });

  it('a piece one holder refuses is asked of another; the failure is counted', async (t) => {
    const s = setup();
    await connectHolder(s.pool, s.peers, 'partial', holding([1]));
    await connectHolder(s.pool, s.peers, 'full', holding());
    const worker = workerEnd(t);
    await servePieceRequest(s.ctx, H, [1, 0, 2], worker.port);
    const pieces = piecesOf(await worker.received(4));
    assert.deepEqual([...pieces.keys()].sort(), [0, 1, 2]);
    assert.equal(pieces.get(1)?.[1], 'full');
    assert.equal(s.failures(), 1);
  });

  it('a holder that chokes (`nak choked`: its upload queue is full) is asked again once the choke passes; not a failure, nothing to the origin', async (t) => {
    const s = setup();
    const holder = await connectHolder(s.pool, s.peers, 'busy', holding());
    let chokes = 3;
    holder.farHooks.uploadQueue = { observe: () => undefined, admits: () => chokes-- <= 0 };
    const worker = workerEnd(t);
    await servePieceRequest(s.ctx, H, [0, 1, 2], worker.port);
    const replies = await worker.received(4);
    assert.deepEqual(
      replies.filter((r) => r.pc === 'piece-failed'),
      [],
    );
    assert.deepEqual(sendersOf(replies).sort(), [
      [0, 'busy'],
      [1, 'busy'],
      [2, 'busy'],
    ]);
    assert.ok(
      holder.farPeer.sent.some((m) => m.t === 'nak' && m.reason === 'choked'),
      'it did choke',
    );
    assert.equal(s.failures(), 0, 'a choke is not a failed request');
  });

  it('while one holder chokes, the pieces it was asked for go to another', async (t) => {
    const s = setup();
    const choking = await connectHolder(s.pool, s.peers, 'choking', holding());
    choking.farHooks.uploadQueue = { observe: () => undefined, admits: () => false };
    await connectHolder(s.pool, s.peers, 'free', holding());
    const worker = workerEnd(t);
    await servePieceRequest(s.ctx, H, [0, 1, 2, 3], worker.port);
    const replies = await worker.received(5);
    assert.deepEqual(
      sendersOf(replies).map(([, peer]) => peer),
      ['free', 'free', 'free', 'free'],
    );
    assert.equal(s.failures(), 0);
  });

  it('a piece no holder has is `piece-failed` (the worker takes it from the origin); the others still come', async (t) => {
    const s = setup();
    await connectHolder(s.pool, s.peers, 'partial', holding([1]));
    const worker = workerEnd(t);
    await servePieceRequest(s.ctx, H, [0, 1, 2], worker.port);
    const replies = await worker.received(4);
    assert.deepEqual(
      replies.filter((r) => r.pc === 'piece-failed'),
      [{ pc: 'piece-failed', index: 1, reason: 'no holder left' }],
    );
    assert.deepEqual([...piecesOf(replies).keys()].sort(), [0, 2]);
  });

  it(`more pieces than a link takes at once: at most ${PIECES_IN_FLIGHT_PER_PEER} in flight, the rest as slots free up`, async (t) => {
    const s = setup();
    const holder = await connectHolder(s.pool, s.peers, 'holder', holding());
    let reading = 0;
    let most = 0;
    holder.farHooks.readPiece = async (_hash, index) => {
      most = Math.max(most, ++reading);
      await tick(5);
      reading--;
      return PIECES[index] ?? null;
    };
    const worker = workerEnd(t);
    await servePieceRequest(
      s.ctx,
      H,
      PIECES.map((_, i) => i),
      worker.port,
    );
    assert.equal(piecesOf(await worker.received(11)).size, 10);
    assert.equal(most, PIECES_IN_FLIGHT_PER_PEER);
  });

  it(`another response on the same link gets its first piece asked at once, up to ${PIECES_IN_FLIGHT_PER_LINK} on the link`, async (t) => {
    const s = setup();
    const H2 = 'e'.repeat(64);
    const stored: StoredPieces = new Map([...holding(), [H2, PIECES]]);
    const holder = await connectHolder(s.pool, s.peers, 'holder', stored);
    const reads: string[] = [];
    holder.farHooks.readPiece = (hash, index) => {
      reads.push(`${hash === H ? 'H' : 'H2'}:${index}`);
      return new Promise(() => undefined); // never read: every request stays in flight
    };
    const all = PIECES.map((_, i) => i);
    void servePieceRequest(s.ctx, H, all, workerEnd(t).port);
    await until(() => reads.length === PIECES_IN_FLIGHT_PER_PEER, "the first response's requests");
    void servePieceRequest(s.ctx, H2, all, workerEnd(t).port);
    await until(() => reads.some((r) => r.startsWith('H2:')), "the second response's first request");
    assert.equal(reads.filter((r) => r.startsWith('H:')).length, PIECES_IN_FLIGHT_PER_PEER, 'the first response stays at its share');
    assert.equal(holder.link.inFlight, 2 * PIECES_IN_FLIGHT_PER_PEER);
    holder.link.close();
  });
});

describe("servePieceRequest: the worker's feedback", () => {
  it('a bad-piece report names the peer to ban', async (t) => {
    const s = setup();
    await connectHolder(s.pool, s.peers, 'liar', holding());
    const worker = workerEnd(t);
    await servePieceRequest(s.ctx, H, [0], worker.port);
    await worker.received(2);
    worker.send({ pc: 'bad-piece', index: 0, peerId: 'liar' });
    await settle();
    assert.deepEqual(s.banned, ['liar']);
  });

  it('after a cancel nothing more is posted and nothing more is asked of peers', async (t) => {
    const s = setup();
    const holder = await connectHolder(s.pool, s.peers, 'holder', holding());
    const reads: Array<() => void> = [];
    holder.farHooks.readPiece = async (_hash, index) => {
      await new Promise<void>((resolve) => reads.push(resolve));
      return PIECES[index] ?? null;
    };
    const worker = workerEnd(t);
    const serving = servePieceRequest(
      s.ctx,
      H,
      PIECES.map((_, i) => i),
      worker.port,
    );
    await worker.received(1);
    await until(() => reads.length === PIECES_IN_FLIGHT_PER_PEER, 'the first requests');
    worker.send({ pc: 'cancel' });
    await settle();
    for (const read of reads) read();
    await serving;
    await settle();
    assert.deepEqual(
      worker.replies.map((r) => r.pc),
      ['accepted'],
    );
    assert.equal(reads.length, PIECES_IN_FLIGHT_PER_PEER, 'no request after the cancel');
  });

  it("a linked peer's `hp` flood does not hang callbacks on the requests in flight at each wake, and the worker's cancel still ends the wait", async (t) => {
    /** Counts the callbacks attached to the requests in flight (and to what derives from them). */
    let thens = 0;
    class Counted<T> extends Promise<T> {
      // biome-ignore lint/suspicious/noThenProperty: a promise counting the callbacks attached to it
      override then<A = T, B = never>(
        onFulfilled?: ((value: T) => A | PromiseLike<A>) | null,
        onRejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
      ): Promise<A | B> {
        thens++;
        return super.then(onFulfilled, onRejected);
      }
    }
    const s = setup();
    const slow = await connectHolder(s.pool, s.peers, 'slow', holding());
    const request = slow.link.request.bind(slow.link);
    slow.link.request = (hash, piece) => {
      const asked = request(hash, piece, 60_000);
      return new Counted<ArrayBuffer>((resolve, reject) => void asked.then(resolve, reject));
    };
    slow.farHooks.readPiece = () => new Promise(() => undefined); // never answers
    const evil = await connectHolder(s.pool, s.peers, 'evil', new Map());
    const worker = workerEnd(t);
    const serving = servePieceRequest(s.ctx, H, [0, 1, 2, 3, 4, 5], worker.port);
    await until(() => slow.link.inFlight === 6, 'six requests in flight');
    await tick();
    const before = thens;
    const flood = 200;
    for (let i = 0; i < flood; i++) {
      evil.far.sendPieces('d'.repeat(64), [i]); // each wakes every response's loop
      await tick();
    }
    assert.ok(thens - before < flood, `${thens - before} callbacks attached to requests in flight for ${flood} hp`);
    worker.send({ pc: 'cancel' });
    await serving;
    slow.link.close();
  });
});

describe('servePieceRequest: visitors arriving together (issue 13)', () => {
  const SIZE = 10 * PIECE_SIZE; // ten pieces: rank r takes piece 10 - r
  const ALL = Array.from({ length: 10 }, (_, i) => i);
  const fetcher = (peerId: string): PeerCandidate => ({
    peerId,
    fetching: true,
    offer: { connId: `c-${peerId}`, sdp: { type: 'offer', sdp: 'o' } },
  });

  it('registers as fetching the asset; a prefetch (peers only) does not', async (t) => {
    const s = setup();
    await servePieceRequest(s.ctx, H, [0], workerEnd(t).port, false, SIZE);
    await servePieceRequest(s.ctx, H, [0], workerEnd(t).port, true, SIZE);
    assert.deepEqual(s.lookup.fetching, [H]);
    assert.equal(s.lookup.wants.length, 2);
  });

  it('a tab that does not upload is not registered as fetching: it would refuse every piece it was asked for', async (t) => {
    const s = setup();
    // page-bridge/p2p.ts passes `register` false when the visitor does not upload (upload-policy.ts).
    await servePieceRequest(s.ctx, H, [0], workerEnd(t).port, false, SIZE, false);
    assert.deepEqual(s.lookup.fetching, []);
    assert.equal(s.lookup.wants.length, 1, 'it still asks who holds it');
  });

  it('named only fetchers: its rank sets one distinct piece to take from the origin at once; the fetcher serves the rest', async (t) => {
    const s = setup();
    s.lookup.candidates = [fetcher('early')];
    s.lookup.rank = 1;
    const worker = workerEnd(t);
    const made = s.peers.made.length;
    const serving = servePieceRequest(s.ctx, H, ALL, worker.port, false, SIZE);
    await until(() => s.peers.made.length > made, 'a connection to the fetcher');
    // What it has stored so far, said on the new link (`hp`), as a fetching bridge does.
    attachVisitor(s.peers.last(), 'early', holding()).far.sendPieces(H, ALL);
    await serving;
    const replies = await worker.received(11);
    assert.deepEqual(replies[0], { pc: 'accepted', peers: 1, rank: 1 }, 'the worker is told its rank (a crowd waits longer)');
    assert.deepEqual(
      replies.filter((r) => r.pc === 'piece-failed'),
      [{ pc: 'piece-failed', index: 9, reason: 'origin share' }],
    );
    assert.deepEqual(
      [...piecesOf(replies).keys()].sort((a, b) => a - b),
      ALL.slice(0, 9),
    );
  });

  it('a piece is asked first of the fetcher that said it has it (`hp`), not of one only fetching it', async (t) => {
    const s = setup();
    const empty = await connectHolder(s.pool, s.peers, 'empty', new Map());
    const earlyStore: StoredPieces = new Map();
    const early = await connectHolder(s.pool, s.peers, 'early', earlyStore);
    earlyStore.set(H, PIECES); // stored while fetching: said with `hp`, not `have`
    empty.link.markFetching(H);
    early.link.markFetching(H);
    early.far.sendPieces(H, [0, 1]);
    await until(() => early.link.hasPiece(H, 1), "early's hp");
    const worker = workerEnd(t);
    await servePieceRequest(s.ctx, H, [0, 1], worker.port, false, SIZE);
    const replies = await worker.received(3);
    assert.deepEqual(
      [...piecesOf(replies).values()].map(([, peer]) => peer),
      ['early', 'early'],
    );
    assert.equal(s.failures(), 0, 'the empty fetcher was never asked');
  });

  it('a fetcher that has not said it has a piece is not asked for it; one that says so (`hp`) is, as soon as it does', async (t) => {
    const s = setup();
    const quiet = await connectHolder(s.pool, s.peers, 'quiet', new Map());
    quiet.link.markFetching(H);
    const worker = workerEnd(t);
    const serving = servePieceRequest(s.ctx, H, [0], worker.port, false, SIZE);
    await tick(20);
    assert.equal(quiet.link.inFlight, 0, 'nothing asked of a fetcher that offered nothing');
    await fetcherWithPiece0(s, 'early');
    await serving;
    const replies = await worker.received(2);
    assert.deepEqual(sendersOf(replies), [[0, 'early']]);
    assert.equal(s.failures(), 0);
  });

  it('a source that says it lost the asset while asked: the piece is asked again of one that has it; the first ask is withdrawn', async (t) => {
    const s = setup();
    const store: StoredPieces = new Map();
    const leaving = await connectHolder(s.pool, s.peers, 'leaving', store);
    const leavingNear = s.peers.last(); // our end of that link: what we send on it
    store.set(H, PIECES);
    const reads: number[] = [];
    leaving.farHooks.readPiece = (_hash, index) => {
      reads.push(index);
      return new Promise(() => undefined); // its read never settles: evicted under it
    };
    leaving.far.sendPieces(H, [0]);
    await until(() => leaving.link.hasPiece(H, 0), "leaving's hp");
    const worker = workerEnd(t);
    const serving = servePieceRequest(s.ctx, H, [0], worker.port, false, SIZE);
    await until(() => reads.length === 1, 'the request to the first source');
    leaving.far.sendLost([H]);
    await until(() => !leaving.link.isSource(H), 'the lost');
    await fetcherWithPiece0(s, 'early');
    await serving;
    const replies = await worker.received(2);
    assert.deepEqual(sendersOf(replies), [[0, 'early']]);
    assertWithdrawn(leaving.link, leavingNear);
  });

  it('rarest first: the piece only one source has is asked of it before the pieces others have too (BEP 3)', async (t) => {
    const s = setup();
    const stores = { wide: new Map() as StoredPieces, narrow: new Map() as StoredPieces };
    const wide = await connectHolder(s.pool, s.peers, 'wide', stores.wide);
    const narrow = await connectHolder(s.pool, s.peers, 'narrow', stores.narrow);
    stores.wide.set(H, PIECES);
    stores.narrow.set(H, PIECES);
    for (const h of [wide, narrow]) h.link.markFetching(H);
    wide.far.sendPieces(H, [0, 1, 2]);
    narrow.far.sendPieces(H, [0, 1]);
    await until(() => wide.link.hasPiece(H, 2) && narrow.link.hasPiece(H, 1), 'both hp');
    const reads: number[] = [];
    const read = wide.farHooks.readPiece;
    wide.farHooks.readPiece = (hash, index, signal) => {
      reads.push(index);
      return read(hash, index, signal);
    };
    const worker = workerEnd(t);
    await servePieceRequest(s.ctx, H, [0, 1, 2], worker.port, false, SIZE);
    assert.equal(piecesOf(await worker.received(4)).size, 3);
    assert.equal(reads[0], 2, `wide was asked for ${reads.join(', ')}`);
  });

  it('endgame: the last piece, stuck at one source, is asked of a second that has it; the first copy goes on, the other is withdrawn', async (t) => {
    const s = setup();
    const stuck = await connectHolder(s.pool, s.peers, 'stuck', holding());
    const stuckNear = s.peers.last();
    stuck.farHooks.readPiece = () => new Promise(() => undefined); // never answers
    const worker = workerEnd(t);
    const serving = servePieceRequest(s.ctx, H, [0], worker.port, false, SIZE);
    await until(() => stuck.link.inFlight === 1, 'the ask to the stuck holder');
    await connectHolder(s.pool, s.peers, 'other', holding());
    await serving;
    const replies = await worker.received(2);
    assert.deepEqual(sendersOf(replies), [[0, 'other']]);
    assertWithdrawn(stuck.link, stuckNear);
    assert.equal(s.failures(), 0, 'withdrawn, not timed out: the endgame did not wait for the stall timeout');
  });

  it('a tab fetching from the origin without asking its bridge still registers as fetching, and links to the others fetching it', async () => {
    const s = setup();
    s.lookup.candidates = [fetcher('other')];
    const made = s.peers.made.length;
    await Promise.race([registerFetching(s.ctx, H), until(() => s.peers.made.length > made, 'a link to the other fetcher')]);
    assert.deepEqual(s.lookup.fetching, [H]);
    assert.ok(s.peers.made.length > made, 'a connection to the other fetcher was started');
    const none = setup({ signaling: false });
    await registerFetching(none.ctx, H);
    assert.deepEqual(none.lookup.fetching, [], 'no signaling in this browser: nothing to register with');
  });

  it('a holder of the whole asset among them: nothing from the origin up front', async (t) => {
    const s = setup();
    s.lookup.candidates = [{ peerId: 'holder', offer: { connId: 'c-h', sdp: { type: 'offer', sdp: 'o' } } }, fetcher('early')];
    s.lookup.rank = 1;
    const worker = workerEnd(t);
    const made = s.peers.made.length;
    const serving = servePieceRequest(s.ctx, H, ALL, worker.port, false, SIZE);
    await until(() => s.peers.made.length > made, 'a connection to the holder');
    attachVisitor(s.peers.made[made]!, 'holder', holding());
    await serving;
    const replies = await worker.received(11);
    assert.equal(replies.filter((r) => r.pc === 'piece-failed').length, 0);
    assert.equal(piecesOf(replies).size, 10);
  });
});
