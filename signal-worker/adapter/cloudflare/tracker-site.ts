/**
 * One site's WebTorrent tracker as a Durable Object with hibernatable WebSockets: every torrent
 * announced through `/peer-connect/announce?swarm=<site>` lives here. A WebTorrent client sends
 * all its torrents over one socket, so an object per torrent is impossible without reading
 * messages first; an object per site bounds the state by what one site publishes. Each socket's
 * torrents (info_hash, peer_id, complete, last announce) are rewritten to its storage row after
 * every frame it sends, and after each sweep; the attachment carries the rest, as for signaling.
 */
import { isRecord } from '../../../protocol/result.ts';
import { isBinaryId } from '../../../protocol/tracker-messages.ts';
import { DEFAULT_HEALTH_PATH } from '../../app.ts';
import type { TrackerConnection } from '../../core/tracker/tracker-connection.ts';
import { TrackerHub } from '../../core/tracker/tracker-hub.ts';
import type { TrackerMembership } from '../../core/tracker/tracker-index.ts';
import { readSignalConfig } from '../signal-config.ts';
import { AlarmClock } from './alarm-clock.ts';
import { acceptHibernatable, clientSocket, closeLost, finishClose, isUpgrade, keyOfSocket, wokenSockets } from './hibernation.ts';
import { SocketRows } from './socket-rows.ts';
import type { WorkerEnv } from './worker-env.ts';
import type { DurableObjectState, HibernatableWebSocket } from './workers-types.ts';

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
    if (!isUpgrade(request)) return new Response('this route speaks WebSocket only (WebTorrent tracker)', { status: 426 });
    const { ws, key, response } = acceptHibernatable(this.ctx);
    // No lastHeardAt: the runtime answers no tracker frame by itself.
    this.entries.set(key, { ws, connection: this.hub.accept(clientSocket(ws)) });
    this.save(key);
    return response;
  }

  webSocketMessage(ws: HibernatableWebSocket, message: string | ArrayBuffer): void {
    const key = keyOfSocket(ws);
    const entry = key === null ? undefined : this.entries.get(key);
    if (key === null || !entry) return closeLost(ws);
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
    for (const { ws, attachment, row } of wokenSockets(this.ctx, this.rows)) {
      const memberships = decodeMemberships(row);
      if (!memberships) {
        closeLost(ws);
        continue;
      }
      const connection = this.hub.restore(clientSocket(ws), { lastSeen: attachment.lastSeen, bucket: attachment.bucket, memberships });
      this.entries.set(attachment.key, { ws, connection });
      this.restored++;
    }
  }

  private socketGone(ws: HibernatableWebSocket): void {
    const key = keyOfSocket(ws);
    if (key === null) return;
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
