/**
 * A raw WebTorrent-tracker client for the compliance cases (and the Node adapter's unit tests):
 * JSON frames as bittorrent-tracker's client sends them, replies queued for awaiting in order,
 * and the close.
 */
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { isRecord } from '../../../protocol/result.ts';
import type { RuntimeServer } from '../../runtimes/types.ts';
import { clientOptions } from './client-options.ts';
import { Inbox } from './inbox.ts';
import { type Closed, closeFrameOf } from './signal-client.ts';
import { WAIT_MS, withTimeout } from './wait.ts';

export type TrackerReply = Record<string, unknown>;

/** A 20-byte id as the protocol's "binary string", made from one distinguishing character. */
export const binaryId = (tag: string): string => `${tag.repeat(19)}\u00ff`;

export class TrackerClient {
  private readonly inbox = new Inbox<TrackerReply>();
  readonly closed: Promise<Closed>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: WebSocket.RawData) => {
      let parsed: unknown;
      try {
        parsed = JSON.parse(String(data));
      } catch {
        parsed = { 'test-client': `not JSON: ${String(data).slice(0, 200)}` };
      }
      this.inbox.push(isRecord(parsed) ? parsed : { 'test-client': `not an object: ${String(data).slice(0, 200)}` });
    });
    this.closed = new Promise((resolve) => ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  /** No Origin, as a Node or desktop WebTorrent client connects, unless one is given. */
  /** `localAddress`: another loopback address to connect from (another client address). */
  static open(server: RuntimeServer, origin?: string, localAddress?: string): Promise<TrackerClient> {
    return TrackerClient.connect(server.trackerUrl, origin, server.runtime, localAddress);
  }

  /** A socket to the tracker route at `url`, with no Origin unless one is given. */
  static connect(url: string, origin?: string, target = url, localAddress?: string): Promise<TrackerClient> {
    const ws = new WebSocket(url, clientOptions(origin, localAddress));
    return withTimeout(
      new Promise((resolve, reject) => {
        ws.once('open', () => resolve(new TrackerClient(ws)));
        ws.once('error', reject);
      }),
      `a tracker socket to ${target}`,
    );
  }

  send(message: Record<string, unknown>): void {
    this.ws.send(JSON.stringify(message));
  }

  sendRaw(data: string | Uint8Array): void {
    this.ws.send(data);
  }

  next(ms = WAIT_MS): Promise<TrackerReply> {
    return this.inbox.next('tracker reply', ms);
  }

  /** Announces `peer` in `infoHash` (no offers) and returns the server's counts. */
  async announce(infoHash: string, peer: string, extra: Record<string, unknown> = {}): Promise<TrackerReply> {
    this.send({ action: 'announce', info_hash: infoHash, peer_id: peer, event: 'started', left: 0, numwant: 0, ...extra });
    return this.next();
  }

  async scrape(infoHash: string): Promise<{ complete: number; incomplete: number; downloaded: number }> {
    this.send({ action: 'scrape', info_hash: infoHash });
    const reply = await this.next();
    const files = reply.files;
    assert.ok(isRecord(files), `scrape reply ${JSON.stringify(reply)}`);
    const file = files[infoHash];
    assert.ok(isRecord(file), `scrape reply without ${JSON.stringify(infoHash)}: ${JSON.stringify(reply)}`);
    return { complete: Number(file.complete), incomplete: Number(file.incomplete), downloaded: Number(file.downloaded) };
  }

  /** Proves the server still serves this socket: a scrape is answered. */
  async assertServed(): Promise<void> {
    const probe = binaryId('z');
    assert.deepEqual(await this.scrape(probe), { complete: 0, incomplete: 0, downloaded: 0 });
  }

  /** A `failure reason` matching `reason`; the socket stays open (a bad request, not abuse). */
  async assertFailure(reason: RegExp): Promise<TrackerReply> {
    const reply = await this.next();
    assert.match(String(reply['failure reason']), reason, `reply ${JSON.stringify(reply)}`);
    return reply;
  }

  /** A `failure reason` matching `reason`, then a 1008 close: abuse of the connection. */
  async assertCutOff(reason: RegExp, ms = WAIT_MS): Promise<void> {
    const reply = await this.next(ms);
    assert.match(String(reply['failure reason']), reason, `reply ${JSON.stringify(reply)}`);
    assert.equal((await withTimeout(this.closed, 'the close after the failure', ms)).code, 1008);
  }

  /** The failure, then the server's 1008 close frame, without waiting for the TCP connection to end. */
  async assertCutOffByFrame(reason: RegExp, ms = WAIT_MS): Promise<void> {
    const reply = await this.next(ms);
    assert.match(String(reply['failure reason']), reason, `reply ${JSON.stringify(reply)}`);
    assert.equal((await closeFrameOf(this.ws, ms)).code, 1008);
  }

  async close(): Promise<void> {
    this.ws.close();
    await withTimeout(this.closed, 'our own close');
  }
}
