/**
 * A swarm object's statistics and P2P mode in its SQLite storage, so they outlive an eviction:
 * two rows of one small table (`usage`: the swarm's `SwarmUsageState` as JSON, sparse series of
 * at most STATS_SERIES_MINUTES points; `p2p`: the mode the site owner last set). Read once when
 * the object wakes; the statistics are written at most once per STATS_PERSIST_INTERVAL_MS (the
 * object schedules it), never per frame, so a busy swarm costs one row write a minute.
 */

import { isRecord, parseJson } from '../../../protocol/result.ts';
import { decodeP2pModes, type P2pModes } from '../../../protocol/usage-report.ts';
import type { SwarmUsageState } from '../../core/stats/swarm-usage.ts';
import type { SqlStorage } from './workers-types.ts';

export class UsageRows {
  constructor(private readonly sql: SqlStorage) {
    sql.exec('CREATE TABLE IF NOT EXISTS swarm_usage (key TEXT PRIMARY KEY, data TEXT NOT NULL)');
  }

  /** The stored statistics of the object's swarms (one, unless sockets came without `?swarm=`); unreadable ones are skipped. */
  usage(): SwarmUsageState[] {
    const value = this.read('usage');
    if (!Array.isArray(value)) return [];
    // Numbers are clamped by SwarmUsage.restore; the shape is all that is checked here.
    return value.filter(
      (s): s is SwarmUsageState =>
        isRecord(s) &&
        typeof s.swarm === 'string' &&
        isRecord(s.reported) &&
        isRecord(s.server) &&
        Array.isArray(s.top) &&
        Array.isArray(s.series),
    );
  }

  /** The modes the site owner set last, or null when none was set here (the config's apply). */
  modes(): P2pModes | null {
    const value = this.read('p2p');
    if (value === undefined) return null;
    const modes = decodeP2pModes(value);
    return modes.ok ? modes.value : null;
  }

  saveUsage(state: readonly SwarmUsageState[]): void {
    this.write('usage', JSON.stringify(state));
  }

  saveModes(modes: P2pModes): void {
    this.write('p2p', JSON.stringify(modes));
  }

  private read(key: string): unknown {
    const row = this.sql.exec('SELECT data FROM swarm_usage WHERE key = ?', key).toArray()[0];
    if (!row || typeof row.data !== 'string') return undefined;
    const parsed = parseJson(row.data);
    return parsed.ok ? parsed.value : undefined;
  }

  private write(key: string, data: string): void {
    this.sql.exec('INSERT OR REPLACE INTO swarm_usage (key, data) VALUES (?, ?)', key, data);
  }
}
