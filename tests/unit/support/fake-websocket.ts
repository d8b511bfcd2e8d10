/**
 * A WebSocket stand-in for the signaling client's tests, installed as the global `WebSocket` for
 * one test (Node 20 has none). The test plays the server: it opens each socket the client made,
 * reads what the client sent (decoded as the real server decodes it, so a frame the server would
 * refuse fails the test), sends it messages and closes it.
 */
import type { TestContext } from 'node:test';
import { type ClientMessage, decodeClientMessage, encodeMessage, type ServerMessage } from '../../../protocol/signal-messages.ts';

type Handler = ((event: { data?: unknown }) => void) | null;

export class FakeSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  /** Every socket made while installed, oldest first. */
  static made: FakeSocket[] = [];

  readyState = FakeSocket.CONNECTING;
  onopen: Handler = null;
  onmessage: Handler = null;
  onclose: Handler = null;
  onerror: Handler = null;
  readonly sent: ClientMessage[] = [];
  /** How the client closed it, when it did. */
  closedWith: { code?: number; reason?: string } | null = null;

  constructor(readonly url: string) {
    FakeSocket.made.push(this);
  }

  send(text: string): void {
    if (this.readyState !== FakeSocket.OPEN) throw new Error('send on a socket that is not open');
    const decoded = decodeClientMessage(text);
    if (!decoded.ok) throw new Error(`the server would refuse this frame: ${decoded.error}`);
    this.sent.push(decoded.value);
  }

  close(code?: number, reason?: string): void {
    if (this.readyState === FakeSocket.CLOSED) return;
    this.closedWith = { code, reason };
    this.readyState = FakeSocket.CLOSED;
    setImmediate(() => this.onclose?.({}));
  }

  // ---- the server's side

  /** The connection opens. */
  accept(): void {
    this.readyState = FakeSocket.OPEN;
    this.onopen?.({});
  }

  /** A message from the server: a ServerMessage, or any text (to send what a server should not). */
  deliver(message: ServerMessage | string): void {
    this.onmessage?.({ data: typeof message === 'string' ? message : encodeMessage(message) });
  }

  /** The server or the network closes the connection. */
  drop(): void {
    this.readyState = FakeSocket.CLOSED;
    this.onerror?.({});
    this.onclose?.({});
  }
}

/** Installs FakeSocket as the global WebSocket until test `t` ends; returns the sockets made. */
export function installFakeWebSocket(t: TestContext): FakeSocket[] {
  const global = globalThis as { WebSocket?: unknown };
  const previous = global.WebSocket;
  FakeSocket.made = [];
  global.WebSocket = FakeSocket;
  t.after(() => {
    global.WebSocket = previous;
  });
  return FakeSocket.made;
}
