/**
 * Reports for a window whose bridge has not said hello (sw/held-reports.ts): kept in order until
 * taken, once, and bounded in windows and in reports per window.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HeldReports } from '../../sw/held-reports.ts';

describe('held reports', () => {
  it('keeps each window its own reports, in order, and gives them once', () => {
    const held = new HeldReports<string>();
    held.hold('a', 'a1');
    held.hold('b', 'b1');
    held.hold('a', 'a2');
    assert.deepEqual(held.take('a'), ['a1', 'a2']);
    assert.deepEqual(held.take('a'), []);
    assert.deepEqual(held.take('b'), ['b1']);
    assert.deepEqual(held.take('never'), []);
  });

  it('drops the oldest window past maxClients, and reports past maxPerClient', () => {
    const held = new HeldReports<number>(2, 3);
    held.hold('a', 1);
    held.hold('b', 1);
    held.hold('c', 1);
    assert.deepEqual(held.take('a'), [], 'the oldest window went first');
    assert.deepEqual(held.take('c'), [1]);
    for (let i = 0; i < 5; i++) held.hold('d', i);
    assert.deepEqual(held.take('d'), [0, 1, 2]);
  });
});
