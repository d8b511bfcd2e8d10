/**
 * The Durable Object's Clock (signal-worker/adapter/cloudflare/alarm-clock.ts) with a fake alarm
 * store and a hand-moved time: timers never run before their time, the alarm always follows the
 * earliest pending timer, and an alarm that comes late (or not at all) does not keep a due timer
 * from running at the object's next event.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AlarmClock } from '../../signal-worker/adapter/cloudflare/alarm-clock.ts';

class FakeAlarmStore {
  /** Every setAlarm call, in order; the last is the alarm storage holds. */
  readonly set: number[] = [];
  setAlarm(at: number | Date): Promise<void> {
    this.set.push(Number(at));
    return Promise.resolve();
  }
  get current(): number | undefined {
    return this.set.at(-1);
  }
}

function setup(): { clock: AlarmClock; store: FakeAlarmStore; time: { now: number } } {
  const time = { now: 1_000_000 };
  const store = new FakeAlarmStore();
  return { clock: new AlarmClock(store, () => time.now), store, time };
}

describe('AlarmClock', () => {
  it('arms the alarm at the earliest timer and never runs a timer before its time', () => {
    const { clock, store, time } = setup();
    const ran: string[] = [];
    clock.setTimeout(() => ran.push('late'), 4_000);
    clock.setTimeout(() => ran.push('early'), 1_000);
    assert.equal(store.current, time.now + 1_000);
    // The alarm fires 10 ms before the later timer is due: that one must wait for its own alarm.
    time.now += 3_990;
    clock.fire();
    assert.deepEqual(ran, ['early']);
    assert.equal(store.current, 1_004_000);
    time.now += 10;
    clock.fire();
    assert.deepEqual(ran, ['early', 'late']);
  });

  it('a timer re-arming for the rest of its wait is scheduled once, after the handler, not spun', () => {
    const { clock, store, time } = setup();
    let calls = 0;
    const deadline = time.now + 4_000;
    const idle = (): void => {
      calls++;
      if (time.now < deadline) clock.setTimeout(idle, deadline - time.now);
    };
    clock.setTimeout(idle, 3_000);
    time.now += 3_000;
    const before = store.set.length;
    clock.fire();
    assert.equal(calls, 1);
    assert.equal(store.set.length, before + 1, 'one setAlarm for the re-armed timer');
    assert.equal(store.current, deadline);
    time.now = deadline;
    clock.fire();
    assert.equal(calls, 2);
    assert.equal(clock.size, 0);
  });

  it('a timer whose alarm is late runs at the next event (runDue), and the alarm is set again', () => {
    const { clock, store, time } = setup();
    let closed = 0;
    clock.setTimeout(() => closed++, 1_000);
    clock.setTimeout(() => {}, 60_000);
    time.now += 5_000; // the alarm for +1 s never came
    assert.equal(clock.runDue(), 1);
    assert.equal(closed, 1);
    assert.equal(store.current, 1_060_000);
    assert.equal(clock.runDue(), 0, 'nothing else is due');
  });

  it('a setTimeout while the armed alarm is overdue sets the alarm again instead of trusting it', () => {
    const { clock, store, time } = setup();
    clock.setTimeout(() => {}, 1_000);
    time.now += 2_000; // armed for 1_001_000, now overdue
    const before = store.set.length;
    clock.setTimeout(() => {}, 500);
    assert.equal(store.set.length, before + 1);
    assert.equal(store.current, 1_001_000, 'the earliest pending timer, already due: the alarm fires at once');
  });

  it('clearTimeout drops the timer; an alarm that finds nothing due sets nothing', () => {
    const { clock, store, time } = setup();
    const handle = clock.setTimeout(() => assert.fail('cleared'), 1_000);
    clock.clearTimeout(handle);
    time.now += 1_000;
    const before = store.set.length;
    clock.fire();
    assert.equal(store.set.length, before);
    assert.equal(clock.size, 0);
  });
});

describe('AlarmClock on every frame', () => {
  it('an early alarm with nothing due still leaves the alarm set for the next timer', () => {
    const store = {
      set: [] as number[],
      setAlarm(at: number | Date) {
        this.set.push(Number(at));
        return Promise.resolve();
      },
    };
    const time = { now: 1_000_000 };
    const clock = new AlarmClock(store, () => time.now);
    let ran = 0;
    clock.setTimeout(() => ran++, 1_000);
    time.now += 500; // the alarm came early (or a frame runs runDue): nothing is due
    assert.equal(clock.runDue(), 0);
    clock.fire();
    assert.equal(ran, 0);
    assert.equal(store.set.at(-1), 1_001_000, 'the alarm is set again for the pending timer');
    time.now += 500;
    assert.equal(clock.runDue(), 1);
    assert.equal(ran, 1);
  });
});
