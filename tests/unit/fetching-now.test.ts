/**
 * page-bridge/fetching-now.ts: a peer's request for a piece this tab is fetching itself waits
 * for the worker to store it (issue 13), and only then.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FetchingNow } from '../../page-bridge/fetching-now.ts';
import { FETCHING_MEMORY_MS, MAX_FETCHING_ASSETS, PIECE_HOLD_MS } from '../../protocol/limits.ts';
import { FakeClock, settleTasks } from './support/fake-clock.ts';

const H = (n: number): string => n.toString(16).padStart(64, '0');

/** Whether `p` has settled, and with what, after queued callbacks ran. */
async function state<T>(p: Promise<T>): Promise<{ settled: boolean; value?: T }> {
  let out: { settled: boolean; value?: T } = { settled: false };
  void p.then((value) => (out = { settled: true, value }));
  await settleTasks(2);
  return out;
}

describe('FetchingNow', () => {
  it('a request held for a piece being fetched is released when the worker stores that piece, not another', async () => {
    const clock = new FakeClock();
    const fetching = new FetchingNow(clock);
    fetching.begin(H(1));
    const held = fetching.waitFor(H(1), 3, PIECE_HOLD_MS);
    fetching.pieceStored(H(1), 2);
    fetching.pieceStored(H(2), 3);
    assert.deepEqual(await state(held), { settled: false });
    assert.equal(fetching.held, 1);
    fetching.pieceStored(H(1), 3);
    assert.deepEqual(await state(held), { settled: true, value: true });
    assert.equal(fetching.held, 0);
  });

  it('an asset not being fetched here is refused at once; a held request is refused once the hold runs out', async () => {
    const clock = new FakeClock();
    const fetching = new FetchingNow(clock);
    assert.equal(await fetching.waitFor(H(1), 0, PIECE_HOLD_MS), false);
    fetching.begin(H(1));
    const held = fetching.waitFor(H(1), 0, PIECE_HOLD_MS);
    clock.advance(PIECE_HOLD_MS - 1);
    assert.deepEqual(await state(held), { settled: false });
    clock.advance(1);
    assert.deepEqual(await state(held), { settled: true, value: false });
  });

  it('the whole asset stored releases every request held for it, and it is no longer fetched', async () => {
    const clock = new FakeClock();
    const fetching = new FetchingNow(clock);
    fetching.begin(H(1));
    const a = fetching.waitFor(H(1), 0, PIECE_HOLD_MS);
    const b = fetching.waitFor(H(1), 5, PIECE_HOLD_MS);
    fetching.complete(H(1));
    assert.deepEqual([await a, await b], [true, true]);
    assert.equal(fetching.isFetching(H(1)), false);
  });

  it(`an asset counts as fetched for ${FETCHING_MEMORY_MS} ms after the last ask or stored piece`, () => {
    const clock = new FakeClock();
    const fetching = new FetchingNow(clock);
    fetching.begin(H(1));
    clock.advance(FETCHING_MEMORY_MS - 1);
    fetching.pieceStored(H(1), 0);
    clock.advance(FETCHING_MEMORY_MS - 1);
    assert.equal(fetching.isFetching(H(1)), true, 'a stored piece renews it');
    clock.advance(1);
    assert.equal(fetching.isFetching(H(1)), false);
  });

  it(`at most ${MAX_FETCHING_ASSETS} assets: the oldest is dropped and what was held for it refused; clear() refuses all`, async () => {
    const clock = new FakeClock();
    const fetching = new FetchingNow(clock);
    fetching.begin(H(0));
    const oldest = fetching.waitFor(H(0), 0, PIECE_HOLD_MS);
    for (let i = 1; i <= MAX_FETCHING_ASSETS; i++) fetching.begin(H(i));
    assert.equal(await oldest, false);
    assert.equal(fetching.isFetching(H(0)), false);
    assert.equal(fetching.isFetching(H(MAX_FETCHING_ASSETS)), true);
    const last = fetching.waitFor(H(MAX_FETCHING_ASSETS), 1, PIECE_HOLD_MS);
    fetching.clear();
    assert.equal(await last, false);
    assert.equal(fetching.isFetching(H(1)), false);
  });
});
