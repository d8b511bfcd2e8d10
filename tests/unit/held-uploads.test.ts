/**
 * A hostile peer against the uploads held for pieces this tab is still fetching (issue 13,
 * page-bridge/fetching-now.ts and PeerLink's upload queue): what it makes the tab keep must not
 * grow with how many messages it sends.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FetchingNow, holdingReader } from '../../page-bridge/fetching-now.ts';
import { PeerLink } from '../../page-bridge/peer-link.ts';
import { MAX_HELD_REQUESTS, MAX_REQUESTS_IN_FLIGHT_FROM_PEER, PIECE_HOLD_MS } from '../../protocol/limits.ts';
import { encodeControl } from '../../protocol/peer-wire.ts';
import { countingHooks, FakePeer } from './support/bridge-fakes.ts';
import { FakeClock, settleTasks } from './support/fake-clock.ts';

const H = 'b'.repeat(64);

/** A hostile peer's link to a tab fetching H, whose upload reads (page-bridge/swarm.ts's) hold over a store that has nothing yet. */
function heldLink(): { clock: FakeClock; fetching: FetchingNow; peer: FakePeer; hooks: ReturnType<typeof countingHooks>; link: PeerLink } {
  const clock = new FakeClock();
  const fetching = new FetchingNow(clock);
  fetching.begin(H);
  const peer = new FakePeer(false, 'evil');
  const hooks = countingHooks();
  hooks.readPiece = holdingReader(fetching, async () => null);
  return { clock, fetching, peer, hooks, link: new PeerLink('evil-peer', peer, hooks) };
}

describe('held uploads against a hostile peer', () => {
  it('a request the peer cancels lets go of its hold: req + cancel churn does not pile up held requests', async () => {
    const { fetching, peer, link } = heldLink();
    for (let id = 1; id <= 2_000; id++) {
      peer.receive(encodeControl({ t: 'req', id, hash: H, piece: id }));
      peer.receive(encodeControl({ t: 'cancel', id }));
    }
    await settleTasks(5);
    assert.ok(link.isOpen);
    assert.ok(
      fetching.held <= MAX_REQUESTS_IN_FLIGHT_FROM_PEER + 1,
      `${fetching.held} requests held for a peer that may queue ${MAX_REQUESTS_IN_FLIGHT_FROM_PEER + 1}`,
    );
  });

  it('each queue change does not hang new callbacks on every held read: req + cancel churn keeps nothing per message', async () => {
    /** Counts the callbacks attached to the held reads (and to what derives from them). */
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
    const peer = new FakePeer(false, 'evil');
    const hooks = countingHooks();
    const held = MAX_REQUESTS_IN_FLIGHT_FROM_PEER - 1;
    // Pieces 0..held-1: held reads (never settle here); the others: a plain read still running.
    hooks.readPiece = (_hash, index) => (index < held ? new Counted<Uint8Array | null>(() => undefined) : new Promise(() => undefined));
    const link = new PeerLink('evil-peer', peer, hooks);
    for (let id = 1; id <= held; id++) peer.receive(encodeControl({ t: 'req', id, hash: H, piece: id - 1 }));
    await settleTasks(2);
    const settledQueue = thens;
    const churn = 300;
    for (let id = 1_000; id < 1_000 + churn; id++) {
      // One data-channel message per task, as a real channel delivers them.
      peer.receive(encodeControl({ t: 'req', id, hash: H, piece: id }));
      await settleTasks(1);
      peer.receive(encodeControl({ t: 'cancel', id }));
      await settleTasks(1);
    }
    assert.ok(link.isOpen);
    const perMessage = (thens - settledQueue) / (2 * churn);
    assert.ok(perMessage < 1, `${perMessage.toFixed(1)} callbacks attached to held reads per message (${thens - settledQueue} in all)`);
  });

  it(`a request held is let go when its link closes; at most ${MAX_HELD_REQUESTS} are held in all`, async () => {
    const { clock, fetching, peer, link } = heldLink();
    for (let id = 1; id <= 5; id++) peer.receive(encodeControl({ t: 'req', id, hash: H, piece: id }));
    await settleTasks(2);
    assert.equal(fetching.held, 5);
    link.close();
    assert.equal(fetching.held, 0);
    const waits = Array.from({ length: MAX_HELD_REQUESTS + 3 }, (_, i) => fetching.waitFor(H, i, PIECE_HOLD_MS));
    assert.equal(fetching.held, MAX_HELD_REQUESTS);
    clock.advance(PIECE_HOLD_MS);
    assert.equal((await Promise.all(waits)).filter((landed) => landed).length, 0);
  });
});
