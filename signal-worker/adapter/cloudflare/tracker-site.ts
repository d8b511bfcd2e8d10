/**
 * One site's WebTorrent tracker as a Durable Object with hibernatable WebSockets: every torrent
 * announced through `/peer-connect/announce?swarm=<site>` lives here. A WebTorrent client sends
 * all its torrents over one socket, so an object per torrent is impossible without reading
 * messages first; an object per site bounds the state by what one site publishes. Each socket's
 * torrents (info_hash, peer_id, complete, last announce) and its new-peer-id bucket are rewritten
 * to its storage row after every frame it sends, and after each sweep; the attachment carries the
 * rest, as for signaling. Offer budgets are not stored (tracker/offer-budget.ts).
 */
import { DEFAULT_HEALTH_PATH } from '../../../protocol/routes.ts';
import type { TrackerConnection } from '../../core/tracker/tracker-connection.ts';
import { TrackerHub } from '../../core/tracker/tracker-hub.ts';
import { readSignalConfig } from '../signal-config.ts';
import { HibernatingObject, type SocketEntry } from './hibernating-object.ts';
import { acceptHibernatable, clientSocket, closeLost, isUpgrade, wokenSockets } from './hibernation.ts';
import { decodeMembershipRow, encodeMembershipRow } from './membership-row.ts';
import type { WorkerEnv } from './worker-env.ts';
import type { DurableObjectState } from './workers-types.ts';

export class TrackerSite extends HibernatingObject<TrackerConnection, SocketEntry<TrackerConnection>> {
  private readonly hub: TrackerHub;

  constructor(ctx: DurableObjectState, env: WorkerEnv) {
    super(ctx, 'tracker_connections');
    this.hub = new TrackerHub({ limits: readSignalConfig(env.PEER_CONNECT_SIGNAL_CONFIG).trackerLimits, clock: this.clock });
    this.wake();
  }

  async fetch(request: Request): Promise<Response> {
    if (new URL(request.url).pathname === DEFAULT_HEALTH_PATH) {
      return Response.json({
        ok: true,
        runtime: 'workerd',
        object: 'tracker',
        tracker: this.hub.stats(),
        wokeAt: this.wokeAt,
        restoredConnections: this.restored,
      });
    }
    if (!isUpgrade(request)) return new Response('this route speaks WebSocket only (WebTorrent tracker)', { status: 426 });
    // Trustworthy whatever `trustProxy` says: Cloudflare sets it at its edge, over the client's.
    const address = request.headers.get('cf-connecting-ip') || null;
    const admitted = this.hub.admit(address);
    if (!admitted.ok) return Response.json({ 'failure reason': admitted.error }, { status: 503, headers: { 'Retry-After': '30' } });
    const { ws, key, response } = acceptHibernatable(this.ctx);
    // No lastHeardAt: the runtime answers no tracker frame by itself.
    this.entries.set(key, { ws, connection: this.hub.accept(clientSocket(ws), { address }) });
    this.save(key);
    return response;
  }

  /**
   * A connection's row after every frame it sends; after an alarm every row, since a sweep may
   * drop torrents of any socket.
   */
  protected persist(key: string | null): void {
    if (key !== null) return this.save(key);
    for (const each of [...this.entries.keys()]) this.save(each);
  }

  private wake(): void {
    for (const { ws, attachment, row } of wokenSockets(this.ctx, this.rows)) {
      const stored = row === undefined ? null : decodeMembershipRow(row);
      if (!stored) {
        closeLost(ws);
        continue;
      }
      const connection = this.hub.restore(
        clientSocket(ws),
        { lastSeen: attachment.lastSeen, bucket: attachment.bucket, ...stored },
        { address: attachment.address ?? null },
      );
      this.entries.set(attachment.key, { ws, connection });
      this.restored++;
    }
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
    const { memberships, newPeerIds, ...clock } = entry.connection.snapshot();
    const address = entry.connection.address;
    entry.ws.serializeAttachment(address === null ? { key, ...clock } : { key, ...clock, address });
    this.rows.put(key, encodeMembershipRow({ memberships, newPeerIds }));
  }
}
