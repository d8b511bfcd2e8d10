/**
 * page-bridge/torrent/rtc-gate.ts on a fake RTCPeerConnection: connections being set up are
 * counted until they connect, fail or close, and one past the cap is refused before it exists.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { gatedPeerConnection } from '../../page-bridge/torrent/rtc-gate.ts';

class FakeConnection extends EventTarget {
  static made = 0;
  connectionState: RTCPeerConnectionState = 'new';
  closed = false;
  constructor(_config?: RTCConfiguration) {
    super();
    FakeConnection.made++;
  }
  close(): void {
    this.closed = true;
  }
  /** The connection's state changes, as the browser reports it. */
  become(state: RTCPeerConnectionState): void {
    this.connectionState = state;
    this.dispatchEvent(new Event('connectionstatechange'));
  }
}

describe('gatedPeerConnection', () => {
  it('refuses a connection past the cap before one is made; a connected, failed or closed one frees its place', () => {
    const state = { pending: 0, refused: 0, made: 0 };
    const Gated = gatedPeerConnection(FakeConnection as unknown as typeof RTCPeerConnection, 2, state);
    FakeConnection.made = 0;
    const a = new Gated() as unknown as FakeConnection;
    const b = new Gated() as unknown as FakeConnection;
    assert.throws(() => new Gated(), /more than 2 WebRTC connections being set up/);
    assert.deepEqual(state, { pending: 2, refused: 1, made: 2 });
    assert.equal(FakeConnection.made, 2, 'the refused one never reached the real constructor');

    a.become('connected');
    assert.equal(state.pending, 1);
    const c = new Gated() as unknown as FakeConnection;
    b.close();
    assert.equal(b.closed, true, 'the real close still runs');
    b.close();
    c.become('failed');
    c.close();
    assert.deepEqual(state, { pending: 0, refused: 1, made: 3 }, 'each counted once');
  });
});
