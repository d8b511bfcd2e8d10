/**
 * A signaling client for the compliance cases (and the Node adapter's unit tests): real
 * WebSocket (ws), decoded server messages queued for awaiting in order, and the close with its
 * code and reason.
 */
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { type ClientMessage, decodeServerMessage, type ServerMessage, type SignalErrorCode } from '../../../protocol/signal-messages.ts';
import type { RuntimeServer } from '../../runtimes/types.ts';
import { clientOptions } from './client-options.ts';
import { GOOD_ORIGIN } from './config.ts';
import { Inbox } from './inbox.ts';
import { WAIT_MS, withTimeout } from './wait.ts';

export interface Closed {
  code: number;
  reason: string;
}

type JoinMessage = Extract<ClientMessage, { type: 'join' }>;

/** A valid peer id (16+ URL-safe characters) made from a short name. */
export const peerId = (name: string): string => `peer-${name}`.padEnd(16, '0');
/** A valid asset hash (64 hex digits). */
export const hash = (n: number): string => n.toString(16).padStart(64, '0');

export class SignalClient {
  private readonly inbox = new Inbox<ServerMessage>();
  readonly closed: Promise<Closed>;

  private constructor(
    readonly ws: WebSocket,
    readonly swarm: string,
  ) {
    ws.on('message', (data: WebSocket.RawData, isBinary: boolean) => {
      const decoded = decodeServerMessage(isBinary ? '<binary>' : String(data));
      this.inbox.push(
        decoded.ok ? decoded.value : { type: 'error', code: 'internal', message: `undecodable from server: ${String(data).slice(0, 200)}` },
      );
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /**
   * Opens a socket for `swarm`. The swarm also goes in the URL: a sharded runtime (workerd) routes
   * the socket by it before any message is read; the others ignore the query.
   */
  static open(server: RuntimeServer, swarm: string, origin: string = GOOD_ORIGIN, localAddress?: string): Promise<SignalClient> {
    return SignalClient.connect(server.url, swarm, origin, server.runtime, localAddress);
  }

  /**
   * A socket to the signaling route at `url` for `swarm`, with no Origin unless one is given;
   * `localAddress` (a 127.x.y.z address: all of 127/8 is loopback) makes it another client address.
   */
  static connect(url: string, swarm: string, origin?: string, target = url, localAddress?: string): Promise<SignalClient> {
    const ws = new WebSocket(`${url}?swarm=${encodeURIComponent(swarm)}`, clientOptions(origin, localAddress));
    return withTimeout(
      new Promise((resolve, reject) => {
        ws.once('open', () => resolve(new SignalClient(ws, swarm)));
        ws.once('error', reject);
      }),
      `a signaling socket to ${target}`,
    );
  }

  send(message: ClientMessage): void {
    this.ws.send(JSON.stringify(message));
  }

  /** Anything at all, for malformed input. */
  sendRaw(data: string | Uint8Array): void {
    this.ws.send(data);
  }

  /** The next message, which must be of `type`. */
  async next<T extends ServerMessage['type']>(type: T, ms = WAIT_MS): Promise<Extract<ServerMessage, { type: T }>> {
    const message = await this.inbox.next(`${type} message`, ms);
    assert.equal(message.type, type, `expected ${type}, got ${JSON.stringify(message)}`);
    return message as Extract<ServerMessage, { type: T }>;
  }

  async join(name: string, extra: Partial<JoinMessage> = {}): Promise<Extract<ServerMessage, { type: 'joined' }>> {
    this.send({ type: 'join', swarm: this.swarm, peerId: peerId(name), have: [], offers: [], introduce: 0, ...extra });
    return this.next('joined');
  }

  /**
   * Proves the server still serves this socket: a `want` is answered by the core itself, where
   * a `ping` may be answered by the runtime alone (Cloudflare's WebSocket auto-response).
   */
  async assertServed(): Promise<void> {
    const asked = hash(0xdead);
    this.send({ type: 'want', hash: asked, exclude: [] });
    assert.equal((await this.next('peers')).hash, asked);
  }

  /** The server refuses: one `error` with `code`, then a 1008 close naming it. */
  async assertRefused(code: SignalErrorCode, ms = WAIT_MS): Promise<void> {
    const error = await this.next('error', ms);
    assert.equal(error.code, code, `error ${JSON.stringify(error)}`);
    assert.deepEqual(await withTimeout(this.closed, `the close after ${code}`, ms), { code: 1008, reason: code });
  }

  /**
   * The error, then the server's close frame (1008 and the code as reason), without waiting for
   * the TCP connection to end: see NEVER_SPOKEN_SOCKET_CLOSES_TCP in cases/limits.ts.
   */
  async assertRefusedByFrame(code: SignalErrorCode, ms = WAIT_MS): Promise<void> {
    const error = await this.next('error', ms);
    assert.equal(error.code, code, `error ${JSON.stringify(error)}`);
    assert.deepEqual(await closeFrameOf(this.ws, ms), { code: 1008, reason: code });
  }

  async close(): Promise<void> {
    this.ws.close();
    await withTimeout(this.closed, 'our own close');
  }
}

/**
 * The close frame the peer sent, read as ws 8 records it on receipt (`_closeFrameReceived`,
 * `_closeCode`, `_closeMessage`: private fields, no event), before the TCP connection ends.
 */
export async function closeFrameOf(ws: WebSocket, ms: number): Promise<{ code: number; reason: string }> {
  type Received = { _closeFrameReceived?: boolean; _closeCode?: number; _closeMessage?: Buffer };
  const r = ws as unknown as Received;
  const until = Date.now() + ms;
  while (!r._closeFrameReceived) {
    if (Date.now() > until) throw new Error(`no close frame within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return { code: r._closeCode ?? 0, reason: r._closeMessage?.toString() ?? '' };
}

/** The HTTP status and body of a refused upgrade; rejects if the upgrade succeeded. */
export function refusedUpgrade(url: string, origin?: string, localAddress?: string): Promise<{ status: number; body: string }> {
  const ws = new WebSocket(url, clientOptions(origin, localAddress));
  return withTimeout(
    new Promise((resolve, reject) => {
      ws.once('unexpected-response', (_req, res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() });
          ws.terminate();
        });
      });
      ws.once('open', () => {
        ws.terminate();
        reject(new Error(`upgrade of ${url} from ${localAddress ?? 'the default address'} unexpectedly succeeded`));
      });
      ws.once('error', () => {}); // the refusal also surfaces as an error; the status is what is checked
    }),
    `the upgrade answer from ${url}`,
  );
}

/** The HTTP status of a refused upgrade; rejects if the upgrade succeeded. */
export function refusedUpgradeStatus(url: string, origin?: string): Promise<number> {
  const ws = new WebSocket(url, origin === undefined ? {} : { origin });
  return withTimeout(
    new Promise((resolve, reject) => {
      ws.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.once('open', () => {
        ws.terminate();
        reject(new Error(`upgrade of ${url} with Origin ${origin ?? '(none)'} unexpectedly succeeded`));
      });
      ws.once('error', () => {}); // the refusal also surfaces as an error; the status is what is checked
    }),
    `the upgrade answer from ${url}`,
  );
}
