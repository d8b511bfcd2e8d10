/**
 * Socket counts on both routes (signal-worker/core/socket/admission.ts): a hub holds at most
 * maxConnections sockets and maxConnectionsPerAddress from one client address; the route asks
 * `admit` before the upgrade, and a socket that raced past it is refused on accept and closed.
 * The tracker's route had no cap at all: one client could open tracker sockets without end.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Admission } from '../../signal-worker/core/socket/admission.ts';
import { TrackerHub } from '../../signal-worker/core/tracker/tracker-hub.ts';
import { FakeClock, FakeTrackerSocket } from './signal-fakes.ts';

describe('Admission', () => {
  it('counts in all and per address, and frees a place when a socket leaves', () => {
    const a = new Admission({ maxConnections: 3, maxConnectionsPerAddress: 2 });
    a.enter('10.0.0.1');
    a.enter('10.0.0.1');
    const perAddress = a.admit('10.0.0.1');
    assert.ok(!perAddress.ok && perAddress.code === 'too-many-connections');
    assert.ok(a.admit('10.0.0.2').ok);
    assert.ok(a.admit(null).ok, 'an unknown address is held to the total only');
    a.enter(null);
    const full = a.admit('10.0.0.3');
    assert.ok(!full.ok && full.code === 'server-full');
    a.leave('10.0.0.1');
    assert.ok(a.admit('10.0.0.1').ok);
  });
});

describe('tracker connection caps', () => {
  it('one address past maxConnectionsPerAddress is refused; a socket that raced in is told and closed; others are served', () => {
    const hub = new TrackerHub({ limits: { maxConnections: 10, maxConnectionsPerAddress: 3 }, clock: new FakeClock() });
    const held = [1, 2, 3].map(() => {
      const socket = new FakeTrackerSocket();
      return { socket, connection: hub.accept(socket, { address: '10.0.0.9' }) };
    });
    const refused = hub.admit('10.0.0.9');
    assert.ok(!refused.ok && refused.code === 'too-many-connections');
    const raced = new FakeTrackerSocket();
    const racer = hub.accept(raced, { address: '10.0.0.9' });
    assert.equal(racer.isClosed, true);
    assert.match(String(raced.failures()[0]?.['failure reason']), /connections from one address/);
    assert.equal(hub.stats().connections, 3, 'the refused socket is not held');
    assert.ok(hub.admit('10.0.0.10').ok, 'another address is served');
    held[0]!.connection.socketClosed();
    assert.ok(hub.admit('10.0.0.9').ok, 'a closed socket frees its place');
  });

  it('a hub full of sockets refuses one more from anyone with server-full', () => {
    const hub = new TrackerHub({ limits: { maxConnections: 2 }, clock: new FakeClock() });
    hub.accept(new FakeTrackerSocket(), { address: '10.0.0.1' });
    hub.accept(new FakeTrackerSocket(), { address: '10.0.0.2' });
    const full = hub.admit('10.0.0.3');
    assert.ok(!full.ok && full.code === 'server-full');
  });
});
