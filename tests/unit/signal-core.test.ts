/**
 * The signaling core with no network: a fake socket per client and a fake clock, so every limit
 * and every violation is exercised deterministically and instantly.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_SIGNAL_MESSAGE_CHARS } from '../../protocol/limits.ts';
import type { ClientMessage, ParkedOffer } from '../../protocol/signal-messages.ts';
import { RandomSet } from '../../signal-worker/core/random-set.ts';
import type { SignalConnection } from '../../signal-worker/core/signal/signal-connection.ts';
import { SignalHub } from '../../signal-worker/core/signal/signal-hub.ts';
import { DEFAULT_SIGNAL_LIMITS, type SignalLimits } from '../../signal-worker/core/signal/signal-limits.ts';
import { checkLimits, resolveLimits } from '../../signal-worker/core/socket/limits.ts';
import { buggyRandom, consoleErrorsDuring, FakeClock, FakeSignalSocket, hash, offer, peerId, seededRandom } from './signal-fakes.ts';

interface Client {
  socket: FakeSignalSocket;
  conn: SignalConnection;
  send(message: ClientMessage | Record<string, unknown>): void;
}

function setup(limits: Partial<SignalLimits> = {}, random = seededRandom(42)) {
  const clock = new FakeClock();
  const hub = new SignalHub({ limits, clock, random });
  const connect = (): Client => {
    const socket = new FakeSignalSocket();
    const conn = hub.accept(socket);
    return { socket, conn, send: (m) => conn.receive(JSON.stringify(m)) };
  };
  const join = (name: string, extra: { swarm?: string; have?: string[]; offers?: ParkedOffer[]; introduce?: number } = {}): Client => {
    const client = connect();
    client.send({
      type: 'join',
      swarm: extra.swarm ?? 'example.org',
      peerId: peerId(name),
      have: extra.have ?? [],
      offers: extra.offers ?? [],
      introduce: extra.introduce ?? 0,
    });
    assert.equal(client.socket.last()?.type, 'joined', `${name} should have joined: ${JSON.stringify(client.socket.last())}`);
    return client;
  };
  return { clock, hub, connect, join };
}

/** Asserts the one-error-then-close contract for a violation. */
function assertClosedWith(client: Client, code: string): void {
  const last = client.socket.last();
  assert.equal(last?.type, 'error', `expected an error, got ${JSON.stringify(last)}`);
  assert.equal(last?.type === 'error' ? last.code : undefined, code);
  assert.deepEqual(client.socket.closedWith, { code: 1008, reason: code });
  assert.equal(client.conn.isClosed, true);
}

/** Asserts another peer is unaffected: it still answers ping and is still counted. */
function assertStillWorks(client: Client): void {
  const before = client.socket.sent.length;
  client.send({ type: 'ping' });
  assert.deepEqual(client.socket.sent.slice(before), [{ type: 'pong' }]);
  assert.equal(client.socket.closedWith, null);
}

describe('signal core: join, have, want, relay, leave', () => {
  it('answers join with joined and the swarm size, and counts swarms and peers', () => {
    const { hub, join } = setup();
    const a = join('a');
    assert.deepEqual(a.socket.sent, [{ type: 'joined', peerId: peerId('a'), swarmSize: 1, peers: [], mode: 'on' }]);
    const b = join('b');
    assert.deepEqual(b.socket.last(), { type: 'joined', peerId: peerId('b'), swarmSize: 2, peers: [], mode: 'on' });
    join('c', { swarm: 'other.org' });
    assert.deepEqual(hub.stats(), { swarms: 2, peers: 3, connections: 3 });
  });

  it('introduces a newcomer to holders with parked offers on join, consuming one offer each', () => {
    const { join } = setup();
    const a = join('a', { have: [hash(1)], offers: [offer('a1'), offer('a2')] });
    const b = join('b', { offers: [offer('b1')] }); // holds nothing yet: introduced only when holders are too few
    const c = join('c', { have: [hash(2)], offers: [] }); // no offer left: never introduced
    const d = join('d', { introduce: 1 });
    assert.deepEqual(d.socket.ofType('joined')[0]?.peers, [{ peerId: peerId('a'), offer: offer('a1') }], 'a holder first');
    assert.deepEqual(a.socket.ofType('offer-used'), [{ type: 'offer-used', connId: offer('a1').connId, by: peerId('d') }]);
    assert.equal(b.socket.ofType('offer-used').length, 0);
    assert.equal(c.socket.ofType('offer-used').length, 0);
    // a still has a2 parked: the next newcomer gets it, then b (still loading) for its second.
    assert.deepEqual(join('e', { introduce: 2 }).socket.ofType('joined')[0]?.peers, [
      { peerId: peerId('a'), offer: offer('a2') },
      { peerId: peerId('b'), offer: offer('b1') },
    ]);
    assert.deepEqual(join('f', { introduce: 2 }).socket.ofType('joined')[0]?.peers, [], 'no offer left anywhere');
  });

  it('a crowd arriving together: with nobody holding anything, each newcomer is introduced to peers still loading (issue 13)', () => {
    const { join } = setup();
    join('a', { offers: [offer('a1')] });
    join('b', { offers: [offer('b1')] });
    const c = join('c', { introduce: 2 });
    const peers = c.socket
      .ofType('joined')[0]
      ?.peers.map((p) => p.peerId)
      .sort();
    assert.deepEqual(peers, [peerId('a'), peerId('b')]);
  });

  it('refuses an introduce count above the protocol limit', () => {
    const { connect } = setup();
    const x = connect();
    x.send({ type: 'join', swarm: 'example.org', peerId: peerId('x'), have: [], offers: [], introduce: 99 });
    assertClosedWith(x, 'malformed');
  });

  it('answers ping with pong', () => {
    const { join } = setup();
    assertStillWorks(join('a'));
  });

  it('hands a want one parked offer per holder and tells the holder with offer-used', () => {
    const { join } = setup();
    const a = join('a', { have: [hash(1)], offers: [offer('a1')] });
    const b = join('b');
    b.send({ type: 'want', hash: hash(1), exclude: [] });
    assert.deepEqual(b.socket.last(), { type: 'peers', hash: hash(1), peers: [{ peerId: peerId('a'), offer: offer('a1') }] });
    assert.deepEqual(a.socket.last(), { type: 'offer-used', connId: offer('a1').connId, by: peerId('b') });

    // The offer was consumed: the next asker gets the holder without one (and offers itself).
    const c = join('c');
    const aMessages = a.socket.sent.length;
    c.send({ type: 'want', hash: hash(1), exclude: [] });
    assert.deepEqual(c.socket.last(), { type: 'peers', hash: hash(1), peers: [{ peerId: peerId('a') }] });
    assert.equal(a.socket.sent.length, aMessages, 'no offer-used without an offer');
  });

  it('hands out parked offers oldest first, one per want', () => {
    const { join } = setup();
    join('a', { have: [hash(1)], offers: [offer('a1'), offer('a2')] });
    const b = join('b');
    b.send({ type: 'want', hash: hash(1), exclude: [] });
    b.send({ type: 'want', hash: hash(1), exclude: [] });
    const handed = b.socket.ofType('peers').map((m) => m.peers[0]?.offer?.connId);
    assert.deepEqual(handed, [offer('a1').connId, offer('a2').connId]);
  });

  it('answers a want nobody can serve with an empty list', () => {
    const { join } = setup();
    const a = join('a', { have: [hash(1)] });
    a.send({ type: 'want', hash: hash(1), exclude: [] });
    assert.deepEqual(a.socket.last(), { type: 'peers', hash: hash(1), peers: [] }, 'never the requester itself');
    a.send({ type: 'want', hash: hash(2), exclude: [] });
    assert.deepEqual(a.socket.last(), { type: 'peers', hash: hash(2), peers: [] });
  });

  it('chooses at most maxPeersPerWant random holders, never excluded ones', () => {
    const { join } = setup({ maxPeersPerWant: 3 });
    for (let i = 0; i < 10; i++) join(`h${i}`, { have: [hash(1)] });
    const asker = join('asker', { have: [hash(1)] });
    const excluded = [peerId('h0'), peerId('h1'), peerId('h2')];
    const seen = new Set<string>();
    for (let round = 0; round < 20; round++) {
      asker.send({ type: 'want', hash: hash(1), exclude: excluded });
      const ids = (asker.socket.ofType('peers').at(-1)?.peers ?? []).map((p) => p.peerId);
      assert.equal(ids.length, 3);
      assert.equal(new Set(ids).size, 3, 'distinct holders');
      for (const id of ids) {
        assert.ok(!excluded.includes(id) && id !== peerId('asker'), `${id} must not be chosen`);
        seen.add(id);
      }
    }
    assert.ok(seen.size >= 6, `choice should be random, saw only ${seen.size} of 7 eligible holders`);
  });

  it('relays signal to the named peer of the same swarm only', () => {
    const { join } = setup();
    const a = join('a');
    const b = join('b');
    const answer = { type: 'answer' as const, sdp: 'v=0 answer' };
    b.send({ type: 'signal', to: peerId('a'), connId: offer('a1').connId, sdp: answer });
    assert.deepEqual(a.socket.last(), { type: 'signal', from: peerId('b'), connId: offer('a1').connId, sdp: answer });

    // Same peer id in another swarm: never reached across swarms.
    const elsewhere = join('x', { swarm: 'other.org' });
    const aCount = a.socket.sent.length;
    elsewhere.send({ type: 'signal', to: peerId('a'), connId: offer('x1').connId, sdp: answer });
    assert.equal(a.socket.sent.length, aCount);
    // A vanished target is dropped quietly; the sender stays connected.
    b.send({ type: 'signal', to: peerId('gone'), connId: offer('b1').connId, sdp: answer });
    assertStillWorks(b);
  });

  it('forgets a leaving peer: its haves, its offers, its slot and an empty swarm', () => {
    const { hub, join } = setup();
    const a = join('a', { have: [hash(1)], offers: [offer('a1')] });
    const b = join('b');
    a.conn.socketClosed();
    b.send({ type: 'want', hash: hash(1), exclude: [] });
    assert.deepEqual(b.socket.last(), { type: 'peers', hash: hash(1), peers: [] });
    assert.deepEqual(hub.stats(), { swarms: 1, peers: 1, connections: 1 });
    b.conn.socketClosed();
    assert.deepEqual(hub.stats(), { swarms: 0, peers: 0, connections: 0 });
    // The id is free again, and the rejoined peer starts with no offers from before.
    join('a', { have: [hash(1)] });
    const c = join('c');
    c.send({ type: 'want', hash: hash(1), exclude: [] });
    assert.deepEqual(c.socket.last(), { type: 'peers', hash: hash(1), peers: [{ peerId: peerId('a') }] });
  });

  it('have adds holders and lost removes them', () => {
    const { join } = setup();
    const a = join('a');
    const b = join('b');
    a.send({ type: 'have', have: [hash(1), hash(2)] });
    b.send({ type: 'want', hash: hash(2), exclude: [] });
    assert.deepEqual(b.socket.last(), { type: 'peers', hash: hash(2), peers: [{ peerId: peerId('a') }] });
    a.send({ type: 'lost', have: [hash(2)] });
    b.send({ type: 'want', hash: hash(2), exclude: [] });
    assert.deepEqual(b.socket.last(), { type: 'peers', hash: hash(2), peers: [] });
    b.send({ type: 'want', hash: hash(1), exclude: [] });
    assert.deepEqual(b.socket.last(), { type: 'peers', hash: hash(1), peers: [{ peerId: peerId('a') }] });
  });

  it('a holder whose socket fails is dropped without hurting the asker', () => {
    const { hub, join } = setup();
    const a = join('a', { have: [hash(1)], offers: [offer('a1')] });
    const b = join('b');
    a.socket.failSends = true;
    b.send({ type: 'want', hash: hash(1), exclude: [] });
    assert.equal(a.conn.isClosed, true);
    assert.equal(hub.stats().peers, 1);
    assertStillWorks(b);
  });
});

describe('signal core: limits', () => {
  it('refuses a frame longer than maxMessageChars with too-large', () => {
    const { join } = setup({ maxMessageChars: 200 });
    const a = join('a');
    const b = join('b');
    b.conn.receive(`{"type":"ping","pad":"${'x'.repeat(180)}"}`);
    assertClosedWith(b, 'too-large');
    assertStillWorks(a);
  });

  it('refuses a frame over the protocol default before parsing it', () => {
    const { join } = setup();
    const a = join('a');
    a.conn.receive('x'.repeat(MAX_SIGNAL_MESSAGE_CHARS + 1));
    assertClosedWith(a, 'too-large');
  });

  it('rate-limits with a token bucket: the burst passes, the next message closes', () => {
    const { join } = setup({ messageBurst: 5, messagesPerSecond: 2 });
    const a = join('a'); // join took one token
    const b = join('b');
    for (let i = 0; i < 4; i++) a.send({ type: 'ping' });
    assert.equal(a.socket.ofType('pong').length, 4);
    a.send({ type: 'ping' });
    assertClosedWith(a, 'rate-limited');
    assertStillWorks(b);
  });

  it('refills the bucket over time', () => {
    const { clock, join } = setup({ messageBurst: 2, messagesPerSecond: 2 });
    const a = join('a');
    a.send({ type: 'ping' }); // bucket now empty
    clock.advance(500); // one token back
    a.send({ type: 'ping' });
    assert.equal(a.socket.ofType('pong').length, 2);
    a.send({ type: 'ping' });
    assertClosedWith(a, 'rate-limited');
  });

  it('refuses a peer beyond maxPeersPerSwarm with swarm-full when every member holds something, other swarms unaffected', () => {
    const { hub, connect, join } = setup({ maxPeersPerSwarm: 2 });
    const a = join('a', { have: [hash(1)] });
    join('b', { offers: [offer('b1')] });
    const c = connect();
    c.send({ type: 'join', swarm: 'example.org', peerId: peerId('c'), have: [], offers: [] });
    assertClosedWith(c, 'swarm-full');
    join('c', { swarm: 'other.org' });
    assertStillWorks(a);
    assert.deepEqual(hub.stats(), { swarms: 2, peers: 3, connections: 3 });
  });

  it('keeps at most maxParkedOffers per peer, evicting the oldest, replacing a resent connId', () => {
    const { join } = setup({ maxParkedOffers: 2 });
    const a = join('a', { have: [hash(1)], offers: [offer('a1'), offer('a2')] });
    const changed = { connId: offer('a2').connId, sdp: { type: 'offer' as const, sdp: 'v=0 resent' } };
    a.send({ type: 'offers', offers: [offer('a3'), changed] });
    assert.equal(a.conn.isClosed, false, 'too many offers is not a violation');
    const b = join('b');
    for (let i = 0; i < 3; i++) b.send({ type: 'want', hash: hash(1), exclude: [] });
    const handed = b.socket.ofType('peers').map((m) => m.peers[0]?.offer ?? null);
    assert.deepEqual(handed, [offer('a3'), changed, null]);
  });

  it('closes a peer announcing more than maxHavePerPeer distinct assets with too-many-haves', () => {
    const { connect, join } = setup({ maxHavePerPeer: 3 });
    const a = join('a', { have: [hash(1), hash(2)] });
    a.send({ type: 'have', have: [hash(1), hash(2), hash(3)] }); // one new: 3 in total, allowed
    assert.equal(a.conn.isClosed, false);
    const b = join('b');
    a.send({ type: 'have', have: [hash(4)] });
    assertClosedWith(a, 'too-many-haves');
    assertStillWorks(b);

    const c = connect();
    c.send({ type: 'join', swarm: 'example.org', peerId: peerId('c'), have: [hash(1), hash(2), hash(3), hash(4)], offers: [] });
    assertClosedWith(c, 'too-many-haves');
  });

  it('closes a connection silent for idleTimeoutMs, counting from its last message', () => {
    const { clock, hub, connect, join } = setup({ idleTimeoutMs: 1000 });
    const a = join('a');
    const b = join('b');
    const lurker = connect(); // never even joins
    clock.advance(600);
    a.send({ type: 'ping' });
    clock.advance(399);
    assert.equal(b.conn.isClosed, false);
    clock.advance(1);
    assertClosedWith(b, 'idle');
    assertClosedWith(lurker, 'idle');
    assert.equal(a.conn.isClosed, false, 'a spoke at 600 ms');
    clock.advance(599);
    assert.equal(a.conn.isClosed, false);
    clock.advance(1);
    assertClosedWith(a, 'idle');
    assert.deepEqual(hub.stats(), { swarms: 0, peers: 0, connections: 0 });
    assert.equal(clock.pendingTimers, 0, 'no timer left behind');
  });

  it('stops the idle timer of a connection that closes', () => {
    const { clock, join } = setup({ idleTimeoutMs: 1000 });
    const a = join('a');
    a.conn.socketClosed();
    assert.equal(clock.pendingTimers, 0);
  });

  it('lets options lower limits but not raise them', () => {
    const resolve = (overrides: Partial<SignalLimits>): SignalLimits => resolveLimits('signal', DEFAULT_SIGNAL_LIMITS, overrides);
    assert.equal(resolve({ maxPeersPerSwarm: 5 }).maxPeersPerSwarm, 5);
    assert.throws(() => resolve({ maxPeersPerSwarm: 1_000_000 }), RangeError);
    assert.throws(() => resolve({ idleTimeoutMs: 0 }), RangeError);
    // The same check as a value, for a config decoder: the code says which rule refused it.
    const codeOf = (overrides: Partial<SignalLimits>): string | null => {
      const checked = checkLimits('signal', DEFAULT_SIGNAL_LIMITS, overrides);
      return checked.ok ? null : checked.code;
    };
    assert.deepEqual(
      [codeOf({ maxPeersPerSwarm: 5 }), codeOf({ maxPeersPerSwarm: 1_000_000 }), codeOf({ idleTimeoutMs: Number.NaN })],
      [null, 'limit-raised', 'limit-not-positive'],
    );
  });
});

describe('signal core: malformed input closes only that connection', () => {
  const cases: Array<{ name: string; frame: unknown; code: string }> = [
    { name: 'not JSON', frame: '{"type":', code: 'malformed' },
    { name: 'JSON but not an object', frame: '[1,2]', code: 'malformed' },
    { name: 'unknown type', frame: JSON.stringify({ type: 'steal' }), code: 'malformed' },
    { name: 'a bad hash', frame: JSON.stringify({ type: 'want', hash: 'zz', exclude: [] }), code: 'malformed' },
    {
      name: 'a bad target id',
      frame: JSON.stringify({ type: 'signal', to: 'x', connId: 'conn-0000', sdp: { type: 'answer', sdp: 'v=0' } }),
      code: 'malformed',
    },
    { name: 'a binary frame', frame: new Uint8Array([123, 125]), code: 'malformed' },
    { name: 'an ArrayBuffer frame', frame: new ArrayBuffer(4), code: 'malformed' },
    {
      name: 'a second join',
      frame: JSON.stringify({ type: 'join', swarm: 'example.org', peerId: peerId('again'), have: [], offers: [] }),
      code: 'already-joined',
    },
  ];
  for (const { name, frame, code } of cases) {
    it(`${name} → ${code}`, () => {
      const { hub, join } = setup();
      const good = join('good', { have: [hash(1)] });
      const bad = join('bad');
      bad.conn.receive(frame);
      assertClosedWith(bad, code);
      assertStillWorks(good);
      assert.deepEqual(hub.stats(), { swarms: 1, peers: 1, connections: 1 });
    });
  }

  it('a bad peer id in join → malformed', () => {
    const { connect, join } = setup();
    const good = join('good');
    const bad = connect();
    bad.send({ type: 'join', swarm: 'example.org', peerId: 'short', have: [], offers: [] });
    assertClosedWith(bad, 'malformed');
    assertStillWorks(good);
  });

  it('anything before join → not-joined', () => {
    const { connect, join } = setup();
    const good = join('good', { have: [hash(1)] });
    for (const message of [{ type: 'ping' }, { type: 'want', hash: hash(1), exclude: [] }, { type: 'have', have: [hash(2)] }] as const) {
      const early = connect();
      early.send(message);
      assertClosedWith(early, 'not-joined');
    }
    assertStillWorks(good);
  });

  it('a peer id already in the swarm → duplicate-peer-id, and the first holder keeps it', () => {
    const { connect, join } = setup();
    const first = join('same', { have: [hash(1)] });
    const second = connect();
    second.send({ type: 'join', swarm: 'example.org', peerId: peerId('same'), have: [], offers: [] });
    assertClosedWith(second, 'duplicate-peer-id');
    assertStillWorks(first);
    const asker = join('asker');
    asker.send({ type: 'want', hash: hash(1), exclude: [] });
    assert.deepEqual(asker.socket.last(), { type: 'peers', hash: hash(1), peers: [{ peerId: peerId('same') }] });
  });

  it('ignores frames after close, sending nothing and never throwing', () => {
    const { join } = setup();
    const a = join('a');
    a.conn.receive('nope');
    const count = a.socket.sent.length;
    a.conn.receive(JSON.stringify({ type: 'ping' }));
    a.conn.receive(new Uint8Array(3));
    assert.equal(a.socket.sent.length, count);
  });
});

describe('signal core: a bug of ours closes only that connection', () => {
  it('tells the client `internal`, closes it with 1011 and keeps serving the others', () => {
    const logged = consoleErrorsDuring(() => {
      const { hub, join } = setup({}, buggyRandom);
      const holder = join('holder', { have: [hash(1)] });
      const asker = join('asker');
      asker.send({ type: 'want', hash: hash(1), exclude: [] });
      assert.deepEqual(asker.socket.last(), { type: 'error', code: 'internal', message: 'internal error' });
      assert.deepEqual(asker.socket.closedWith, { code: 1011, reason: 'internal-error' });
      assert.equal(asker.conn.isClosed, true);
      assertStillWorks(holder);
      assert.deepEqual(hub.stats(), { swarms: 1, peers: 1, connections: 1 });
    });
    assert.equal(logged, 1, 'the bug is logged');
  });
});

describe('RandomSet', () => {
  it('samples distinct accepted members, from small and from large sets', () => {
    const random = seededRandom(7);
    for (const size of [3, 10, 1000]) {
      const set = new RandomSet<number>();
      for (let i = 0; i < size; i++) set.add(i);
      const picked = set.sample(4, (n) => n % 2 === 0, size, random);
      assert.equal(picked.length, Math.min(4, Math.ceil(size / 2)));
      assert.equal(new Set(picked).size, picked.length);
      assert.ok(picked.every((n) => n % 2 === 0 && n < size));
    }
  });

  it('samples a large set by probing, uniformly enough, and survives a degenerate random source', () => {
    const set = new RandomSet<number>();
    for (let i = 0; i < 1000; i++) set.add(i);
    const random = seededRandom(3);
    const counts = new Array<number>(10).fill(0);
    for (let round = 0; round < 2000; round++) {
      const picked = set.sample(4, (n) => n >= 2, 2, random);
      assert.equal(new Set(picked).size, 4);
      assert.ok(picked.every((n) => n >= 2));
      for (const n of picked) counts[Math.floor(n / 100)]! += 1;
    }
    // 8000 picks over ten buckets of 100: each near 800; a biased sampler lands far off.
    assert.ok(
      counts.every((c) => c > 650 && c < 950),
      `skewed: ${counts.join(',')}`,
    );
    // A source stuck at 1 (or 0) must still yield distinct accepted members, via the fallback.
    for (const stuck of [() => 1, () => 0]) {
      const picked = set.sample(4, (n) => n >= 2, 2, stuck);
      assert.equal(new Set(picked).size, 4);
      assert.ok(picked.every((n) => n >= 2 && n < 1000));
    }
  });

  it('stays consistent through deletes', () => {
    const set = new RandomSet<string>();
    for (const s of ['a', 'b', 'c', 'd']) set.add(s);
    set.delete('a');
    set.delete('zz');
    set.add('b');
    assert.equal(set.size, 3);
    assert.deepEqual(set.sample(10, () => true, 0, seededRandom(1)).sort(), ['b', 'c', 'd']);
    assert.equal(set.has('a'), false);
  });
});
