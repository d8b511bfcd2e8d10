/**
 * page-bridge/peer-pool.ts on fake WebRTC peers: what it sends to the signaling server (parked
 * offers, answers, offers through the relay), which links it opens, shares, closes and refuses.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_CONNECTIONS, PARKED_OFFERS } from '../../protocol/limits.ts';
import type { ClientMessage } from '../../protocol/signal-messages.ts';
import { connectHolder, testPool, tick, until } from './support/bridge-fakes.ts';

const H = 'a'.repeat(64);
const H2 = 'b'.repeat(64);
const OFFER = { type: 'offer' as const, sdp: 'their offer' };
const signals = (sent: ClientMessage[]): Array<Extract<ClientMessage, { type: 'signal' }>> =>
  sent.filter((m): m is Extract<ClientMessage, { type: 'signal' }> => m.type === 'signal');

describe('PeerPool: parked offers', () => {
  it(`parks ${PARKED_OFFERS} offers for a join, each its own connection; none when not uploading`, async () => {
    const { pool, peers } = testPool();
    const offers = await pool.offersForJoin();
    assert.equal(offers.length, PARKED_OFFERS);
    assert.equal(new Set(offers.map((o) => o.connId)).size, PARKED_OFFERS);
    assert.deepEqual(
      offers.map((o) => o.sdp.sdp),
      peers.made.map((p) => `offer from ${p.name}`),
    );
    assert.ok(peers.made.every((p) => p.initiator));

    const quiet = testPool({ parkOffers: false });
    assert.deepEqual(await quiet.pool.offersForJoin(), []);
    assert.equal(quiet.peers.made.length, 0);
  });

  it('a re-join drops the old offers: the server has forgotten them', async () => {
    const { pool, peers } = testPool();
    await pool.offersForJoin();
    await pool.offersForJoin();
    assert.deepEqual(
      peers.made.map((p) => p.destroyed),
      [true, true, false, false],
    );
  });

  it('offer-used: only the answer of the peer it was handed to is applied; the link opens with our have, and a fresh offer is parked', async () => {
    const { pool, peers, signal, changes } = testPool({ have: [H] });
    const [offer] = await pool.offersForJoin();
    assert.ok(offer);
    const parked = peers.made[0]!;
    pool.onSignal({ type: 'offer-used', connId: offer.connId, by: 'newcomer' });
    await until(() => signal.sent.some((m) => m.type === 'offers'), 'a fresh offer');
    const fresh = signal.sent.find((m) => m.type === 'offers');
    assert.equal(fresh?.type === 'offers' ? fresh.offers.length : 0, 1);

    pool.onSignal({ type: 'signal', from: 'someone-else', connId: offer.connId, sdp: { type: 'answer', sdp: 'not for them' } });
    pool.onSignal({ type: 'signal', from: 'newcomer', connId: offer.connId, sdp: { type: 'answer', sdp: 'the answer' } });
    assert.deepEqual(parked.signals, [{ type: 'answer', sdp: 'the answer' }]);
    parked.open();
    assert.deepEqual([...pool.links.keys()], ['newcomer']);
    assert.deepEqual(parked.sent, [{ t: 'have', have: [H] }]);
    assert.ok(changes() > 0);
  });
});

describe('PeerPool: connecting to holders', () => {
  it('a holder with a parked offer: we answer it through the relay, and the link holds the hash', async () => {
    const { pool, peers, signal } = testPool();
    const opening = pool.connectTo([{ peerId: 'holder', offer: { connId: 'c1', sdp: OFFER } }], H);
    const peer = peers.last();
    assert.equal(peer.initiator, false);
    assert.deepEqual(peer.signals, [OFFER]);
    await until(() => signals(signal.sent).length === 1, 'the answer');
    assert.deepEqual(signals(signal.sent), [
      { type: 'signal', to: 'holder', connId: 'c1', sdp: { type: 'answer', sdp: `answer from ${peer.name}` } },
    ]);
    peer.open();
    const link = await opening;
    assert.equal(link?.peerId, 'holder');
    assert.deepEqual(pool.holders(H), [link]);
  });

  it('a holder with no offer left: we offer through the relay and apply its answer', async () => {
    const { pool, peers, signal } = testPool();
    const opening = pool.connectTo([{ peerId: 'holder' }], H);
    const peer = peers.last();
    assert.equal(peer.initiator, true);
    await until(() => signals(signal.sent).length === 1, 'our offer');
    const [ours] = signals(signal.sent);
    assert.equal(ours?.to, 'holder');
    assert.equal(ours?.sdp.type, 'offer');
    pool.onSignal({ type: 'signal', from: 'holder', connId: ours!.connId, sdp: { type: 'answer', sdp: 'theirs' } });
    assert.deepEqual(peer.signals, [{ type: 'answer', sdp: 'theirs' }]);
    peer.open();
    assert.equal((await opening)?.peerId, 'holder');
  });

  it('requests that discover the same peer at once share one connection', async () => {
    const { pool, peers } = testPool();
    const first = pool.connectTo([{ peerId: 'holder', offer: { connId: 'c1', sdp: OFFER } }], H);
    const second = pool.connectTo([{ peerId: 'holder', offer: { connId: 'c2', sdp: OFFER } }], H2);
    assert.equal(peers.made.length, 1);
    peers.last().open();
    const [a, b] = await Promise.all([first, second]);
    assert.ok(a && a === b);
    assert.deepEqual([...a.haves].sort(), [H, H2]);
  });

  it('an open link is returned at once, now known to hold the hash', async () => {
    const t = testPool();
    const { link } = await connectHolder(t.pool, t.peers, 'holder');
    const made = t.peers.made.length;
    assert.equal(await t.pool.connectTo([{ peerId: 'holder', offer: { connId: 'c9', sdp: OFFER } }], H), link);
    assert.equal(t.peers.made.length, made);
    assert.deepEqual(t.pool.holders(H), [link]);
  });

  it('introductions in `joined` are connected to at once', async () => {
    const { pool, peers, signal } = testPool();
    pool.onSignal({ type: 'joined', peerId: 'me', swarmSize: 3, peers: [{ peerId: 'intro', offer: { connId: 'c1', sdp: OFFER } }] });
    assert.equal(peers.made.length, 1);
    await until(() => signals(signal.sent).some((m) => m.to === 'intro'), 'the answer to the introduction');
  });

  it('an offer relayed from a peer we have no link to is answered', async () => {
    const { pool, peers, signal } = testPool();
    pool.onSignal({ type: 'signal', from: 'stranger', connId: 'k1', sdp: OFFER });
    await until(() => signals(signal.sent).length === 1, 'the answer');
    assert.equal(signals(signal.sent)[0]?.to, 'stranger');
    assert.equal(peers.last().initiator, false);
  });
});

describe('PeerPool: limits and bans', () => {
  it('a banned peer: its link closes, it is never connected to again, its offers are ignored', async () => {
    const t = testPool();
    const { link } = await connectHolder(t.pool, t.peers, 'liar', new Map([[H, []]]));
    const before = t.changes();
    t.pool.ban('liar');
    assert.equal(link.isOpen, false);
    assert.deepEqual([...t.pool.banned], ['liar']);
    assert.deepEqual(t.pool.holders(H), []);
    assert.ok(t.changes() > before);
    const made = t.peers.made.length;
    assert.equal(await t.pool.connectTo([{ peerId: 'liar', offer: { connId: 'c2', sdp: OFFER } }], H), null);
    t.pool.onSignal({ type: 'signal', from: 'liar', connId: 'c3', sdp: OFFER });
    assert.equal(t.peers.made.length, made);
  });

  it(`at ${MAX_CONNECTIONS} links the least recently used idle one is closed for a new holder; a relayed offer is refused`, async () => {
    const t = testPool();
    const holders = [];
    for (let i = 0; i < MAX_CONNECTIONS; i++) holders.push(await connectHolder(t.pool, t.peers, `holder${i}`));
    for (const [i, h] of holders.entries()) h.link.lastUsed = 1_000 + i;
    holders[3]!.link.lastUsed = 1;
    // Answers only: a link closing also parks offers again (initiators), see "parked offers after expiry".
    const answers = (): number => t.peers.made.filter((p) => !p.initiator).length;
    const made = answers();
    t.pool.onSignal({ type: 'signal', from: 'stranger', connId: 'k1', sdp: OFFER });
    assert.equal(answers(), made, 'no room for a stranger');

    void t.pool.connectTo([{ peerId: 'needed', offer: { connId: 'c1', sdp: OFFER } }], H);
    assert.equal(holders[3]!.link.isOpen, false, 'the least recently used link made room');
    assert.equal(holders.filter((h) => h.link.isOpen).length, MAX_CONNECTIONS - 1);
    assert.equal(answers(), made + 1);
  });

  it('a link the other side closes leaves the pool', async () => {
    const t = testPool();
    const { far } = await connectHolder(t.pool, t.peers, 'holder');
    far.close();
    await until(() => t.pool.links.size === 0, 'the link to leave');
    await tick();
  });
});
