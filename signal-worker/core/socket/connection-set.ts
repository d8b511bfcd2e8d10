/** A hub's live connections, either protocol: kept from accept to end, all closed on shutdown. */
import type { ClientConnection } from './client-socket.ts';

export class ConnectionSet<C extends ClientConnection> {
  private readonly live = new Set<C>();
  private stopped = false;

  /**
   * Keeps `connection` until it ends. One that ended as it was made (a restore the current
   * limits refuse) is not kept; one made after shutdown is closed at once.
   */
  add(connection: C): C {
    if (this.stopped) connection.shutdown();
    else if (!connection.isClosed) this.live.add(connection);
    return connection;
  }

  /** Each connection's `onEnd`. */
  readonly delete = (connection: C): void => {
    this.live.delete(connection);
  };

  has(connection: C): boolean {
    return this.live.has(connection);
  }

  /** The live connections (a copy: delivering may end some). */
  [Symbol.iterator](): Iterator<C> {
    return [...this.live][Symbol.iterator]();
  }

  get size(): number {
    return this.live.size;
  }

  /** Closes every connection (server shutdown); later ones are closed as they come. */
  shutdown(): void {
    this.stopped = true;
    for (const connection of [...this.live]) connection.shutdown();
  }
}
