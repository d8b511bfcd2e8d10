/**
 * The gather's deadline (sw/deadline.ts) on a fake clock: it expires on time on a device that runs
 * on time, counts only time the device could run when its timer fires late, lets replies already
 * queued run before it expires, and never fires for an older arm.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Deadline } from '../../sw/deadline.ts';
import { FakeClock } from './support/fake-clock.ts';

function deadline(): { clock: FakeClock; d: Deadline; expired: () => number } {
  const clock = new FakeClock(0);
  let n = 0;
  const d = new Deadline(clock, () => n++);
  return { clock, d, expired: () => n };
}

describe('Deadline', () => {
  it('expires once, when its time has passed', async () => {
    const { clock, d, expired } = deadline();
    d.arm(100);
    await clock.advanceSettled(99);
    assert.equal(expired(), 0);
    await clock.advanceSettled(1);
    assert.equal(expired(), 1);
    await clock.advanceSettled(1_000);
    assert.equal(expired(), 1, 'once');
  });

  it('a re-arm (progress) moves it; a clear stops it', async () => {
    const { clock, d, expired } = deadline();
    d.arm(100);
    await clock.advanceSettled(90);
    d.arm(100);
    await clock.advanceSettled(99);
    assert.equal(expired(), 0, 're-armed at 90: due at 190');
    d.clear();
    await clock.advanceSettled(500);
    assert.equal(expired(), 0);
  });

  it('a timer that fires late (the device was held up) is extended by the time lost, once', async () => {
    const { clock, d, expired } = deadline();
    d.arm(100);
    clock.stall(300); // the event loop ran nothing for 300 ms: the timer is 200 ms late
    await clock.advanceSettled(0);
    assert.equal(expired(), 0, 'extended instead of expiring');
    await clock.advanceSettled(99);
    assert.equal(expired(), 0, 'by at most its own length');
    await clock.advanceSettled(1);
    assert.equal(expired(), 1);
    d.arm(100);
    clock.stall(300);
    await clock.advanceSettled(0);
    assert.equal(expired(), 1, 'a new arm may be extended again');
    clock.stall(300);
    await clock.advanceSettled(0);
    assert.equal(expired(), 2, 'but each arm only once');
  });

  it('a little late is on time (no extension below half its length)', async () => {
    const { clock, d, expired } = deadline();
    d.arm(100);
    clock.stall(140);
    await clock.advanceSettled(0);
    assert.equal(expired(), 1);
  });

  it('a piece queued behind the expiring timer re-arms it before it expires', async () => {
    const { clock, d, expired } = deadline();
    d.arm(100);
    // The piece's reply and the deadline land in the same turn; the reply runs first.
    clock.setTimeout(() => d.arm(100), 100);
    await clock.advanceSettled(100);
    assert.equal(expired(), 0);
    await clock.advanceSettled(100);
    assert.equal(expired(), 1);
  });
});
