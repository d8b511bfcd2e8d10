/**
 * The fakes the signaling server's core is tested with, for both protocols (signal-core,
 * signal-restore and tracker-core tests): a clock whose timers fire only when told, sockets that
 * record what the core sent and how it closed them, and small builders of valid ids.
 */
import { mock } from 'node:test';
import type { ParkedOffer, ServerMessage } from '../../protocol/signal-messages.ts';
import type { ClientSocket } from '../../signal-worker/core/socket/client-socket.ts';

export { seededRandom } from '../../bench/lib/sites/seeded-random.ts';
export { hash, peerId } from '../compliance/support/signal-client.ts';
export { FakeClock } from './support/fake-clock.ts';

/** A socket that keeps every message the core sent it (parsed) and the close it got. */
export class FakeSocket<M extends object = Record<string, unknown>> implements ClientSocket {
  readonly sent: M[] = [];
  closedWith: { code: number; reason: string } | null = null;
  /** Makes `send` throw, as a socket that died under the core does. */
  failSends = false;
  /** What `lastHeardAt` reports: a ping the runtime answered without the core (Cloudflare). */
  heardAt: number | null = null;
  /** What `bufferedAmount` reports, in bytes: set it high for a client that stopped reading. */
  buffered = 0;

  send(text: string): void {
    if (this.failSends) throw new Error('socket is gone');
    this.sent.push(JSON.parse(text) as M);
  }

  close(code: number, reason: string): void {
    this.closedWith = { code, reason };
  }

  lastHeardAt(): number | null {
    return this.heardAt;
  }

  bufferedAmount(): number {
    return this.buffered;
  }

  last(): M | undefined {
    return this.sent[this.sent.length - 1];
  }

  /** Methods, so an earlier `closedWith === null` assertion does not narrow later reads. */
  closeCode(): number | undefined {
    return this.closedWith?.code;
  }

  closeReason(): string | null {
    return this.closedWith?.reason ?? null;
  }
}

/** A signaling client's socket. */
export class FakeSignalSocket extends FakeSocket<ServerMessage> {
  ofType<T extends ServerMessage['type']>(type: T): Array<Extract<ServerMessage, { type: T }>> {
    return this.sent.filter((m): m is Extract<ServerMessage, { type: T }> => m.type === type);
  }
}

/** A tracker client's socket. */
export class FakeTrackerSocket extends FakeSocket {
  offers(): Array<Record<string, unknown>> {
    return this.sent.filter((m) => m.offer !== undefined);
  }

  answers(): Array<Record<string, unknown>> {
    return this.sent.filter((m) => m.answer !== undefined);
  }

  failures(): Array<Record<string, unknown>> {
    return this.sent.filter((m) => m['failure reason'] !== undefined);
  }
}

/** A parked offer with a valid connId, made from a short name. */
export const offer = (name: string): ParkedOffer => ({
  connId: `conn-${name}`.padEnd(8, '0'),
  sdp: { type: 'offer', sdp: `v=0 offer ${name}` },
});

/** A 20-char tracker binary id from a short label, with bytes above 0x7f so JSON round trips are exercised. */
export const binaryIdOf = (label: string): string => (label + '\u00ff\u0080\u0001'.repeat(7)).slice(0, 20);

/** A random source that throws: stands for any bug of ours met while handling a frame. */
export function buggyRandom(): number {
  throw new Error('a bug');
}

/** Runs `run` with console.error silenced, and returns how many times it was called. */
export function consoleErrorsDuring(run: () => void): number {
  const logged = mock.method(console, 'error', () => undefined);
  try {
    run();
    return logged.mock.callCount();
  } finally {
    logged.mock.restore();
  }
}
