/**
 * The signaling core against hostile clients (issue 11): every server-wide and per-address cap
 * refused with its code while a bystander is served, a socket that stops reading cut off and
 * its relayer told, a full swarm making room by evicting an idle non-holder, and a requester
 * that drains parked offers without answering them stopped. Fake sockets and a fake clock:
 * nothing here depends on how fast the machine is.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClientMessage, ParkedOffer, SignalErrorCode } from '../../protocol/signal-messages.ts';
import type { SignalConnection } from '../../signal-worker/core/signal/signal-connection.ts';
import { SignalHub } from '../../signal-worker/core/signal/signal-hub.ts';
import type { SignalLimits } from '../../signal-worker/core/signal/signal-limits.ts';
import { FakeClock, FakeSignalSocket, hash, offer, peerId, seededRandom } from './signal-fakes.ts';

interface Client {
  socket: FakeSignalSocket;
  conn: SignalConnection;
  send(message: ClientMessage): void;
}

interface JoinExtra {
  swarm?: string;
  have?: string[];
  offers?: ParkedOffer[];
  introduce?: number;
  address?: string | null;
}

function setup(limits: Partial<SignalLimits> = {}) {
  const clock = new FakeClock();
  const hub = new SignalHub({ limits, clock, random: seededRandom(7) });
  const connect = (address: string | null = null): Client => {
    const socket = new FakeSignalSocket();
    const conn = hub.accept(socket, { address });
    return { socket, conn, send: (m) => conn.receive(JSON.stringify(m)) };
  };
  /** Sends `join`; the caller checks the answer. */
  const tryJoin = (name: string, extra: JoinExtra = {}): Client => {
    const client = connect(extra.address ?? null);
    client.send({
      type: 'join',
      swarm: extra.swarm ?? 'site.example',
      peerId: peerId(name),
      have: extra.have ?? [],
      offers: extra.offers ?? [],
      introduce: extra.introduce ?? 0,
    });
    return client;
  };
  const join = (name: string, extra: JoinExtra = {}): Client => {
    const client = tryJoin(name, extra);
    assert.equal(client.socket.last()?.type, 'joined', `${name} should have joined: ${JSON.stringify(client.socket.last())}`);
    return client;
  };
  return { clock, hub, connect, tryJoin, join };
}

function errorCodes(client: Client): SignalErrorCode[] {
  return client.socket.ofType('error').map((e) => e.code);
}

function assertClosedWith(client: Client, code: SignalErrorCode): void {
  assert.deepEqual(errorCodes(client).slice(-1), [code], JSON.stringify(client.socket.sent));
  assert.deepEqual(client.socket.closedWith, { code: 1008, reason: code });
  assert.equal(client.conn.isClosed, true);
}

/** The core itself answers a `want`: proof the bystander is served. */
function assertServed(client: Client): void {
  const before = client.socket.sent.length;
  client.send({ type: 'want', hash: hash(0xbeef), exclude: [] });
  assert.deepEqual(client.socket.sent.slice(before), [{ type: 'peers', hash: hash(0xbeef), peers: [] }]);
  assert.equal(client.socket.closedWith, null);
}

/** A fixed-width number, so peer ids made from it never collide (peerId pads names with zeros). */
const pad = (i: number): string => i.toString().padStart(5, '0');

/** `count` distinct hashes starting at `from`. */
const hashes = (from: number, count: number): string[] => Array.from({ length: count }, (_, i) => hash(from + i));

describe('signal core, hostile clients: server-wide and per-address caps', () => {
  it('refuses a socket past maxConnections with server-full, before and after the upgrade, and counts a closed one out', () => {
    const { hub, connect, join } = setup({ maxConnections: 2 });
    const bystander = join('bystander');
    const second = connect();
    assert.deepEqual(hub.admit('192.0.2.1'), { ok: false, error: 'this server has 2 connections', code: 'server-full' });
    const raced = connect();
    assertClosedWith(raced, 'server-full');
    assert.equal(hub.stats().connections, 2);
    assertServed(bystander);
    second.conn.socketClosed();
    assert.equal(hub.admit('192.0.2.1').ok, true);
  });

  it('refuses a socket past maxConnectionsPerAddress with too-many-connections; other addresses are admitted', () => {
    const { hub, connect, join } = setup({ maxConnectionsPerAddress: 3 });
    const bystander = join('bystander', { address: '198.51.100.7' });
    for (let i = 0; i < 3; i++) connect('203.0.113.9');
    assert.equal(hub.admit('203.0.113.9').ok, false);
    assertClosedWith(connect('203.0.113.9'), 'too-many-connections');
    assert.equal(hub.admit('198.51.100.7').ok, true);
    assert.equal(hub.admit(null).ok, true, 'an unknown address is not counted per address');
    assertServed(bystander);
  });

  it('refuses a join opening a swarm past maxSwarms, and one past maxPeers, with server-full', () => {
    const { hub, tryJoin, join } = setup({ maxSwarms: 3, maxPeers: 5 });
    const bystander = join('bystander', { swarm: 'a.example' });
    join('b', { swarm: 'b.example' });
    join('c', { swarm: 'c.example' });
    assertClosedWith(tryJoin('d', { swarm: 'd.example' }), 'server-full');
    join('a2', { swarm: 'a.example' });
    join('a3', { swarm: 'a.example' });
    assertClosedWith(tryJoin('a4', { swarm: 'a.example' }), 'server-full');
    assert.deepEqual(hub.stats(), { swarms: 3, peers: 5, connections: 5 });
    assertServed(bystander);
  });

  it('refuses a join past maxPeersPerAddressInSwarm with too-many-peers; the same address elsewhere and others here are let in', () => {
    const { tryJoin, join } = setup({ maxPeersPerAddressInSwarm: 2 });
    const bystander = join('bystander', { address: '198.51.100.7' });
    join('x1', { address: '203.0.113.9' });
    join('x2', { address: '203.0.113.9' });
    assertClosedWith(tryJoin('x3', { address: '203.0.113.9' }), 'too-many-peers');
    join('x4', { address: '203.0.113.9', swarm: 'other.example' });
    join('y1', { address: '198.51.100.8' });
    assertServed(bystander);
  });

  it('bounds distinct hashes per swarm (too-many-hashes), in all (server-full) and announcements (server-full)', () => {
    const { tryJoin, join } = setup({ maxHavePerPeer: 8, maxHashesPerSwarm: 10, maxHashes: 14, maxHaveEntries: 20 });
    const bystander = join('bystander', { have: hashes(0, 8) });
    const over = join('over', { have: hashes(0, 2) });
    over.send({ type: 'have', have: hashes(100, 3) }); // 8 + 3 new distinct > 10
    assertClosedWith(over, 'too-many-hashes');
    // Hashes the swarm already has cost no distinct slot, only announcements: 8 + 4 = 12 of 20.
    join('same', { have: hashes(0, 4) });
    // 8 + 6 = 14 distinct hashes in all, 18 announcements.
    join('other', { swarm: 'other.example', have: hashes(200, 6) });
    assertClosedWith(tryJoin('more', { swarm: 'third.example', have: hashes(300, 1) }), 'server-full');
    assertClosedWith(tryJoin('entries', { have: hashes(0, 3) }), 'server-full'); // 21 announcements
    join('within', { have: hashes(0, 2) }); // 20: at the cap, not past it
    assertServed(bystander);
  });

  it('parks no offer past maxParkedOfferChars: its holder is listed without one until parked SDP leaves the server', () => {
    // Each offer('x') SDP is 'v=0 offer x…': 13-14 characters; room for 3 of them.
    const { join } = setup({ maxParkedOfferChars: 42 });
    const greedy = join('greedy', { have: [hash(1)], offers: [offer('g1'), offer('g2'), offer('g3')] });
    join('late', { have: [hash(2)], offers: [offer('l1')] });
    const requester = join('requester');
    requester.send({ type: 'want', hash: hash(2), exclude: [] });
    assert.deepEqual(requester.socket.ofType('peers').at(-1)?.peers, [{ peerId: peerId('late') }], 'not parked: no room');
    greedy.conn.socketClosed(); // its offers leave the server with it
    const later = join('later', { have: [hash(3)], offers: [offer('l2')] });
    requester.send({ type: 'want', hash: hash(3), exclude: [] });
    assert.deepEqual(requester.socket.ofType('peers').at(-1)?.peers, [{ peerId: peerId('later'), offer: offer('l2') }]);
    assertServed(later);
  });

  it('keeps one client with many sockets, each in its own swarm with thousands of hashes, within the caps', () => {
    const limits = { maxSwarms: 20, maxHashes: 5_000, maxHaveEntries: 6_000 };
    const { hub, connect, tryJoin, join } = setup(limits);
    const bystander = join('bystander', { have: [hash(1)] });
    const refused: SignalErrorCode[] = [];
    for (let i = 0; i < 60; i++) {
      const attacker = tryJoin(`attacker-${pad(i)}`, { swarm: `s${i}.example`, address: '203.0.113.9' });
      for (let batch = 0; batch < 8 && !attacker.conn.isClosed; batch++) {
        attacker.send({ type: 'have', have: hashes(i * 10_000 + batch * 512, 512) });
      }
      if (attacker.conn.isClosed) refused.push(...errorCodes(attacker));
    }
    const stats = hub.stats();
    assert.ok(stats.swarms <= limits.maxSwarms, JSON.stringify(stats));
    // One socket got 4,096 hashes in, the next the rest of the 5,000; every later one was refused.
    assert.ok(stats.peers <= 3, JSON.stringify(stats));
    assert.ok(refused.length >= 58 && refused.every((code) => code === 'server-full'), refused.join());
    assert.equal(connect('198.51.100.7').conn.isClosed, false, 'another address still gets in');
    assertServed(bystander);
  });
});

/** An answer or offer SDP of `chars` characters. */
const sdpOf = (type: 'offer' | 'answer', chars: number) => ({ type, sdp: `v=0 ${'x'.repeat(chars)}` });

describe('signal core, hostile clients: a socket that stops reading', () => {
  it('relays to a reading socket; past maxBufferedBytes the relay is dropped, the relayer told peer-busy and the staller closed', () => {
    const { hub, join } = setup({ maxBufferedBytes: 64 * 1024 });
    const relayer = join('relayer');
    const staller = join('staller');
    const bystander = join('bystander');
    const signal = (connId: string): void =>
      relayer.send({ type: 'signal', to: peerId('staller'), connId, sdp: sdpOf('offer', 16 * 1024 - 16) });
    // Its queue as the runtime reports it: still under the bound, so relays go through.
    staller.socket.buffered = 64 * 1024;
    signal('conn-0001');
    assert.equal(staller.socket.ofType('signal').length, 1);
    // The client stopped reading and the runtime's queue grew past the bound.
    staller.socket.buffered = 64 * 1024 + 1;
    const sentBefore = staller.socket.sent.length;
    signal('conn-0002');
    assert.deepEqual(errorCodes(relayer), ['peer-busy']);
    assert.equal(relayer.conn.isClosed, false, 'the relayer is not at fault');
    assert.deepEqual(staller.socket.closedWith, { code: 1008, reason: 'slow-reader' });
    assert.equal(staller.socket.sent.length, sentBefore, 'nothing more is queued for the staller, not even an error');
    assert.equal(hub.stats().peers, 2, 'the staller left its swarm');
    // Later relays to it find nobody: nothing is queued anywhere.
    for (let i = 0; i < 50; i++) signal(`conn-1${i.toString().padStart(3, '0')}`);
    assert.equal(staller.socket.sent.length, sentBefore);
    assertServed(relayer);
    assertServed(bystander);
  });

  it('a socket past the bound gets none of its own replies either: it is closed instead', () => {
    const { join } = setup({ maxBufferedBytes: 1024 });
    const staller = join('staller');
    staller.socket.buffered = 4096;
    const sentBefore = staller.socket.sent.length;
    staller.send({ type: 'want', hash: hash(1), exclude: [] });
    assert.equal(staller.socket.sent.length, sentBefore);
    assert.deepEqual(staller.socket.closedWith, { code: 1008, reason: 'slow-reader' });
  });

  it('a holder past the bound hands out no offer: the requester gets the other holders', () => {
    const { join } = setup({ maxBufferedBytes: 1024 });
    const slow = join('slow', { have: [hash(1)], offers: [offer('slow1')] });
    join('fine', { have: [hash(1)], offers: [offer('fine1')] });
    slow.socket.buffered = 4096;
    const requester = join('requester');
    requester.send({ type: 'want', hash: hash(1), exclude: [] });
    const peers = requester.socket.ofType('peers')[0]?.peers ?? [];
    assert.deepEqual(
      peers.map((p) => [p.peerId, p.offer?.connId]),
      [[peerId('fine'), offer('fine1').connId]],
    );
    assert.equal(slow.conn.isClosed, true);
  });
});

describe('signal core, hostile clients: a full swarm', () => {
  it('lets a newcomer in by evicting the non-holder silent longest; holders and recently heard peers stay', () => {
    const { clock, hub, join } = setup({ maxPeersPerSwarm: 4 });
    const holder = join('holder', { have: [hash(1)], offers: [offer('h1')] });
    const parker = join('parker', { offers: [offer('p1')] }); // parked an offer: not idle
    const squatterOld = join('squatter-old');
    clock.advance(1_000);
    const squatterNew = join('squatter-new');
    clock.advance(1_000);
    squatterOld.send({ type: 'ping' }); // heard again: now the newer one is silent longest
    clock.advance(1_000);
    const newcomer = join('newcomer');
    assertClosedWith(squatterNew, 'evicted');
    assert.equal(squatterOld.conn.isClosed, false);
    assert.equal(holder.conn.isClosed, false);
    assert.equal(parker.conn.isClosed, false);
    assert.equal(hub.stats().peers, 4);
    assertServed(newcomer);
  });

  it('evicts no one for a newcomer refused anyway (its hashes would pass the swarm cap)', () => {
    const { tryJoin, join } = setup({ maxPeersPerSwarm: 2, maxHashesPerSwarm: 2 });
    const holder = join('holder', { have: [hash(1)] });
    const idle = join('idle');
    assertClosedWith(tryJoin('greedy', { have: hashes(10, 2) }), 'too-many-hashes');
    assert.equal(idle.conn.isClosed, false);
    assertServed(holder);
  });

  it('refuses with swarm-full only when every member holds something', () => {
    const { tryJoin, join } = setup({ maxPeersPerSwarm: 2 });
    const a = join('a', { have: [hash(1)] });
    const b = join('b', { offers: [offer('b1')] });
    assertClosedWith(tryJoin('c'), 'swarm-full');
    assertServed(a);
    assertServed(b);
  });

  it('2,000 sockets from one address cannot fill a site: the per-address cap stops them and a real visitor joins', () => {
    const { tryJoin, join } = setup({ maxPeersPerSwarm: 50, maxPeersPerAddressInSwarm: 10 });
    const holders = Array.from({ length: 20 }, (_, i) => join(`holder-${pad(i)}`, { have: [hash(i)], address: `198.51.100.${i}` }));
    let admitted = 0;
    for (let i = 0; i < 2_000; i++) if (!tryJoin(`sock-${pad(i)}`, { address: '203.0.113.9' }).conn.isClosed) admitted++;
    assert.equal(admitted, 10);
    const visitor = join('visitor', { address: '192.0.2.55' });
    assertServed(visitor);
    for (const h of holders) assert.equal(h.conn.isClosed, false);
  });
});

describe('signal core, hostile clients: draining parked offers', () => {
  /** `n` holders of hash(1), each with `offers` parked offers, from distinct addresses. */
  function holders(join: ReturnType<typeof setup>['join'], n: number, offers: number): Client[] {
    return Array.from({ length: n }, (_, i) =>
      join(`holder-${pad(i)}`, {
        have: [hash(1)],
        offers: Array.from({ length: offers }, (_, k) => offer(`h${i}o${k}`)),
        address: `198.51.100.${i}`,
      }),
    );
  }

  const offersIn = (client: Client): number => client.socket.ofType('peers').flatMap((m) => m.peers.filter((p) => p.offer)).length;

  it('hands one requester at most maxOffersPerHolderPerRequester offers of one holder per window', () => {
    const { clock, join } = setup({ maxOffersPerHolderPerRequester: 1, offerWindowMs: 10_000, maxUnansweredOffers: 16 });
    holders(join, 1, 4);
    const requester = join('requester');
    for (let i = 0; i < 5; i++) requester.send({ type: 'want', hash: hash(1), exclude: [] });
    assert.equal(offersIn(requester), 1);
    // The holder is still listed, without an offer: the requester can offer itself.
    assert.equal(requester.socket.ofType('peers').at(-1)?.peers[0]?.peerId, peerId(`holder-${pad(0)}`));
    clock.advance(10_000);
    requester.send({ type: 'want', hash: hash(1), exclude: [] });
    assert.equal(offersIn(requester), 2, 'a new window, a new offer');
  });

  it('points a requester that used up one holder’s share at holders whose offers it may still take', () => {
    const limits = { maxOffersPerHolderPerRequester: 1, maxPeersPerWant: 1, maxUnansweredOffers: 16 };
    const { join } = setup(limits);
    holders(join, 3, 4);
    const requester = join('requester');
    for (let i = 0; i < 3; i++) requester.send({ type: 'want', hash: hash(1), exclude: [] });
    const offered = requester.socket.ofType('peers').map((m) => m.peers[0]?.offer !== undefined);
    assert.deepEqual(offered, [true, true, true], 'each want found a holder it had not used up');
    requester.send({ type: 'want', hash: hash(1), exclude: [] });
    assert.equal(requester.socket.ofType('peers').at(-1)?.peers[0]?.offer, undefined, 'all used up: listed without an offer');
  });

  it('stops a requester that takes offers without answering, for the cooldown, while an honest one is served', () => {
    const limits = { maxOffersPerHolderPerRequester: 2, maxUnansweredOffers: 8, offerCooldownMs: 30_000, maxPeersPerWant: 4 };
    const { clock, join } = setup(limits);
    // The attack: 40 holders with 80 parked offers, a drainer holding nothing asking 73 times.
    const all = holders(join, 40, 2);
    const drainer = join('drainer');
    for (let i = 0; i < 73; i++) drainer.send({ type: 'want', hash: hash(1), exclude: [] });
    assert.equal(offersIn(drainer), limits.maxUnansweredOffers, 'offers taken before the cooldown');
    const honest = join('honest');
    honest.send({ type: 'want', hash: hash(1), exclude: [] });
    const got = honest.socket.ofType('peers')[0]?.peers ?? [];
    assert.ok(
      got.some((p) => p.offer),
      `the honest requester still gets an offer: ${JSON.stringify(got)}`,
    );
    // It answers them: answered offers never count against it.
    for (const p of got) if (p.offer) honest.send({ type: 'signal', to: p.peerId, connId: p.offer.connId, sdp: sdpOf('answer', 10) });
    for (let i = 0; i < 20; i++) {
      clock.advance(200); // within its message rate (up to 5 messages a round)
      honest.send({ type: 'want', hash: hash(1), exclude: [] });
      const last = honest.socket.ofType('peers').at(-1)?.peers ?? [];
      for (const p of last) if (p.offer) honest.send({ type: 'signal', to: p.peerId, connId: p.offer.connId, sdp: sdpOf('answer', 10) });
    }
    assert.ok(offersIn(honest) > limits.maxUnansweredOffers, `an answering requester is never cut off: ${offersIn(honest)}`);
    // The drainer's cooldown ends; it gets offers again (the holders parked fresh ones meanwhile).
    clock.advance(limits.offerCooldownMs);
    for (const [i, h] of all.entries()) h.send({ type: 'offers', offers: [offer(`fresh-${pad(i)}`)] });
    const before = offersIn(drainer);
    drainer.send({ type: 'want', hash: hash(1), exclude: [] });
    assert.ok(
      offersIn(drainer) > before,
      `after the cooldown: ${offersIn(drainer)} offers, ${before} before; ${JSON.stringify(drainer.socket.sent.at(-1))}`,
    );
  });
});
