/**
 * The tracker core with no network: a fake socket per client and a fake clock, so announce,
 * offer forwarding, answer relay, scrape, events, sweeping and every limit run instantly.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_TRACKER_MESSAGE_CHARS, TRACKER_ANNOUNCE_INTERVAL_S, TRACKER_MIN_ANNOUNCE_INTERVAL_S } from '../../protocol/limits.ts';
import type { Result } from '../../protocol/result.ts';
import { binaryIdToHex, decodeTrackerRequest, hexToBinaryId } from '../../protocol/tracker-messages.ts';
import { resolveLimits } from '../../signal-worker/core/socket/limits.ts';
import { bucketRule, OfferBudget, REMEMBERED_SENDERS } from '../../signal-worker/core/tracker/offer-budget.ts';
import type { TrackerConnection } from '../../signal-worker/core/tracker/tracker-connection.ts';
import { TrackerHub } from '../../signal-worker/core/tracker/tracker-hub.ts';
import { TrackerIndex, type TrackerSink } from '../../signal-worker/core/tracker/tracker-index.ts';
import { DEFAULT_TRACKER_LIMITS, type TrackerLimits } from '../../signal-worker/core/tracker/tracker-limits.ts';
import { binaryIdOf, buggyRandom, consoleErrorsDuring, FakeClock, FakeTrackerSocket } from './signal-fakes.ts';

type Message = Record<string, unknown>;

const id = binaryIdOf;
const HASH_A = id('torrent-a');
const HASH_B = id('torrent-b');
const offer = (n: number): { offer: { type: 'offer'; sdp: string }; offer_id: string } => ({
  offer: { type: 'offer', sdp: `v=0 offer ${n}` },
  offer_id: id(`offer${n}`),
});

function setup(limits: Partial<TrackerLimits> = {}, random = () => 0.37) {
  const clock = new FakeClock();
  const hub = new TrackerHub({ clock, limits, random });
  const connect = () => {
    const socket = new FakeTrackerSocket();
    const conn: TrackerConnection = hub.accept(socket);
    return { socket, conn, send: (m: Message | string) => conn.receive(typeof m === 'string' ? m : JSON.stringify(m)) };
  };
  const announce = (client: ReturnType<typeof connect>, peer: string, extra: Message = {}, hash = HASH_A) =>
    client.send({ action: 'announce', info_hash: hash, peer_id: id(peer), event: 'started', left: 100, numwant: 5, offers: [], ...extra });
  return { clock, hub, connect, announce };
}

describe('tracker announce', () => {
  it('answers with interval, min interval and the swarm counts for the torrent', () => {
    const { connect, announce } = setup();
    const seeder = connect();
    announce(seeder, 'seeder', { left: 0 });
    assert.deepEqual(seeder.socket.last(), {
      action: 'announce',
      info_hash: HASH_A,
      interval: TRACKER_ANNOUNCE_INTERVAL_S,
      'min interval': TRACKER_MIN_ANNOUNCE_INTERVAL_S,
      complete: 1,
      incomplete: 0,
    });
    const leecher = connect();
    announce(leecher, 'leecher');
    assert.equal(leecher.socket.last()?.complete, 1);
    assert.equal(leecher.socket.last()?.incomplete, 1);
  });

  it('forwards each offer to a different random other peer, with the sender id and offer_id', () => {
    const { connect, announce } = setup();
    const others = ['p1', 'p2', 'p3'].map((name) => {
      const c = connect();
      announce(c, name);
      return c;
    });
    const newcomer = connect();
    announce(newcomer, 'newcomer', { offers: [offer(1), offer(2), offer(3), offer(4)], numwant: 4 });
    const received = others.flatMap((c) => c.socket.offers());
    // Three other peers, four offers: each peer gets exactly one, the fourth goes nowhere.
    assert.equal(received.length, 3);
    for (const c of others) assert.equal(c.socket.offers().length, 1);
    assert.equal(newcomer.socket.offers().length, 0, 'never to itself');
    for (const m of received) {
      assert.equal(m.action, 'announce');
      assert.equal(m.peer_id, id('newcomer'));
      assert.equal(m.info_hash, HASH_A);
    }
    assert.deepEqual(new Set(received.map((m) => m.offer_id)), new Set([offer(1), offer(2), offer(3)].map((o) => o.offer_id)));
  });

  it('clamps numwant to the offers sent and to maxOffers', () => {
    const { connect, announce } = setup({ maxOffers: 2 });
    const others = ['a', 'b', 'c', 'd'].map((name) => {
      const c = connect();
      announce(c, name);
      return c;
    });
    const one = connect();
    announce(one, 'one', { offers: [offer(1), offer(2), offer(3)], numwant: 50 });
    assert.equal(
      others.reduce((n, c) => n + c.socket.offers().length, 0),
      2,
      'maxOffers',
    );
    const two = connect();
    announce(two, 'two', { offers: [offer(1), offer(2), offer(3)], numwant: 1 });
    assert.equal(others.reduce((n, c) => n + c.socket.offers().length, 0) + one.socket.offers().length, 3, 'numwant 1');
    const three = connect();
    announce(three, 'three', { offers: [offer(9)], numwant: 40 });
    assert.equal(
      others.reduce((n, c) => n + c.socket.offers().length, 0) + one.socket.offers().length + two.socket.offers().length,
      4,
      'one offer',
    );
  });

  it("sends a seeder's offers only to peers still downloading", () => {
    const { connect, announce } = setup();
    const otherSeeder = connect();
    announce(otherSeeder, 'seeder1', { left: 0 });
    const leecher = connect();
    announce(leecher, 'leecher');
    const seeder = connect();
    announce(seeder, 'seeder2', { left: 0, offers: [offer(1), offer(2)], numwant: 2 });
    assert.equal(otherSeeder.socket.offers().length, 0);
    assert.equal(leecher.socket.offers().length, 1);
  });

  it('relays an answer to to_peer_id with offer_id, and sends the answerer no response', () => {
    const { connect, announce } = setup();
    const a = connect();
    announce(a, 'a');
    const b = connect();
    announce(b, 'b', { offers: [offer(7)], numwant: 1 });
    assert.equal(a.socket.offers().length, 1);
    const before = a.socket.sent.length;
    a.send({
      action: 'announce',
      info_hash: HASH_A,
      peer_id: id('a'),
      to_peer_id: id('b'),
      offer_id: offer(7).offer_id,
      answer: { type: 'answer', sdp: 'v=0 answer' },
    });
    assert.equal(a.socket.sent.length, before, 'no response to an answer');
    assert.deepEqual(b.socket.answers(), [
      {
        action: 'announce',
        info_hash: HASH_A,
        peer_id: id('a'),
        offer_id: offer(7).offer_id,
        answer: { type: 'answer', sdp: 'v=0 answer' },
      },
    ]);
  });

  it('refuses an answer from a connection that is not that peer in that swarm', () => {
    const { connect, announce } = setup();
    const a = connect();
    announce(a, 'a');
    const stranger = connect();
    stranger.send({
      action: 'announce',
      info_hash: HASH_A,
      peer_id: id('x'),
      to_peer_id: id('a'),
      offer_id: id('o'),
      answer: { type: 'answer', sdp: 'v=0' },
    });
    assert.equal(a.socket.answers().length, 0);
    assert.match(String(stranger.socket.last()?.['failure reason']), /has not announced/);
    assert.equal(stranger.socket.closedWith, null, 'a refused request keeps the connection');
  });

  it('keeps a peer_id to the connection that announced it first', () => {
    const { connect, announce } = setup();
    const owner = connect();
    announce(owner, 'same');
    const thief = connect();
    announce(thief, 'same', { offers: [offer(1)], numwant: 1 });
    assert.match(String(thief.socket.last()?.['failure reason']), /another connection/);
    assert.equal(thief.socket.last()?.info_hash, HASH_A, 'the failure names the torrent, so the client shows a warning');
  });

  it('lets one connection carry several peers and torrents (WebTorrent pools one socket per URL)', () => {
    const { connect, announce, hub } = setup();
    const shared = connect();
    announce(shared, 'seeder', { left: 0 });
    announce(shared, 'leecher', { offers: [offer(1)], numwant: 1 });
    announce(shared, 'leecher', {}, HASH_B);
    assert.equal(shared.socket.offers().length, 1, 'the offer reaches the other peer on the same socket');
    assert.deepEqual(hub.stats(), { swarms: 2, peers: 3, connections: 1 });
  });
});

describe('tracker events', () => {
  it('completed moves a peer to complete and counts downloaded; stopped removes it', () => {
    const { connect, announce } = setup();
    const a = connect();
    announce(a, 'a');
    const b = connect();
    announce(b, 'b');
    a.send({ action: 'announce', info_hash: HASH_A, peer_id: id('a'), event: 'completed', left: 0 });
    assert.equal(a.socket.last()?.complete, 1);
    assert.equal(a.socket.last()?.incomplete, 1);
    a.send({ action: 'scrape', info_hash: HASH_A });
    assert.deepEqual((a.socket.last()?.files as Record<string, unknown> | undefined)?.[HASH_A], {
      complete: 1,
      incomplete: 1,
      downloaded: 1,
    });
    // A second completed is not a second download.
    a.send({ action: 'announce', info_hash: HASH_A, peer_id: id('a'), event: 'completed', left: 0 });
    b.send({ action: 'announce', info_hash: HASH_A, peer_id: id('b'), event: 'stopped' });
    assert.equal(b.socket.last()?.incomplete, 0);
    a.send({ action: 'scrape', info_hash: HASH_A });
    assert.deepEqual((a.socket.last()?.files as Record<string, unknown> | undefined)?.[HASH_A], {
      complete: 1,
      incomplete: 0,
      downloaded: 1,
    });
  });

  it('a stopped peer gets no more offers', () => {
    const { connect, announce } = setup();
    const a = connect();
    announce(a, 'a');
    a.send({ action: 'announce', info_hash: HASH_A, peer_id: id('a'), event: 'stopped' });
    const b = connect();
    announce(b, 'b', { offers: [offer(1)], numwant: 1 });
    assert.equal(a.socket.offers().length, 0);
    assert.equal(b.socket.last()?.incomplete, 1);
  });

  it('closing a connection removes all of its peers', () => {
    const { connect, announce, hub } = setup();
    const a = connect();
    announce(a, 'a');
    announce(a, 'a', {}, HASH_B);
    assert.equal(hub.stats().peers, 2);
    a.conn.socketClosed();
    assert.deepEqual(hub.stats(), { swarms: 0, peers: 0, connections: 0 });
  });
});

describe('tracker scrape', () => {
  it('answers one info_hash or several, zeros for unknown torrents, with min_request_interval', () => {
    const { connect, announce } = setup();
    const a = connect();
    announce(a, 'a', { left: 0 });
    a.send({ action: 'scrape', info_hash: HASH_A });
    assert.deepEqual(a.socket.last(), {
      action: 'scrape',
      files: { [HASH_A]: { complete: 1, incomplete: 0, downloaded: 0 } },
      flags: { min_request_interval: TRACKER_MIN_ANNOUNCE_INTERVAL_S },
    });
    a.send({ action: 'scrape', info_hash: [HASH_A, HASH_B] });
    assert.deepEqual(a.socket.last()?.files, {
      [HASH_A]: { complete: 1, incomplete: 0, downloaded: 0 },
      [HASH_B]: { complete: 0, incomplete: 0, downloaded: 0 },
    });
  });

  it('refuses a scrape without info_hash instead of listing every torrent', () => {
    const { connect } = setup();
    const a = connect();
    a.send({ action: 'scrape' });
    assert.equal(a.socket.last()?.action, 'scrape');
    assert.match(String(a.socket.last()?.['failure reason']), /info_hash/);
  });
});

describe('tracker sweep and idle connections', () => {
  it('sweeps a peer that stopped announcing, keeps one that announces', () => {
    const { connect, announce, clock, hub } = setup({ peerTtlMs: 10_000, sweepIntervalMs: 1_000 });
    const quiet = connect();
    announce(quiet, 'quiet');
    const busy = connect();
    announce(busy, 'busy');
    for (let t = 0; t < 12; t++) {
      clock.advance(1_000);
      busy.send({ action: 'announce', info_hash: HASH_A, peer_id: id('busy'), left: 100 });
    }
    assert.equal(hub.stats().peers, 1);
    const newcomer = connect();
    announce(newcomer, 'new', { offers: [offer(1), offer(2)], numwant: 2 });
    assert.equal(quiet.socket.offers().length, 0, 'a swept peer gets no offers');
    assert.equal(busy.socket.offers().length, 1);
  });

  it('closes a connection silent for the peer TTL', () => {
    const { connect, clock } = setup({ peerTtlMs: 10_000 });
    const a = connect();
    clock.advance(9_999);
    assert.equal(a.socket.closedWith, null);
    clock.advance(2);
    assert.equal(a.socket.closeCode(), 1008);
  });
});

describe('tracker limits', () => {
  it('refuses a peer past maxPeersPerSwarm and a torrent past maxSwarms, keeping the connection', () => {
    const { connect, announce } = setup({ maxPeersPerSwarm: 2, maxSwarms: 1 });
    const c = connect();
    announce(c, 'a');
    announce(connect(), 'b');
    // One peer id per connection: nobody crowds the swarm, so the newcomer is refused.
    const late = connect();
    announce(late, 'c');
    assert.equal(late.socket.last()?.['failure reason'], 'swarm is full');
    announce(c, 'a', {}, HASH_B);
    assert.equal(c.socket.last()?.['failure reason'], 'tracker is full');
    announce(c, 'a', { event: 'update' });
    assert.equal(c.socket.last()?.incomplete, 2, 'still served');
    assert.equal(c.socket.closedWith, null);
  });

  it('refuses memberships past maxMembershipsPerConnection', () => {
    const { connect, announce } = setup({ maxMembershipsPerConnection: 1 });
    const c = connect();
    announce(c, 'a');
    announce(c, 'a', {}, HASH_B);
    assert.match(String(c.socket.last()?.['failure reason']), /torrents on one connection/);
  });

  it('closes only the connection that floods, after a failure reason', () => {
    const { connect, announce } = setup({ messagesPerSecond: 1, messageBurst: 3 });
    const good = connect();
    announce(good, 'good');
    const flood = connect();
    for (let i = 0; i < 4; i++) flood.send({ action: 'scrape', info_hash: HASH_A });
    assert.match(String(flood.socket.last()?.['failure reason']), /messages per second/);
    assert.equal(flood.socket.closedWith?.code, 1008);
    assert.equal(good.socket.closedWith, null);
  });

  it('closes on an oversized frame before parsing it, and on a binary frame', () => {
    const { connect } = setup({ maxMessageChars: 1000 });
    const big = connect();
    big.send('x'.repeat(1001));
    assert.match(String(big.socket.last()?.['failure reason']), /longer than 1000/);
    assert.equal(big.socket.closedWith?.code, 1008);
    const binary = connect();
    binary.conn.receive(new Uint8Array([1, 2, 3]));
    assert.equal(binary.socket.closedWith?.code, 1008);
  });

  it('refuses to raise a limit past the protocol', () => {
    const resolve = (overrides: Partial<TrackerLimits>): TrackerLimits => resolveLimits('tracker', DEFAULT_TRACKER_LIMITS, overrides);
    assert.throws(() => resolve({ maxMessageChars: MAX_TRACKER_MESSAGE_CHARS + 1 }), RangeError);
    assert.throws(() => resolve({ maxOffers: 0 }), RangeError);
  });
});

describe('tracker index refusals', () => {
  it('carry a code for each rule, and the message the client is sent', () => {
    const index = new TrackerIndex(
      { ...DEFAULT_TRACKER_LIMITS, maxPeersPerSwarm: 1, maxSwarms: 1, maxMembershipsPerConnection: 2 },
      () => 0.5,
    );
    const sink: TrackerSink = { deliver: () => undefined };
    const other: TrackerSink = { deliver: () => undefined };
    const request = (peer: string, hash = HASH_A) => ({
      action: 'announce' as const,
      infoHash: hash,
      peerId: id(peer),
      event: 'started' as const,
      left: 0,
      numwant: 0,
      offers: [],
      answer: null,
    });
    const refusal = (outcome: Result<unknown, string>): [string, string] | null => (outcome.ok ? null : [outcome.code, outcome.error]);
    const first = index.announce(request('a'), sink, 0);
    assert.deepEqual(first.ok && { complete: first.value.complete, incomplete: first.value.incomplete }, { complete: 1, incomplete: 0 });
    assert.deepEqual(refusal(index.announce(request('a'), other, 0)), ['peer-id-in-use', 'peer_id is in use by another connection']);
    assert.deepEqual(refusal(index.announce(request('b'), sink, 0)), ['swarm-full', 'swarm is full']);
    assert.deepEqual(refusal(index.announce(request('a', HASH_B), other, 0)), ['tracker-full', 'tracker is full']);
    const answer = { toPeerId: id('a'), offerId: id('o'), answer: { type: 'answer' as const, sdp: 'v=0' } };
    assert.deepEqual(refusal(index.relayAnswer(HASH_A, id('x'), other, answer, 0)), [
      'not-in-swarm',
      'answer from a peer that has not announced in this swarm',
    ]);
    const crowded = new TrackerIndex(
      { ...DEFAULT_TRACKER_LIMITS, maxPeersPerSwarm: 10, maxSwarms: 10, maxMembershipsPerConnection: 1 },
      () => 0.5,
    );
    assert.equal(crowded.announce(request('a'), sink, 0).ok, true);
    assert.deepEqual(refusal(crowded.announce(request('a', HASH_B), sink, 0)), [
      'too-many-torrents',
      'more than 1 torrents on one connection',
    ]);
  });
});

describe('tracker: a bug of ours', () => {
  it('sends a failure reason, closes that socket with 1011 and keeps serving the others', () => {
    const logged = consoleErrorsDuring(() => {
      const { connect, announce } = setup({}, buggyRandom);
      const a = connect();
      announce(a, 'a');
      const b = connect();
      announce(b, 'b', { numwant: 1, offers: [offer(1)] });
      assert.deepEqual(b.socket.last(), { 'failure reason': 'internal error' });
      assert.deepEqual(b.socket.closedWith, { code: 1011, reason: 'internal-error' });
      a.send({ action: 'scrape', info_hash: HASH_A });
      assert.deepEqual((a.socket.last()?.files as Record<string, unknown> | undefined)?.[HASH_A], {
        complete: 0,
        incomplete: 1,
        downloaded: 0,
      });
    });
    assert.equal(logged, 1, 'the bug is logged');
  });
});

describe('tracker malformed input', () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ['not JSON', '{', /invalid JSON/],
    ['an array', [], /JSON object/],
    ['unknown action', { action: 'connect' }, /invalid action/],
    ['short info_hash', { action: 'announce', info_hash: 'abc', peer_id: id('p') }, /invalid info_hash/],
    ['hex info_hash', { action: 'announce', info_hash: 'a'.repeat(40), peer_id: id('p') }, /invalid info_hash/],
    ['wide char in peer_id', { action: 'announce', info_hash: HASH_A, peer_id: '\u0100'.repeat(20) }, /invalid peer_id/],
    ['bad event', { action: 'announce', info_hash: HASH_A, peer_id: id('p'), event: 'exploded' }, /invalid event/],
    ['bad left', { action: 'announce', info_hash: HASH_A, peer_id: id('p'), left: -1 }, /invalid left/],
    ['bad numwant', { action: 'announce', info_hash: HASH_A, peer_id: id('p'), numwant: 'lots' }, /invalid numwant/],
    ['offers not an array', { action: 'announce', info_hash: HASH_A, peer_id: id('p'), offers: {} }, /offers must be an array/],
    [
      'offer without offer_id',
      { action: 'announce', info_hash: HASH_A, peer_id: id('p'), offers: [{ offer: { type: 'offer', sdp: 'x' } }] },
      /invalid offer/,
    ],
    [
      'answer typed offer',
      {
        action: 'announce',
        info_hash: HASH_A,
        peer_id: id('p'),
        to_peer_id: id('q'),
        offer_id: id('o'),
        answer: { type: 'offer', sdp: 'x' },
      },
      /invalid answer/,
    ],
    [
      'answer without to_peer_id',
      { action: 'announce', info_hash: HASH_A, peer_id: id('p'), offer_id: id('o'), answer: { type: 'answer', sdp: 'x' } },
      /to_peer_id/,
    ],
    [
      'too many offers',
      { action: 'announce', info_hash: HASH_A, peer_id: id('p'), offers: Array.from({ length: 11 }, (_, i) => offer(i)) },
      /more than 10 offers/,
    ],
    ['scrape with a bad hash', { action: 'scrape', info_hash: [HASH_A, 'short'] }, /invalid info_hash/],
  ];
  for (const [name, message, reason] of cases) {
    it(`answers ${name} with a failure reason and serves the next request`, () => {
      const { connect, announce } = setup();
      const c = connect();
      c.send(typeof message === 'string' ? message : JSON.stringify(message));
      assert.equal(c.socket.failures().length, 1);
      assert.match(String(c.socket.last()?.['failure reason']), reason);
      assert.equal(c.socket.closedWith, null);
      announce(c, 'after');
      assert.equal(c.socket.last()?.complete, 0);
      assert.equal(c.socket.last()?.incomplete, 1);
    });
  }

  it('names the torrent in an announce failure once info_hash was valid', () => {
    const result = decodeTrackerRequest(JSON.stringify({ action: 'announce', info_hash: HASH_A, peer_id: 'short' }));
    assert.deepEqual(result, { ok: false, error: 'invalid peer_id', code: 'malformed', action: 'announce', infoHash: HASH_A });
  });

  it('converts ids between hex and binary strings both ways', () => {
    const hex = `00ff7f80${'0123456789abcdef'.repeat(2)}`;
    assert.equal(binaryIdToHex(hexToBinaryId(hex)), hex);
    assert.throws(() => hexToBinaryId('abc'), TypeError);
  });
});

describe('tracker: hostile clients (issue 11)', () => {
  type Client = ReturnType<ReturnType<typeof setup>['connect']>;
  const received = (clients: readonly Client[]): number => clients.reduce((n, c) => n + c.socket.offers().length, 0);

  it('a sybil: 4 sockets trying 256 peer ids each get 2 in and are cut off; the viewer joins and reaches the seeder', () => {
    const { connect, announce, clock, hub } = setup();
    const seeder = connect();
    announce(seeder, 'seeder', { left: 0 });
    const sybils = [0, 1, 2, 3].map(() => connect());
    let refusedForPeerIds = 0;
    for (let i = 0; i < 256; i++) {
      for (const [s, sybil] of sybils.entries()) {
        if (sybil.socket.closedWith) continue;
        announce(sybil, `f${s}-${i}`);
        if (/peer ids of one connection/.test(String(sybil.socket.last()?.['failure reason']))) refusedForPeerIds++;
      }
      clock.advance(20); // inside 50 messages/s: only the peer-id rules stop them
    }
    assert.ok(refusedForPeerIds > 0, 'a third peer id in the torrent is refused');
    for (const sybil of sybils) {
      assert.equal(sybil.socket.closeCode(), 1008, 'minting peer ids past the burst closes the socket');
      assert.match(String(sybil.socket.failures().at(-1)?.['failure reason']), /new peer ids on one connection/);
    }
    // The closed sockets' peers left; while open they held 2 each.
    assert.deepEqual(hub.stats(), { swarms: 1, peers: 1, connections: 1 });

    const viewer = connect();
    announce(viewer, 'viewer', { offers: [offer(1), offer(2)], numwant: 2 });
    assert.equal(viewer.socket.last()?.complete, 1, 'the viewer joined');
    assert.equal(seeder.socket.offers().length, 1, "the viewer's offer reached the seeder");
    announce(seeder, 'seeder', { event: 'update', left: 0, offers: [offer(3)], numwant: 1 });
    assert.equal(viewer.socket.offers().length, 1, "the seeder's offer reached the viewer");
  });

  it('a third peer id of one connection in one torrent is refused with a failure naming it; the socket stays', () => {
    const { connect, announce, hub } = setup();
    const c = connect();
    announce(c, 'one');
    announce(c, 'two');
    announce(c, 'three');
    assert.equal(c.socket.last()?.['failure reason'], 'more than 2 peer ids of one connection in this torrent');
    assert.equal(c.socket.last()?.info_hash, HASH_A);
    announce(c, 'three', {}, HASH_B);
    assert.equal(c.socket.last()?.incomplete, 1, 'another torrent is another count');
    assert.equal(c.socket.closedWith, null);
    assert.deepEqual(hub.stats(), { swarms: 2, peers: 3, connections: 1 });
  });

  it('a full swarm evicts the longest silent peer of a connection holding two for a connection new to it, and refuses when none does', () => {
    const index = new TrackerIndex({ ...DEFAULT_TRACKER_LIMITS, maxPeersPerSwarm: 4 }, () => 0.5);
    const sink = (): TrackerSink => ({ deliver: () => undefined });
    const [seeder, sybil, other, viewer, late] = [sink(), sink(), sink(), sink(), sink()];
    const request = (peer: string, event: 'started' | 'update' = 'started') => ({
      action: 'announce' as const,
      infoHash: HASH_A,
      peerId: id(peer),
      event,
      left: 10,
      numwant: 0,
      offers: [],
      answer: null,
    });
    assert.equal(index.announce(request('seeder'), seeder, 0).ok, true);
    assert.equal(index.announce(request('fake1'), sybil, 1).ok, true);
    assert.equal(index.announce(request('fake2'), sybil, 2).ok, true);
    assert.equal(index.announce(request('other'), other, 3).ok, true);
    assert.equal(index.announce(request('fake1', 'update'), sybil, 4).ok, true, 'fake1 heard again: fake2 is the longest silent');
    assert.equal(index.announce(request('viewer'), viewer, 5).ok, true, 'the viewer gets in');
    assert.equal(index.isMember(HASH_A, id('fake2'), sybil), false, 'fake2 was evicted');
    assert.equal(index.isMember(HASH_A, id('fake1'), sybil), true);
    assert.deepEqual(index.stats(), { swarms: 1, peers: 4 });
    const refused = index.announce(request('late'), late, 6);
    assert.deepEqual(refused.ok ? null : refused.code, 'swarm-full', 'one peer id per connection: nobody is evicted');
    const again = index.announce(request('fake3'), sybil, 7);
    assert.deepEqual(again.ok ? null : again.code, 'swarm-full', 'a connection already in the swarm evicts nobody');
  });

  it('a full swarm of one peer per connection evicts a peer that missed its announce, never a punctual one', () => {
    const { connect, announce, clock, hub } = setup({ maxPeersPerSwarm: 3 });
    const [gone, punctual, fake] = [connect(), connect(), connect()];
    announce(gone, 'gone');
    announce(punctual, 'punctual');
    announce(fake, 'fake');
    const overdueMs = (TRACKER_ANNOUNCE_INTERVAL_S + TRACKER_MIN_ANNOUNCE_INTERVAL_S) * 1000;
    // The fake re-announces every 10 s, the viewer every interval, `gone` never again.
    for (let t = 10_000; t <= overdueMs; t += 10_000) {
      clock.advance(10_000);
      announce(fake, 'fake', { event: 'update' });
      if (t % (TRACKER_ANNOUNCE_INTERVAL_S * 1000) === 0) announce(punctual, 'punctual', { event: 'update' });
    }
    const early = connect();
    announce(early, 'early');
    assert.equal(
      early.socket.last()?.['failure reason'],
      'swarm is full',
      'silent for exactly the interval plus min interval: not yet overdue',
    );
    clock.advance(1);
    const viewer = connect();
    announce(viewer, 'viewer');
    assert.equal(viewer.socket.last()?.incomplete, 3, "the viewer took the overdue peer's place");
    assert.equal(hub.stats().peers, 3);
    const late = connect();
    announce(late, 'late');
    assert.equal(late.socket.last()?.['failure reason'], 'swarm is full', 'everyone left is punctual');
    announce(punctual, 'punctual', { event: 'update' });
    assert.equal(punctual.socket.last()?.incomplete, 3, 'the punctual viewer was kept');
  });

  it('an offer flood toward one peer delivers its per-sender share, and a normal peer still reaches it', () => {
    const { connect, announce, clock } = setup();
    const target = connect();
    announce(target, 'target');
    const flooder = connect();
    announce(flooder, 'flooder', { left: 0 });
    for (let i = 0; i < 60; i++) {
      clock.advance(20);
      announce(flooder, 'flooder', { event: 'update', left: 0, offers: [offer(i)], numwant: 1 });
    }
    assert.equal(flooder.socket.closedWith, null, 'inside the message rate: only the offer budget acts');
    // 60 offers in 1.2 s: the share of 4 plus 6/min × 1.2 s = 0.12 of a token.
    assert.equal(target.socket.offers().length, DEFAULT_TRACKER_LIMITS.offerBurstPerSenderToTarget);
    const normal = connect();
    announce(normal, 'normal', { left: 0, offers: [offer(99)], numwant: 1 });
    assert.equal(target.socket.last()?.peer_id, id('normal'), "the normal peer's offer arrives");
  });

  it('many flooding connections together deliver at most the target budget; a spent target passes offers to another peer', () => {
    const { connect, announce, clock } = setup({ offerBurstPerTarget: 10, offersPerTargetPerMinute: 30 });
    const target = connect();
    announce(target, 'target');
    const flooders = [0, 1, 2, 3, 4, 5].map((n) => {
      const f = connect();
      announce(f, `flood${n}`, { left: 0 });
      return f;
    });
    for (let i = 0; i < 20; i++) {
      clock.advance(20);
      for (const [n, f] of flooders.entries()) announce(f, `flood${n}`, { event: 'update', left: 0, offers: [offer(i)], numwant: 1 });
    }
    // 6 × 4 shares, but 10 for the target in all (+30/min × 0.4 s = 0.2 of a token).
    assert.equal(target.socket.offers().length, 10);
    clock.advance(2_000); // one token at 30/min
    const normal = connect();
    announce(normal, 'normal', { left: 0, offers: [offer(98)], numwant: 1 });
    announce(normal, 'normal', { event: 'update', left: 0, offers: [offer(99)], numwant: 1 });
    assert.equal(target.socket.offers().length, 11, 'the refill lets exactly one more through');
    const other = connect();
    announce(other, 'other');
    announce(normal, 'normal', { event: 'update', left: 0, offers: [offer(97)], numwant: 1 });
    assert.equal(other.socket.offers().length, 1, 'with the target spent, the offer goes to a peer with room');
    assert.equal(target.socket.offers().length, 11);
  });

  it('offer flood by peer-id churn (started with a fresh peer id, then stopped, ~22/s from two sockets): cut off, the viewer gets a handful', () => {
    const { connect, announce, clock } = setup();
    const viewer = connect();
    announce(viewer, 'viewer');
    const flooders = [connect(), connect()];
    let sent = 0;
    // 12 s at ~22 announces/s per socket, each a new peer id with one offer and a stopped after it.
    for (let tick = 0; tick < 12 * 11; tick++) {
      clock.advance(91);
      for (const [n, f] of flooders.entries()) {
        const peer = `c${n}-${tick}`;
        announce(f, peer, { left: 0, offers: [offer(tick)], numwant: 1 });
        f.send({ action: 'announce', info_hash: HASH_A, peer_id: id(peer), event: 'stopped', left: 0 });
        sent++;
      }
    }
    for (const f of flooders) {
      assert.equal(f.socket.closeCode(), 1008);
      assert.match(String(f.socket.failures().at(-1)?.['failure reason']), /more than 8 new peer ids on one connection/);
    }
    assert.equal(sent, 264);
    // Each socket minted its 8 peer ids before the cut (refill: 2/min, not reached in 0.7 s), and
    // each connection's share toward the viewer is 4.
    assert.equal(received([viewer]), 2 * DEFAULT_TRACKER_LIMITS.offerBurstPerSenderToTarget);
  });

  it('peer ids a connection already holds (re-announces, other torrents) are not churn; the burst refills', () => {
    const { connect, announce, clock } = setup({ newPeerIdBurst: 2, newPeerIdsPerMinute: 2 });
    const c = connect();
    for (let i = 0; i < 20; i++) {
      announce(c, 'same', { event: 'update' });
      announce(c, 'same', { event: 'update' }, HASH_B);
      clock.advance(100);
    }
    announce(c, 'second');
    assert.equal(c.socket.closedWith, null);
    clock.advance(30_000); // one new peer id at 2/min
    announce(c, 'third', {}, HASH_B);
    assert.equal(c.socket.closedWith, null);
    announce(c, 'fourth', {}, HASH_B);
    assert.equal(c.socket.closeCode(), 1008);
    assert.match(String(c.socket.last()?.['failure reason']), /more than 2 new peer ids/);
  });

  it('the new-peer-id bucket travels in the snapshot', () => {
    const { connect, announce, hub } = setup({ newPeerIdBurst: 2, newPeerIdsPerMinute: 1 });
    const c = connect();
    announce(c, 'a');
    announce(c, 'b', {}, HASH_B);
    const snapshot = c.conn.snapshot();
    assert.equal(Math.floor(snapshot.newPeerIds?.tokens ?? Number.NaN), 0, 'the snapshot holds a spent bucket');
    const socket = new FakeTrackerSocket();
    hub
      .restore(socket, snapshot)
      .receive(JSON.stringify({ action: 'announce', info_hash: HASH_A, peer_id: id('c'), event: 'started', left: 1, numwant: 0 }));
    assert.equal(socket.closeCode(), 1008, 'a rebuilt connection does not get a fresh burst');
  });
});

describe('tracker offer budget', () => {
  const rules = { target: bucketRule(5, 60), perSender: bucketRule(2, 6) };

  it('allows a sender its share and the target its total, refilled by the clock, never by a clock stepping back', () => {
    const budget = new OfferBudget<string>(rules, 0);
    const spend = (sender: string, now: number): boolean => {
      if (!budget.allows(sender, now)) return false;
      budget.take(sender, now);
      return true;
    };
    assert.deepEqual([spend('a', 0), spend('a', 0), spend('a', 0)], [true, true, false], "a's share is 2");
    assert.deepEqual([spend('b', 0), spend('b', 0), spend('c', 0), spend('c', 0)], [true, true, true, false], 'the total is 5');
    assert.equal(spend('d', -60_000), false, 'a clock that steps back mints nothing');
    assert.equal(spend('d', 1_000), true, 'one offer a second for the target (60/min)');
    assert.equal(budget.allows('e', 5_000), true, 'the total refilled (4 offers by now)');
    assert.equal(spend('a', 5_000), false, "but a's own share refills at 6/min: half an offer by now");
    assert.equal(spend('a', 11_000), true, 'after 10 s it has');
  });

  it(`forgets the oldest sender past ${REMEMBERED_SENDERS}, which then starts with a full share again`, () => {
    const budget = new OfferBudget<number>({ target: bucketRule(1000, 60), perSender: bucketRule(1, 1) }, 0);
    budget.take(0, 0);
    assert.equal(budget.allows(0, 0), false);
    for (let s = 1; s <= REMEMBERED_SENDERS; s++) budget.take(s, 0);
    assert.equal(budget.allows(0, 0), true, 'sender 0 was forgotten');
    assert.equal(budget.allows(REMEMBERED_SENDERS, 0), false, 'the newest is remembered');
  });
});
