/**
 * A signaling hub's statistics: each swarm's `SwarmUsage` (at most STATS_MAX_SWARMS; reports for
 * more are refused as `stats-full` and counted), and the server's own counters across swarms
 * (connections, messages, errors sent by code, refusals before the upgrade). Runtime-free: the
 * hub calls it, the dashboard and metrics routes read it, and a runtime that stores state
 * (Cloudflare) saves `dirty` swarms and restores them.
 */
import { STATS_MAX_SWARMS } from '../../../protocol/limits.ts';
import type { UsageReport } from '../../../protocol/usage-report.ts';
import { SwarmUsage, type SwarmUsageState } from './swarm-usage.ts';

/** What the server counted itself, all swarms together. */
export interface ServerCounters {
  /** Sockets accepted on the signaling route since start. */
  connectionsOpened: number;
  /** Text frames handled (after the socket layer's gate). */
  messages: number;
  reportsAccepted: number;
  /** By reason: `report-dropped` (over the report rate), `stats-full` (no room for one more swarm). */
  reportsRefused: Record<string, number>;
  /** `error` messages sent to clients, by code (`rate-limited`, `malformed`, `swarm-full`, ...). */
  errors: Record<string, number>;
  /** Sockets refused before the upgrade (503), by code. */
  refusedBeforeUpgrade: Record<string, number>;
}

const bump = (counts: Record<string, number>, key: string): void => {
  counts[key] = Math.min(Number.MAX_SAFE_INTEGER, (counts[key] ?? 0) + 1);
};

export class UsageBoard {
  readonly counters: ServerCounters = {
    connectionsOpened: 0,
    messages: 0,
    reportsAccepted: 0,
    reportsRefused: {},
    errors: {},
    refusedBeforeUpgrade: {},
  };
  private readonly swarms = new Map<string, SwarmUsage>();
  /** Swarms changed since the last `takeDirty()`. */
  private readonly dirty = new Set<string>();

  constructor(private readonly maxSwarms: number = STATS_MAX_SWARMS) {}

  /** A report accepted by its connection's rate; false (and counted) when the board has no room for its swarm. */
  report(swarm: string, report: UsageReport, now: number): boolean {
    const usage = this.swarm(swarm);
    if (!usage) {
      bump(this.counters.reportsRefused, 'stats-full');
      return false;
    }
    usage.report(report, now);
    this.counters.reportsAccepted++;
    this.dirty.add(swarm);
    return true;
  }

  reportDropped(): void {
    bump(this.counters.reportsRefused, 'report-dropped');
  }

  /** A peer joined (`counted`: false when it is only rebuilt after an eviction, already counted as a join). */
  joined(swarm: string, now: number, counted = true): void {
    const usage = this.swarm(swarm);
    usage?.joined(now, counted);
    if (usage && counted) this.dirty.add(swarm);
  }

  left(swarm: string, now: number): void {
    this.swarms.get(swarm)?.left(now);
  }

  relayed(swarm: string, now: number): void {
    this.swarms.get(swarm)?.relayed(now);
  }

  opened(): void {
    this.counters.connectionsOpened++;
  }

  message(): void {
    this.counters.messages++;
  }

  errorSent(code: string): void {
    bump(this.counters.errors, code);
  }

  refusedBeforeUpgrade(code: string): void {
    bump(this.counters.refusedBeforeUpgrade, code);
  }

  /** Every swarm's usage, by id. */
  all(): SwarmUsage[] {
    return [...this.swarms.values()];
  }

  get(swarm: string): SwarmUsage | undefined {
    return this.swarms.get(swarm);
  }

  /** The swarms changed since the last call, emptied. */
  takeDirty(): string[] {
    const out = [...this.dirty];
    this.dirty.clear();
    return out;
  }

  get isDirty(): boolean {
    return this.dirty.size > 0;
  }

  /** Puts back a stored swarm (Cloudflare, after an eviction). Peers online are not stored: the hub's restore recounts them. */
  restore(state: SwarmUsageState, now: number): void {
    this.swarm(state.swarm)?.restore(state, now);
  }

  /** The swarm's usage, made if there is room for one more. */
  private swarm(id: string): SwarmUsage | null {
    let usage = this.swarms.get(id);
    if (!usage) {
      if (this.swarms.size >= this.maxSwarms) return null;
      usage = new SwarmUsage(id);
      this.swarms.set(id, usage);
    }
    return usage;
  }
}
