/**
 * What the bridge does with the worker's `stored` and `lost` (page-bridge/local-have.ts), and
 * the peer wire's `lost` on a link (page-bridge/peer-link.ts, over a fake simple-peer).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type HaveLink, LocalHave } from '../../page-bridge/local-have.ts';
import { PeerLink } from '../../page-bridge/peer-link.ts';
import { MAX_HAVE_PER_MESSAGE } from '../../protocol/limits.ts';
import { encodeControl } from '../../protocol/peer-wire.ts';
import { countingHooks, FakePeer } from './support/bridge-fakes.ts';

const H1 = '1'.repeat(64);
const H2 = '2'.repeat(64);
const H3 = '3'.repeat(64);

function localHave(uploading: boolean): { have: LocalHave; said: string[] } {
  const said: string[] = [];
  const link: HaveLink = {
    sendHave: (h) => void said.push(`link have ${h.join(',')}`),
    sendLost: (h) => void said.push(`link lost ${h.join(',')}`),
  };
  const signal = { announce: (type: 'have' | 'lost', h: string[]): void => void said.push(`signal ${type} ${h.join(',')}`) };
  return { have: new LocalHave({ uploading, signal: () => signal, links: () => [link] }), said };
}

describe('LocalHave', () => {
  it('announces a stored asset once to the server, and to the links only once this page used it', () => {
    const { have, said } = localHave(true);
    have.addListed([H1]);
    have.stored(H1); // listed at join already
    have.stored(H2);
    have.stored(H2);
    assert.deepEqual(said, [`signal have ${H2}`]);
    have.used(H2);
    have.used(H2);
    have.used(H3); // used but not held: nothing to say yet
    assert.deepEqual(said.slice(1), [`link have ${H2}`]);
    have.stored(H3);
    assert.deepEqual(said.slice(2), [`signal have ${H3}`, `link have ${H3}`]);
    assert.deepEqual(have.list(), [H1, H2, H3]);
  });

  it("a new link is told only the held assets of this page, never the rest of the store's history", () => {
    const { have } = localHave(true);
    have.addListed([H1, H2]); // both from earlier visits
    assert.deepEqual(have.forLink(), []);
    have.used(H2);
    have.used(H3);
    assert.deepEqual(have.forLink(), [H2]);
    assert.deepEqual(have.list(), [H1, H2], 'the server still gets every held asset');
  });

  it('takes back only what it announced, from the links only what they were told, and announces it again once stored again', () => {
    const { have, said } = localHave(true);
    have.addListed([H1, H2]);
    have.used(H2);
    said.length = 0;
    have.lost([H2, H3]);
    assert.deepEqual(said, [`signal lost ${H2}`, `link lost ${H2}`]);
    assert.deepEqual(have.list(), [H1]);
    have.lost([H3]);
    assert.equal(said.length, 2);
    have.lost([H1]); // never told a link
    assert.deepEqual(said.slice(2), [`signal lost ${H1}`]);
    have.stored(H2);
    assert.deepEqual(said.slice(3), [`signal have ${H2}`, `link have ${H2}`]);
  });

  it('sync (on each `welcome`): what the store holds that no `stored` told this page is announced, once; nothing is taken back', () => {
    // A first visit: the page joined with an empty listing, then the worker installed and stored
    // assets while it did not control the page, so their `stored` never reached it.
    const { have, said } = localHave(true);
    have.addListed([H1]);
    have.used(H2);
    have.sync([H1, H2]);
    assert.deepEqual(said, [`signal have ${H2}`, `link have ${H2}`]);
    have.sync([H2, H3]);
    assert.deepEqual(said.slice(2), [`signal have ${H3}`], 'H1 missing from a read is not a `lost`');
    assert.deepEqual(have.list(), [H1, H2, H3]);
    // A deploy's clean-up: the worker says H3 is lost; a listing read before it still names H3.
    have.lost([H3]);
    said.length = 0;
    have.sync([H1, H2, H3]);
    assert.deepEqual(said, [], 'a stale listing does not bring back what the worker said is lost');
    have.stored(H3);
    assert.deepEqual(said, [`signal have ${H3}`], 'stored again: announced again');
  });

  it('a rejoin listing read before a `lost` does not bring the asset back (addListed, like sync)', () => {
    // A signaling reconnect: joinState's completeAssets() began before the worker's clean-up or
    // eviction committed; the `lost` is handled while the read is pending, then the stale listing
    // lands. The join would list H2 and nothing would ever take it back.
    const { have } = localHave(true);
    have.addListed([H1, H2]);
    have.lost([H2]);
    have.addListed([H1, H2]);
    assert.deepEqual(have.list(), [H1], 'a stale join listing re-adds what the worker said is lost');
  });

  it('a visitor who does not upload announces nothing', () => {
    const { have, said } = localHave(false);
    have.addListed([H1]);
    have.used(H1);
    have.stored(H2);
    have.lost([H1]);
    assert.deepEqual(said, []);
    assert.deepEqual(have.list(), []);
    assert.deepEqual(have.forLink(), []);
  });
});

/** A link over a fake channel the test writes to (`receive`) and reads from (`sent`). */
function link(): { link: PeerLink; peer: FakePeer } {
  const peer = new FakePeer(false, 'other');
  const hooks = countingHooks();
  hooks.onViolation = (_l, reason) => assert.fail(`violation: ${reason}`);
  return { link: new PeerLink('peerAAAAAAAAAAAAAAAA', peer, hooks), peer };
}

describe('PeerLink: lost', () => {
  it('a `lost` from the other side removes those haves, so it is no longer picked as their holder', () => {
    const { link: l, peer } = link();
    peer.receive(encodeControl({ t: 'have', have: [H1, H2] }));
    peer.receive(encodeControl({ t: 'lost', have: [H1, H3] }));
    assert.deepEqual([...l.haves], [H2]);
  });

  it('sendLost sends `lost` in batches the decoder accepts', () => {
    const { link: l, peer } = link();
    const many = Array.from({ length: MAX_HAVE_PER_MESSAGE + 1 }, (_, i) => i.toString(16).padStart(64, '0'));
    l.sendLost(many);
    assert.deepEqual(
      peer.sent.map((m) => (m.t === 'lost' ? m.have.length : -1)),
      [MAX_HAVE_PER_MESSAGE, 1],
    );
  });

  it('a request for a piece no longer stored is answered `nak missing`', async () => {
    const { peer } = link(); // it stores nothing
    peer.receive(encodeControl({ t: 'req', id: 7, hash: H1, piece: 0 }));
    await new Promise((resolve) => setTimeout(resolve, 0));
    assert.deepEqual(peer.sent, [{ t: 'nak', id: 7, reason: 'missing' }]);
  });
});
