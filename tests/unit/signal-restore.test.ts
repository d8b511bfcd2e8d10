/**
 * The core's hooks for runtimes that evict an idle server object while its sockets stay open
 * (Cloudflare's WebSocket hibernation): a connection's snapshot, taken as plain JSON, must
 * rebuild into a fresh hub (as a woken object has) with the same peer, haves, offers, rate budget
 * and idle deadline. Also the URL-swarm check and the auto-answered-ping hook. Fake socket and
 * clock: every timing is exact.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { withSwarm } from '../../page-bridge/signal-client.ts';
import type { ParkedOffer } from '../../protocol/signal-messages.ts';
import { decodeMembershipRow, encodeMembershipRow } from '../../signal-worker/adapter/cloudflare/membership-row.ts';
import type { SignalConnection, SignalSnapshot } from '../../signal-worker/core/signal/signal-connection.ts';
import { SignalHub } from '../../signal-worker/core/signal/signal-hub.ts';
import { TokenBucket } from '../../signal-worker/core/socket/token-bucket.ts';
import type { TrackerSnapshot } from '../../signal-worker/core/tracker/tracker-connection.ts';
import { TrackerHub } from '../../signal-worker/core/tracker/tracker-hub.ts';
import { binaryIdOf, FakeClock, FakeSignalSocket, FakeTrackerSocket, hash, offer, peerId } from './signal-fakes.ts';

/** What storage does to a snapshot: only plain JSON survives. */
const throughStorage = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;

const LIMITS = { idleTimeoutMs: 10_000, messagesPerSecond: 1, messageBurst: 5 };

function joined(
  hub: SignalHub,
  name: string,
  have: string[],
  offers: ParkedOffer[],
  swarm = 'site.example',
): { socket: FakeSignalSocket; conn: SignalConnection } {
  const socket = new FakeSignalSocket();
  const conn = hub.accept(socket);
  conn.receive(JSON.stringify({ type: 'join', swarm, peerId: peerId(name), have, offers, introduce: 0 }));
  assert.equal(socket.ofType('joined').length, 1, JSON.stringify(socket.sent));
  return { socket, conn };
}

describe('signaling connection snapshot and restore', () => {
  it('a peer restored into a fresh hub is found by want, with its parked offers, and told offer-used', () => {
    const clock = new FakeClock();
    const before = new SignalHub({ limits: LIMITS, clock });
    const holder = joined(before, 'holder', [hash(1), hash(2)], [offer('a'), offer('b')]);
    const snapshot = throughStorage(holder.conn.snapshot());
    assert.deepEqual(snapshot.peer, {
      swarm: 'site.example',
      peerId: peerId('holder'),
      have: [hash(1), hash(2)],
      offers: [offer('a'), offer('b')],
    });

    // The object was evicted: a new hub, the same socket, nothing sent to it on restore.
    const after = new SignalHub({ limits: LIMITS, clock });
    const sentBefore = holder.socket.sent.length;
    const restored = after.restore(holder.socket, snapshot);
    assert.equal(restored.peerId, peerId('holder'));
    assert.equal(holder.socket.sent.length, sentBefore, 'no second joined');
    assert.deepEqual(after.stats(), { swarms: 1, peers: 1, connections: 1 });

    const newcomer = joined(after, 'newcomer', [], []);
    newcomer.conn.receive(JSON.stringify({ type: 'want', hash: hash(2), exclude: [] }));
    assert.deepEqual(newcomer.socket.ofType('peers')[0], {
      type: 'peers',
      hash: hash(2),
      peers: [{ peerId: peerId('holder'), offer: offer('a') }],
    });
    assert.deepEqual(holder.socket.ofType('offer-used').at(-1), { type: 'offer-used', connId: offer('a').connId, by: peerId('newcomer') });
    // The restored peer relays too, both ways.
    restored.receive(
      JSON.stringify({ type: 'signal', to: peerId('newcomer'), connId: 'conn-xyz0', sdp: { type: 'answer', sdp: 'v=0 a' } }),
    );
    assert.equal(newcomer.socket.ofType('signal').length, 1);
  });

  it('reports every change worth storing: join, have, lost, offers, an offer handed out, the end', () => {
    const clock = new FakeClock();
    const changes: string[] = [];
    const hub = new SignalHub({
      limits: LIMITS,
      clock,
      onChange: (c) => changes.push(`${c.peerId ?? 'unjoined'}:${c.isClosed ? 'closed' : 'open'}`),
    });
    const holder = joined(hub, 'holder', [hash(1)], [offer('a')]);
    const asker = joined(hub, 'asker', [], []);
    changes.length = 0;
    holder.conn.receive(JSON.stringify({ type: 'have', have: [hash(3)] }));
    holder.conn.receive(JSON.stringify({ type: 'lost', have: [hash(3)] }));
    holder.conn.receive(JSON.stringify({ type: 'offers', offers: [offer('b')] }));
    assert.deepEqual(changes, [`${peerId('holder')}:open`, `${peerId('holder')}:open`, `${peerId('holder')}:open`]);
    changes.length = 0;
    asker.conn.receive(JSON.stringify({ type: 'want', hash: hash(1), exclude: [] }));
    assert.deepEqual(changes, [`${peerId('holder')}:open`], 'the holder lost an offer; the asker changed nothing stored');
    changes.length = 0;
    asker.conn.receive(JSON.stringify({ type: 'ping' }));
    assert.deepEqual(changes, [], 'a ping changes nothing stored');
    holder.conn.socketClosed();
    assert.deepEqual(changes, [`${peerId('holder')}:closed`]);
  });

  it('carries the rate budget over: a client that spent its burst cannot refill it by waiting out an eviction', () => {
    const clock = new FakeClock();
    const before = new SignalHub({ limits: LIMITS, clock });
    const client = joined(before, 'spender', [], []); // the join took 1 of 5 tokens
    for (let i = 0; i < 4; i++) client.conn.receive(JSON.stringify({ type: 'ping' }));
    const snapshot = throughStorage(client.conn.snapshot());
    assert.ok(snapshot.bucket.tokens < 1, JSON.stringify(snapshot.bucket));
    const after = new SignalHub({ limits: LIMITS, clock });
    const restored = after.restore(client.socket, snapshot);
    restored.receive(JSON.stringify({ type: 'ping' }));
    assert.equal(client.socket.ofType('error').at(-1)?.code, 'rate-limited');
    assert.equal(client.socket.closedWith?.code, 1008);
  });

  it('keeps the idle deadline from before the eviction, and counts pings the runtime answered itself', () => {
    const clock = new FakeClock();
    const before = new SignalHub({ limits: LIMITS, clock });
    const quiet = joined(before, 'quiet', [], []);
    const pinger = joined(before, 'pinger', [], []);
    clock.advance(6_000);
    const snapshots = [quiet, pinger].map((c) => throughStorage(c.conn.snapshot()));
    const after = new SignalHub({ limits: LIMITS, clock });
    after.restore(quiet.socket, snapshots[0] as SignalSnapshot);
    after.restore(pinger.socket, snapshots[1] as SignalSnapshot);
    // The runtime answers the pinger's pings without the core: only lastHeardAt says so.
    pinger.socket.heardAt = clock.now() + 3_000;
    clock.advance(4_001); // 10,001 ms after the last frame the core saw
    assert.equal(quiet.socket.closeReason(), 'idle', 'closed at its original deadline, not 10 s after the restore');
    assert.equal(pinger.socket.closeReason(), null, 'an auto-answered ping is a sign of life');
    clock.advance(10_000);
    assert.equal(pinger.socket.closeReason(), 'idle', 'and silence after it still ends the connection');
  });

  it('a restore the current limits refuse closes that socket alone with the reason', () => {
    const clock = new FakeClock();
    const before = new SignalHub({ limits: LIMITS, clock });
    const big = joined(before, 'big', [hash(1), hash(2), hash(3)], []);
    const snapshot = throughStorage(big.conn.snapshot());
    const after = new SignalHub({ limits: { ...LIMITS, maxHavePerPeer: 2 }, clock });
    const restored = after.restore(big.socket, snapshot);
    assert.equal(restored.isClosed, true);
    assert.equal(big.socket.ofType('error').at(-1)?.code, 'too-many-haves');
    assert.deepEqual(after.stats(), { swarms: 0, peers: 0, connections: 0 });
  });

  it('an unjoined connection restores unjoined and must still join first', () => {
    const clock = new FakeClock();
    const before = new SignalHub({ limits: LIMITS, clock });
    const socket = new FakeSignalSocket();
    const snapshot = throughStorage(before.accept(socket).snapshot());
    assert.equal(snapshot.peer, null);
    const restored = new SignalHub({ limits: LIMITS, clock }).restore(socket, snapshot);
    restored.receive(JSON.stringify({ type: 'want', hash: hash(1), exclude: [] }));
    assert.equal(socket.ofType('error').at(-1)?.code, 'not-joined');
  });
});

describe('the swarm named by the socket URL', () => {
  it('refuses a join for another swarm with a clear error and accepts the named one', () => {
    const hub = new SignalHub({ limits: LIMITS, clock: new FakeClock() });
    const wrong = new FakeSignalSocket();
    hub
      .accept(wrong, { swarm: 'a.example' })
      .receive(JSON.stringify({ type: 'join', swarm: 'b.example', peerId: peerId('x'), have: [], offers: [] }));
    assert.equal(wrong.ofType('error')[0]?.code, 'malformed');
    assert.match(String(wrong.ofType('error')[0]?.message), /differs from the swarm in the socket's URL \(\?swarm=a\.example\)/);
    assert.equal(wrong.closedWith?.code, 1008);
    const right = new FakeSignalSocket();
    hub
      .accept(right, { swarm: 'a.example' })
      .receive(JSON.stringify({ type: 'join', swarm: 'a.example', peerId: peerId('y'), have: [], offers: [] }));
    assert.equal(right.ofType('joined').length, 1);
  });
});

describe('the page bridge names its swarm in the URL', () => {
  it('adds ?swarm= (encoded) unless the configured URL already has one', () => {
    assert.equal(
      withSwarm('wss://signal.example/peer-connect/signal', 'site.example:v2'),
      'wss://signal.example/peer-connect/signal?swarm=site.example%3Av2',
    );
    assert.equal(withSwarm('wss://s.example/peer-connect/signal?x=1', 'a'), 'wss://s.example/peer-connect/signal?x=1&swarm=a');
    assert.equal(withSwarm('wss://s.example/peer-connect/signal?swarm=chosen', 'a'), 'wss://s.example/peer-connect/signal?swarm=chosen');
  });
});

describe('token bucket state', () => {
  it('restores its tokens and clamps a stored count above the burst', () => {
    const bucket = new TokenBucket(1, 3, 0);
    bucket.take(0);
    bucket.take(0);
    assert.deepEqual(bucket.snapshot(), { tokens: 1, last: 0 });
    const restored = new TokenBucket(1, 3, 0, { tokens: 1, last: 0 });
    assert.equal(restored.take(0), true);
    assert.equal(restored.take(0), false);
    const forged = new TokenBucket(1, 3, 0, { tokens: 1_000, last: 0 });
    assert.deepEqual([forged.take(0), forged.take(0), forged.take(0), forged.take(0)], [true, true, true, false]);
  });
});

describe('tracker connection snapshot and restore', () => {
  const id = binaryIdOf;
  const announce = (peer: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      action: 'announce',
      info_hash: id('torrent'),
      peer_id: id(peer),
      event: 'started',
      left: 100,
      numwant: 1,
      offers: [],
      ...extra,
    });

  it("restores memberships and counts, so a newcomer's offer reaches a peer announced before the eviction", () => {
    const clock = new FakeClock();
    const limits = { peerTtlMs: 60_000, sweepIntervalMs: 1_000 };
    const before = new TrackerHub({ limits, clock });
    const seeder = before.accept(new FakeTrackerSocket());
    seeder.receive(announce('seeder', { left: 0 }));
    const snapshot: TrackerSnapshot = throughStorage(seeder.snapshot());
    assert.deepEqual(snapshot.memberships, [{ infoHash: id('torrent'), peerId: id('seeder'), complete: true, lastSeen: clock.now() }]);

    const after = new TrackerHub({ limits, clock });
    const restoredSocket = new FakeTrackerSocket();
    after.restore(restoredSocket, snapshot);
    assert.deepEqual(after.stats(), { swarms: 1, peers: 1, connections: 1 });
    const leecher = new FakeTrackerSocket();
    after.accept(leecher).receive(announce('leecher', { offers: [{ offer_id: id('offer1'), offer: { type: 'offer', sdp: 'v=0 o' } }] }));
    assert.equal(leecher.sent[0]?.complete, 1, 'the restored seeder is counted');
    assert.equal(restoredSocket.sent.filter((m) => m.offer !== undefined).length, 1, 'and gets the offer');
  });

  it('sweeps a restored peer by its stored last announce, and holds no timer once every connection is gone', () => {
    const clock = new FakeClock();
    const limits = { peerTtlMs: 10_000, sweepIntervalMs: 1_000 };
    const hub = new TrackerHub({ limits, clock });
    assert.equal(clock.pendingTimers, 0, 'an unused hub arms nothing');
    const socket = new FakeTrackerSocket();
    const snapshot: TrackerSnapshot = {
      lastSeen: clock.now(),
      bucket: { tokens: 5, last: clock.now() },
      memberships: [{ infoHash: id('torrent'), peerId: id('old'), complete: false, lastSeen: clock.now() - 9_500 }],
    };
    const conn = hub.restore(socket, snapshot);
    assert.equal(hub.stats().peers, 1);
    clock.advance(1_000);
    assert.equal(hub.stats().peers, 0, 'swept 10 s after its stored announce, not after the restore');
    conn.socketClosed();
    clock.advance(5_000);
    assert.equal(clock.pendingTimers, 0, 'no sweep timer left once the last connection is gone');
  });

  it("keeps a connection's new-peer-id bucket through the Cloudflare row, and reads a row stored before it as a bare list", () => {
    const clock = new FakeClock();
    const limits = { newPeerIdBurst: 2, newPeerIdsPerMinute: 1 };
    const before = new TrackerHub({ limits, clock });
    const churner = before.accept(new FakeTrackerSocket());
    churner.receive(announce('one'));
    churner.receive(announce('two'));
    const { memberships, newPeerIds } = churner.snapshot();
    const row = decodeMembershipRow(encodeMembershipRow({ memberships, newPeerIds }));
    assert.ok(row);
    assert.equal(row.memberships.length, 2);

    const after = new TrackerHub({ limits, clock });
    const socket = new FakeTrackerSocket();
    after.restore(socket, { ...churner.snapshot(), ...row }).receive(announce('three', { info_hash: id('other') }));
    assert.equal(socket.closedWith?.code, 1008, 'the spent bucket came back: a third new peer id closes the socket');
    assert.match(String(socket.last()?.['failure reason']), /new peer ids/);

    assert.deepEqual(decodeMembershipRow(JSON.stringify(memberships)), { memberships }, 'an old row: no bucket, so a full one');
    assert.equal(decodeMembershipRow(JSON.stringify({ memberships, newPeerIds: { tokens: 'x' } })), null);
  });
});
