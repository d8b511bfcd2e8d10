/**
 * The skeleton both Durable Objects share (SignalSwarm, TrackerSite): an alarm clock for the
 * core's timers, one storage row per socket, the live sockets by row key, and the hibernation
 * handlers that feed a socket's frames and close to its core connection. Each object adds its
 * hub, how it accepts and rebuilds a socket, and what it writes after an event (`persist`).
 */
import type { ClientConnection } from '../../core/socket/client-socket.ts';
import { AlarmClock } from './alarm-clock.ts';
import { closeLost, finishClose, keyOfSocket } from './hibernation.ts';
import { SocketRows } from './socket-rows.ts';
import type { DurableObjectState, HibernatableWebSocket } from './workers-types.ts';

export interface SocketEntry<C extends ClientConnection> {
  ws: HibernatableWebSocket;
  connection: C;
}

export abstract class HibernatingObject<C extends ClientConnection, E extends SocketEntry<C>> {
  protected readonly clock: AlarmClock;
  protected readonly rows: SocketRows;
  /** Live sockets by the key of their storage row (carried in their attachments). */
  protected readonly entries = new Map<string, E>();
  protected readonly wokeAt = Date.now();
  /** Connections rebuilt from storage when this instance woke, for the health route. */
  protected restored = 0;

  protected constructor(
    protected readonly ctx: DurableObjectState,
    table: 'signal_peers' | 'tracker_connections',
  ) {
    this.clock = new AlarmClock(ctx.storage);
    this.rows = new SocketRows(ctx.storage.sql, table);
  }

  webSocketMessage(ws: HibernatableWebSocket, message: string | ArrayBuffer): void {
    const key = keyOfSocket(ws);
    const entry = key === null ? undefined : this.entries.get(key);
    if (key === null || !entry) return closeLost(ws);
    entry.connection.receive(message);
    // Timers an overdue alarm has not run yet (idle closes, the sweep) run now; if any did,
    // they may have changed any socket's row.
    this.persist(this.clock.runDue() > 0 ? null : key);
  }

  webSocketClose(ws: HibernatableWebSocket, code: number, reason: string): void {
    this.socketGone(ws);
    finishClose(ws, code, reason);
  }

  webSocketError(ws: HibernatableWebSocket): void {
    this.socketGone(ws);
  }

  /** Idle closes and the tracker's sweep run here. */
  alarm(): void {
    this.clock.fire();
    this.persist(null);
  }

  /**
   * Writes what the last event changed to the socket's attachment and row, and forgets a
   * connection that ended: after a frame or a close, of socket `key`; after an alarm (null), of
   * any socket.
   */
  protected abstract persist(key: string | null): void;

  private socketGone(ws: HibernatableWebSocket): void {
    const key = keyOfSocket(ws);
    if (key === null) return;
    this.entries.get(key)?.connection.socketClosed();
    this.persist(key);
  }
}
