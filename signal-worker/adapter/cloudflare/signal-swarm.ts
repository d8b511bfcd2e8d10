/**
 * One signaling swarm as a Durable Object with hibernatable WebSockets. Each socket maps onto one
 * core `SignalConnection`; the object may be evicted whenever no handler runs (the sockets stay
 * open at the edge), and its constructor then rebuilds every connection from the socket's
 * attachment (row key, rate bucket, last heard) and its storage row (peer id, haves, offers).
 * `ping` is answered by the runtime itself (`setWebSocketAutoResponse`), so a swarm whose peers
 * only keep their sockets alive costs no wake-ups; the idle check reads when that last happened.
 */

import type { TimerHandle } from '../../../protocol/clock.ts';
import { STATS_PERSIST_INTERVAL_MS } from '../../../protocol/limits.ts';
import { DEFAULT_HEALTH_PATH } from '../../../protocol/routes.ts';
import { encodeMessage } from '../../../protocol/signal-messages.ts';
import type { SignalConnection } from '../../core/signal/signal-connection.ts';
import { SignalHub } from '../../core/signal/signal-hub.ts';
import type { ClientSocket } from '../../core/socket/client-socket.ts';
import { readSignalConfig } from '../signal-config.ts';
import type { SocketAttachment } from './attachment.ts';
import { HibernatingObject, type SocketEntry } from './hibernating-object.ts';
import { acceptHibernatable, clientSocket, closeLost, isUpgrade, wokenSockets } from './hibernation.ts';
import { answerDashboard, OBJECT_DASHBOARD_PREFIX } from './object-dashboard.ts';
import { decodePeerRow, type PeerRow } from './peer-row.ts';
import { UsageRows } from './usage-rows.ts';
import type { WorkerEnv } from './worker-env.ts';
import { type DurableObjectState, type HibernatableWebSocket, workersGlobals } from './workers-types.ts';

/** Byte for byte what the page bridge sends (`encodeMessage` of a ping) and what the core answers. */
const PING = encodeMessage({ type: 'ping' });
const PONG = encodeMessage({ type: 'pong' });

interface Entry extends SocketEntry<SignalConnection> {
  urlSwarm: string | undefined;
  /** CF-Connecting-IP of the upgrade: set by Cloudflare's edge, never by the client. */
  address: string | null;
}

export class SignalSwarm extends HibernatingObject<SignalConnection, Entry> {
  private readonly hub: SignalHub;
  private readonly keys = new Map<SignalConnection, string>();
  /** Connections whose row must be rewritten (or deleted) before the handler returns. */
  private readonly dirty = new Set<SignalConnection>();
  /** The swarm's statistics and the mode its owner set, in storage (written at most once a minute). */
  private readonly usageRows: UsageRows;
  private lastUsageWrite = 0;
  private usageTimer: TimerHandle | null = null;

  constructor(ctx: DurableObjectState, env: WorkerEnv) {
    super(ctx, 'signal_peers');
    const config = readSignalConfig(env.PEER_CONNECT_SIGNAL_CONFIG);
    this.usageRows = new UsageRows(ctx.storage.sql);
    this.hub = new SignalHub({
      limits: config.limits,
      clock: this.clock,
      onChange: (c) => this.dirty.add(c),
      // A mode the owner set through the switch outlives an eviction; the config's is the default.
      p2p: this.usageRows.modes() ?? config.p2p,
    });
    // Before the sockets are rebuilt: they count as online, not as new joins.
    for (const state of this.usageRows.usage()) this.hub.usage.restore(state, this.clock.now());
    this.lastUsageWrite = this.clock.now();
    const { WebSocketRequestResponsePair } = workersGlobals();
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair(PING, PONG));
    this.wake();
  }

  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === DEFAULT_HEALTH_PATH) {
      return Response.json({
        ok: true,
        runtime: 'workerd',
        object: 'signal',
        ...this.hub.stats(),
        wokeAt: this.wokeAt,
        restoredConnections: this.restored,
      });
    }
    // Reached only through the Worker's dashboard routes, after the token check (worker.ts).
    if (url.pathname.startsWith(OBJECT_DASHBOARD_PREFIX)) {
      return answerDashboard(request, url, {
        hub: this.hub,
        now: this.clock.now(),
        saveModes: (modes) => this.usageRows.saveModes(modes),
      });
    }
    if (!isUpgrade(request)) return new Response('this route speaks WebSocket only', { status: 426 });
    const urlSwarm = url.searchParams.get('swarm') ?? undefined;
    // Trustworthy whatever `trustProxy` says: Cloudflare sets it at its edge, over the client's.
    const address = request.headers.get('cf-connecting-ip') || null;
    const admitted = this.hub.admit(address);
    if (!admitted.ok) {
      const body = { type: 'error', code: admitted.code, message: admitted.error };
      return Response.json(body, { status: 503, headers: { 'Retry-After': '30' } });
    }
    const { ws, key, response } = acceptHibernatable(this.ctx);
    const connection = this.hub.accept(this.socketFor(ws), urlSwarm === undefined ? { address } : { swarm: urlSwarm, address });
    this.register(key, { ws, connection, urlSwarm, address });
    this.saveAttachment(key);
    return response;
  }

  /** A peer's row is rewritten only when its state changed (`dirty`); its attachment after every frame. */
  protected persist(key: string | null): void {
    this.flush();
    if (key !== null) this.saveAttachment(key);
    this.scheduleUsageWrite();
  }

  /**
   * Writes the statistics if they changed and the last write is STATS_PERSIST_INTERVAL_MS old;
   * otherwise sets one timer (on the alarm clock) for when it will be. Never a write per frame.
   */
  private scheduleUsageWrite(): void {
    if (!this.hub.usage.isDirty || this.usageTimer !== null) return;
    const wait = this.lastUsageWrite + STATS_PERSIST_INTERVAL_MS - this.clock.now();
    if (wait <= 0) return this.writeUsage();
    this.usageTimer = this.clock.setTimeout(() => {
      this.usageTimer = null;
      this.writeUsage();
    }, wait);
  }

  private writeUsage(): void {
    const now = this.clock.now();
    this.hub.usage.takeDirty();
    this.usageRows.saveUsage(this.hub.usage.all().map((u) => u.state(now)));
    this.lastUsageWrite = now;
  }

  /** Rebuilds every connection from the sockets that stayed open while the object was away. */
  private wake(): void {
    for (const { ws, attachment, row } of wokenSockets(this.ctx, this.rows)) {
      const peer: PeerRow | null = attachment.joined ? decodePeerRow(row ?? '') : null;
      // A joined peer without its row: the client reconnects and joins again, as after any close.
      if (attachment.joined && !peer) {
        closeLost(ws);
        continue;
      }
      const snapshot = { lastSeen: attachment.lastSeen, bucket: attachment.bucket, peer };
      const address = attachment.address ?? null;
      const options = attachment.urlSwarm === undefined ? { address } : { swarm: attachment.urlSwarm, address };
      const connection = this.hub.restore(this.socketFor(ws), snapshot, options);
      this.register(attachment.key, { ws, connection, urlSwarm: attachment.urlSwarm, address });
      this.restored++;
    }
    this.flush();
  }

  /** See `clientSocket` for a workerd limit on closing sockets that never sent a frame. */
  private socketFor(ws: HibernatableWebSocket): ClientSocket {
    return clientSocket(ws, () => this.ctx.getWebSocketAutoResponseTimestamp(ws)?.getTime() ?? null);
  }

  private register(key: string, entry: Entry): void {
    this.entries.set(key, entry);
    this.keys.set(entry.connection, key);
    if (entry.connection.isClosed) this.dirty.add(entry.connection);
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
    if (entry.address !== null) attachment.address = entry.address;
    entry.ws.serializeAttachment(attachment);
  }
}
