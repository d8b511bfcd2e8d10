/**
 * The part of each socket's state too big for its 2 KiB attachment (a peer's haves and parked
 * offers, a tracker connection's torrents), one SQLite row per socket in the object's storage,
 * keyed by an id the attachment carries. Rows of sockets that are gone (the object was
 * restarted, which drops its sockets without close events) are pruned on wake.
 */
import type { SqlStorage } from './workers-types.ts';

export class SocketRows {
  constructor(
    private readonly sql: SqlStorage,
    private readonly table: 'signal_peers' | 'tracker_connections',
  ) {
    sql.exec(`CREATE TABLE IF NOT EXISTS ${table} (key TEXT PRIMARY KEY, data TEXT NOT NULL)`);
  }

  /** Every row, then deletes those whose key no live socket has. */
  loadAndPrune(liveKeys: ReadonlySet<string>): Map<string, string> {
    const rows = new Map<string, string>();
    for (const row of this.sql.exec(`SELECT key, data FROM ${this.table}`).toArray()) {
      if (typeof row.key !== 'string' || typeof row.data !== 'string') continue;
      if (liveKeys.has(row.key)) rows.set(row.key, row.data);
      else this.delete(row.key);
    }
    return rows;
  }

  put(key: string, data: string): void {
    this.sql.exec(`INSERT OR REPLACE INTO ${this.table} (key, data) VALUES (?, ?)`, key, data);
  }

  delete(key: string): void {
    this.sql.exec(`DELETE FROM ${this.table} WHERE key = ?`, key);
  }
}
