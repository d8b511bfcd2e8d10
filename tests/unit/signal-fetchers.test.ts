/** The signaling index lists peers fetching an asset after its holders (issue 13: visitors arriving together). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MAX_FETCHING_PER_PEER, MAX_PEERS_PER_WANT } from '../../protocol/limits.ts';
import { fail } from '../../protocol/result.ts';
import { decodeClientMessage } from '../../protocol/signal-messages.ts';
import { DEFAULT_SIGNAL_LIMITS } from '../../signal-worker/core/signal/signal-limits.ts';
import { type PeerSink, SwarmIndex, type SwarmPeer } from '../../signal-worker/core/signal/swarm-index.ts';

const sink = (): PeerSink => ({ deliver: () => true, lastHeardAt: () => 0, evict: () => void fail('x', 'evicted') });
const H = (n: number): string => n.toString(16).padStart(64, '0');
const id = (n: number): string => `peer-${String(n).padStart(12, '0')}`;

function joinAll(index: SwarmIndex, n: number): SwarmPeer[] {
  return Array.from({ length: n }, (_, i) => {
    const r = index.join('s', id(i), sink(), [], []);
    assert.ok(r.ok);
    return r.value.peer;
  });
}

describe('signaling: fetchers', () => {
  test('a want with fetching registers the asker; the next asker is given it', () => {
    const index = new SwarmIndex(DEFAULT_SIGNAL_LIMITS);
    const [a, b, c] = joinAll(index, 3) as [SwarmPeer, SwarmPeer, SwarmPeer];
    assert.deepEqual(index.want(a, H(1), [], 0, true), [], 'the first finds nobody: it takes the origin');
    assert.deepEqual(
      index.want(b, H(1), [], 0, true).map((p) => p.peerId),
      [a.peerId],
    );
    const third = index.want(c, H(1), [], 0, false).map((p) => p.peerId);
    assert.deepEqual(third.sort(), [a.peerId, b.peerId].sort());
    assert.equal(c.fetching.size, 0, 'without fetching nothing is registered');
  });

  test('fetchersOf counts the peers fetching an asset before the asker (its rank)', () => {
    const index = new SwarmIndex(DEFAULT_SIGNAL_LIMITS);
    const [a, b, c] = joinAll(index, 3) as [SwarmPeer, SwarmPeer, SwarmPeer];
    assert.equal(index.fetchersOf(a, H(9)), 0);
    index.want(a, H(9), [], 0, true);
    assert.equal(index.fetchersOf(b, H(9)), 1);
    index.want(b, H(9), [], 0, true);
    assert.equal(index.fetchersOf(c, H(9)), 2);
    assert.equal(index.fetchersOf(a, H(9)), 1, 'itself not counted');
  });

  test('holders come first; fetchers fill the rest of the answer', () => {
    const index = new SwarmIndex(DEFAULT_SIGNAL_LIMITS);
    const peers = joinAll(index, MAX_PEERS_PER_WANT + 3);
    const [asker, holder, ...rest] = peers as [SwarmPeer, SwarmPeer, ...SwarmPeer[]];
    assert.ok(index.addHaves(holder, [H(2)]).ok);
    for (const p of rest) index.want(p, H(2), [], 0, true);
    const got = index.want(asker, H(2), [], 0).map((p) => p.peerId);
    assert.equal(got.length, MAX_PEERS_PER_WANT);
    assert.equal(got[0], holder.peerId);
  });

  test("a fetcher's have of the asset, or its leaving, ends its registration", () => {
    const index = new SwarmIndex(DEFAULT_SIGNAL_LIMITS);
    const [a, b, c] = joinAll(index, 3) as [SwarmPeer, SwarmPeer, SwarmPeer];
    index.want(a, H(3), [], 0, true);
    index.want(b, H(4), [], 0, true);
    assert.ok(index.addHaves(a, [H(3)]).ok);
    assert.equal(a.fetching.size, 0);
    assert.deepEqual(
      index.want(c, H(3), [], 0).map((p) => p.peerId),
      [a.peerId],
      'listed once, as a holder',
    );
    index.leave(b);
    assert.deepEqual(index.want(c, H(4), [], 0), []);
  });

  test(`at most ${MAX_FETCHING_PER_PEER} registrations per peer, the oldest dropped`, () => {
    const index = new SwarmIndex(DEFAULT_SIGNAL_LIMITS);
    const [a, b] = joinAll(index, 2) as [SwarmPeer, SwarmPeer];
    for (let i = 0; i < MAX_FETCHING_PER_PEER + 10; i++) index.want(a, H(100 + i), [], 0, true);
    assert.equal(a.fetching.size, MAX_FETCHING_PER_PEER);
    assert.deepEqual(index.want(b, H(100), [], 0), [], 'the oldest was dropped');
    assert.equal(index.want(b, H(100 + MAX_FETCHING_PER_PEER + 9), [], 0).length, 1);
    assert.equal(a.holdsNothing, false, 'a fetcher is not an idle member a full swarm evicts');
  });

  test('the wire: fetching is a boolean, absent means false', () => {
    const want = (extra: string): ReturnType<typeof decodeClientMessage> =>
      decodeClientMessage(`{"type":"want","hash":"${H(1)}","exclude":[]${extra}}`);
    const on = want(',"fetching":true');
    assert.ok(on.ok && on.value.type === 'want' && on.value.fetching === true);
    const off = want('');
    assert.ok(off.ok && off.value.type === 'want' && off.value.fetching === undefined);
    assert.equal(want(',"fetching":1').ok, false);
  });
});
