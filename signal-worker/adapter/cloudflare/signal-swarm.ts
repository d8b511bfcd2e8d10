/**
 * One signaling swarm as a Durable Object with hibernatable WebSockets. Each socket maps onto one
 * core `SignalConnection`; the object may be evicted whenever no handler runs (the sockets stay
 * open at the edge), and its constructor then rebuilds every connection from the socket's
 * attachment (row key, rate bucket, last heard) and its storage row (peer id, haves, offers).
 * `ping` is answered by the runtime itself (`setWebSocketAutoResponse`), so a swarm whose peers
 * only keep their sockets alive costs no wake-ups; the idle check reads when that last happened.
 */
import { DEFAULT_HEALTH_PATH } from '../../app.ts';
import { encodeMessage } from '../../../protocol/signal-messages.ts';
import { CLOSE_INTERNAL_ERROR, type ClientSocket } from '../../core/socket/client-socket.ts';
import type { SignalConnection } from '../../core/signal/signal-connection.ts';
import { SignalHub } from '../../core/signal/signal-hub.ts';
import { AlarmClock } from './alarm-clock.ts';
import { decodeAttachment, type SocketAttachment } from './attachment.ts';
import { readSignalConfig } from '../signal-config.ts';
import type { WorkerEnv } from './worker-env.ts';
import { decodePeerRow, type PeerRow } from './peer-row.ts';
import { SocketRows } from './socket-rows.ts';
import { upgradeResponse, workersGlobals, type DurableObjectState, type HibernatableWebSocket } from './workers-types.ts';

/** Byte for byte what the page bridge sends (`encodeMessage` of a ping) and what the core answers. */
const PING = encodeMessage({ type: 'ping' });
const PONG = encodeMessage({ type: 'pong' });

interface Entry {
  ws: HibernatableWebSocket;
  connection: SignalConnection;
  urlSwarm: string | undefined;
}

export class SignalSwarm {
  private readonly clock: AlarmClock;
  private readonly hub: SignalHub;
  private readonly rows: SocketRows;
  private readonly entries = new Map<string, Entry>();
  private readonly keys = new Map<SignalConnection, string>();
  /** Connections whose row must be rewritten (or deleted) before the handler returns. */
  private readonly dirty = new Set<SignalConnection>();
  private readonly wokeAt = Date.now();
  private restored = 0;

  constructor(
    private readonly ctx: DurableObjectState,
    env: WorkerEnv,
  ) {
    this.clock = new AlarmClock(ctx.storage);
    this.hub = new SignalHub({ limits: readSignalConfig(env.PEER_CONNECT_SIGNAL_CONFIG).limits, clock: this.clock, onChange: (c) => this.dirty.add(c) });
    this.rows = new SocketRows(ctx.storage.sql, 'signal_peers');
    const { WebSocketRequestResponsePair } = workersGlobals();
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
    this.wake();
  }

  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === DEFAULT_HEALTH_PATH) {
      return Response.json({ ok: true, runtime: 'workerd', object: 'signal', ...this.hub.stats(), wokeAt: this.wokeAt, restoredConnections: this.restored });
    }
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') return new Response('this route speaks WebSocket only', { status: 426 });
    const urlSwarm = url.searchParams.get('swarm') ?? undefined;
    const pair = new (workersGlobals().WebSocketPair)();
    const ws = pair[1];
    this.ctx.acceptWebSocket(ws);
    const key = crypto.randomUUID();
    const connection = this.hub.accept(this.socketFor(ws), urlSwarm === undefined ? {} : { swarm: urlSwarm });
    this.register(key, { ws, connection, urlSwarm });
    this.saveAttachment(key);
    return upgradeResponse(pair[0]);
  }

  webSocketMessage(ws: HibernatableWebSocket, message: string | ArrayBuffer): void {
    const key = this.keyOfSocket(ws);
    const entry = key === null ? undefined : this.entries.get(key);
    if (key === null || !entry) return closeQuietly(ws, CLOSE_INTERNAL_ERROR, 'state-lost');
    entry.connection.receive(message);
    this.flush();
    if (!entry.connection.isClosed) this.saveAttachment(key);
  }

  webSocketClose(ws: HibernatableWebSocket, code: number, reason: string): void {
    this.socketGone(ws);
    finishClose(ws, code, reason);
  }

  webSocketError(ws: HibernatableWebSocket): void {
    this.socketGone(ws);
  }

  alarm(): void {
    this.clock.fire();
    this.flush();
  }

  /** Rebuilds every connection from the sockets that stayed open while the object was away. */
  private wake(): void {
    const sockets = this.ctx.getWebSockets().map((ws) => ({ ws, attachment: decodeAttachment(ws.deserializeAttachment()) }));
    const rows = this.rows.loadAndPrune(new Set(sockets.flatMap((s) => (s.attachment ? [s.attachment.key] : []))));
    for (const { ws, attachment } of sockets) {
      const peer: PeerRow | null = attachment?.joined ? decodePeerRow(rows.get(attachment.key) ?? '') : null;
      if (!attachment || (attachment.joined && !peer)) {
        // Nothing to rebuild it from: the client reconnects and joins again, as after any close.
        closeQuietly(ws, CLOSE_INTERNAL_ERROR, 'state-lost');
        continue;
      }
      const snapshot = { lastSeen: attachment.lastSeen, bucket: attachment.bucket, peer };
      const options = attachment.urlSwarm === undefined ? {} : { swarm: attachment.urlSwarm };
      const connection = this.hub.restore(this.socketFor(ws), snapshot, options);
      this.register(attachment.key, { ws, connection, urlSwarm: attachment.urlSwarm });
      this.restored++;
    }
    this.flush();
  }

  /**
   * Known workerd limit (measured on bare `workerd serve` 1.20260426.1 with compatibility dates
   * 2026-04-26 and 2024-01-01, on Miniflare 4.20260426.0 and under wrangler dev 4.86): when the server closes a hibernatable
   * socket whose client never sent a frame, the client gets our close frame and answers it, the
   * object gets `webSocketClose`, yet workerd keeps the TCP connection open until it exits, so
   * the client's close event waits for its own timeout. One frame from the client (even a ping the
   * runtime answers) avoids it; nothing the object can call does (a second close, closing without
   * sending first, closing from `webSocketMessage` instead of `alarm`). Only sockets that stay
   * silent from the start are affected: ours send `join` at once.
   */
  private socketFor(ws: HibernatableWebSocket): ClientSocket {
    return {
      send: (text) => ws.send(text),
      close: (code, reason) => ws.close(code, reason),
      lastHeardAt: () => this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? null,
    };
  }

  private register(key: string, entry: Entry): void {
    this.entries.set(key, entry);
    this.keys.set(entry.connection, key);
    if (entry.connection.isClosed) this.dirty.add(entry.connection);
  }

  private socketGone(ws: HibernatableWebSocket): void {
    const key = this.keyOfSocket(ws);
    const entry = key === null ? undefined : this.entries.get(key);
    entry?.connection.socketClosed();
    this.flush();
  }

  /** Writes the rows of connections whose peer state changed; forgets the ones that ended. */
  private flush(): void {
    for (const connection of this.dirty) {
      const key = this.keys.get(connection);
      if (key === undefined) continue;
      if (connection.isClosed) {
        this.rows.delete(key);
        this.entries.delete(key);
        this.keys.delete(connection);
        continue;
      }
      const peer = connection.snapshot().peer;
      if (peer) this.rows.put(key, JSON.stringify(peer));
      this.saveAttachment(key);
    }
    this.dirty.clear();
  }

  private saveAttachment(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    const attachment: SocketAttachment = { key, ...entry.connection.clockState() };
    if (entry.urlSwarm !== undefined) attachment.urlSwarm = entry.urlSwarm;
    if (entry.connection.peerId !== null) attachment.joined = true;
    entry.ws.serializeAttachment(attachment);
  }

  private keyOfSocket(ws: HibernatableWebSocket): string | null {
    return decodeAttachment(ws.deserializeAttachment())?.key ?? null;
  }
}

/**
 * Answers a client's close frame. Measured under wrangler dev 4.86 with compatibility date
 * 2026-04-26: without this the client never gets our close frame and ends with 1006, although
 * web_socket_auto_reply_to_close is documented as the default from 2026-04-07.
 */
export function finishClose(ws: HibernatableWebSocket, code: number, reason: string): void {
  // 1005 (no code) and 1006 (no close frame) are reported to us but may not be sent.
  closeQuietly(ws, code === 1005 || code === 1006 ? 1000 : code, reason);
}

export function closeQuietly(ws: HibernatableWebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    // Already closing.
  }
}
