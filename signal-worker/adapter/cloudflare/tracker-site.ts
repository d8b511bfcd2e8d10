/**
 * One site's WebTorrent tracker as a Durable Object with hibernatable WebSockets: every torrent
 * announced through `/peer-connect/announce?swarm=<site>` lives here. A WebTorrent client sends
 * all its torrents over one socket, so an object per torrent is impossible without reading
 * messages first; an object per site bounds the state by what one site publishes. Each socket's
 * torrents (info_hash, peer_id, complete, last announce) are rewritten to its storage row after
 * every frame it sends, and after each sweep; the attachment carries the rest, as for signaling.
 */
import { DEFAULT_HEALTH_PATH } from '../../app.ts';
import { isBinaryId } from '../../../protocol/tracker-messages.ts';
import { isRecord } from '../../../protocol/result.ts';
import { CLOSE_INTERNAL_ERROR, type ClientSocket } from '../../core/socket/client-socket.ts';
import type { TrackerConnection } from '../../core/tracker/tracker-connection.ts';
import { TrackerHub } from '../../core/tracker/tracker-hub.ts';
import type { TrackerMembership } from '../../core/tracker/tracker-index.ts';
import { AlarmClock } from './alarm-clock.ts';
import { decodeAttachment } from './attachment.ts';
import { readSignalConfig } from '../signal-config.ts';
import type { WorkerEnv } from './worker-env.ts';
import { closeQuietly, finishClose } from './signal-swarm.ts';
import { SocketRows } from './socket-rows.ts';
import { upgradeResponse, workersGlobals, type DurableObjectState, type HibernatableWebSocket } from './workers-types.ts';

interface Entry {
  ws: HibernatableWebSocket;
  connection: TrackerConnection;
}

export class TrackerSite {
  private readonly clock: AlarmClock;
  private readonly hub: TrackerHub;
  private readonly rows: SocketRows;
  private readonly entries = new Map<string, Entry>();
  private readonly wokeAt = Date.now();
  private restored = 0;

  constructor(
    private readonly ctx: DurableObjectState,
    env: WorkerEnv,
  ) {
    this.clock = new AlarmClock(ctx.storage);
    this.hub = new TrackerHub({ limits: readSignalConfig(env.PEER_CONNECT_SIGNAL_CONFIG).trackerLimits, clock: this.clock });
    this.rows = new SocketRows(ctx.storage.sql, 'tracker_connections');
    this.wake();
  }

  async fetch(request: Request): Promise<Response> {
    if (new URL(request.url).pathname === DEFAULT_HEALTH_PATH) {
      return Response.json({ ok: true, runtime: 'workerd', object: 'tracker', tracker: this.hub.stats(), wokeAt: this.wokeAt, restoredConnections: this.restored });
    }
    if (request.headers.get('upgrade')?.toLowerCase() !== 'websocket') {
      return new Response('this route speaks WebSocket only (WebTorrent tracker)', { status: 426 });
    }
    const pair = new (workersGlobals().WebSocketPair)();
    const ws = pair[1];
    this.ctx.acceptWebSocket(ws);
    const key = crypto.randomUUID();
    this.entries.set(key, { ws, connection: this.hub.accept(socketFor(ws)) });
    this.save(key);
    return upgradeResponse(pair[0]);
  }

  webSocketMessage(ws: HibernatableWebSocket, message: string | ArrayBuffer): void {
    const key = decodeAttachment(ws.deserializeAttachment())?.key;
    const entry = key === undefined ? undefined : this.entries.get(key);
    if (key === undefined || !entry) return closeQuietly(ws, CLOSE_INTERNAL_ERROR, 'state-lost');
    entry.connection.receive(message);
    this.save(key);
  }

  webSocketClose(ws: HibernatableWebSocket, code: number, reason: string): void {
    this.socketGone(ws);
    finishClose(ws, code, reason);
  }

  webSocketError(ws: HibernatableWebSocket): void {
    this.socketGone(ws);
  }

  /** Idle closes and the sweep run here; a sweep may drop torrents of any socket, so all rows are rewritten. */
  alarm(): void {
    this.clock.fire();
    for (const key of [...this.entries.keys()]) this.save(key);
  }

  private wake(): void {
    const sockets = this.ctx.getWebSockets().map((ws) => ({ ws, attachment: decodeAttachment(ws.deserializeAttachment()) }));
    const rows = this.rows.loadAndPrune(new Set(sockets.flatMap((s) => (s.attachment ? [s.attachment.key] : []))));
    for (const { ws, attachment } of sockets) {
      const memberships = attachment ? decodeMemberships(rows.get(attachment.key)) : null;
      if (!attachment || !memberships) {
        closeQuietly(ws, CLOSE_INTERNAL_ERROR, 'state-lost');
        continue;
      }
      const connection = this.hub.restore(socketFor(ws), { lastSeen: attachment.lastSeen, bucket: attachment.bucket, memberships });
      this.entries.set(attachment.key, { ws, connection });
      this.restored++;
    }
  }

  private socketGone(ws: HibernatableWebSocket): void {
    const key = decodeAttachment(ws.deserializeAttachment())?.key;
    if (key === undefined) return;
    this.entries.get(key)?.connection.socketClosed();
    this.save(key);
  }

  /** Attachment and row after anything that may have changed them; an ended connection's row goes. */
  private save(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    if (entry.connection.isClosed) {
      this.rows.delete(key);
      this.entries.delete(key);
      return;
    }
    const { memberships, ...clock } = entry.connection.snapshot();
    entry.ws.serializeAttachment({ key, ...clock });
    this.rows.put(key, JSON.stringify(memberships));
  }
}

/** A socket that never sent a frame is closed on time but its TCP lingers: see `SignalSwarm.socketFor`. */
function socketFor(ws: HibernatableWebSocket): ClientSocket {
  return { send: (text) => ws.send(text), close: (code, reason) => ws.close(code, reason) };
}

function decodeMemberships(text: string | undefined): TrackerMembership[] | null {
  if (text === undefined) return null;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!Array.isArray(value)) return null;
  const out: TrackerMembership[] = [];
  for (const m of value) {
    if (!isRecord(m) || !isBinaryId(m.infoHash) || !isBinaryId(m.peerId) || typeof m.complete !== 'boolean' || typeof m.lastSeen !== 'number') return null;
    out.push({ infoHash: m.infoHash, peerId: m.peerId, complete: m.complete, lastSeen: m.lastSeen });
  }
  return out;
}
