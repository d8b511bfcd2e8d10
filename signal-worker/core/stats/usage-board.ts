/**
 * A signaling hub's statistics: each swarm's `SwarmUsage` (at most STATS_MAX_SWARMS: when full, a
 * new swarm takes the place of one with no peer online, never reported on first, then the longest
 * idle; with none such, its reports are refused as `stats-full` and counted), and the server's own counters across swarms
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
  /** When each swarm last had a join, leave, relay or report (ms): who gives up its place first. */
  private readonly lastActive = new Map<string, number>();
  /** Swarms changed since the last `takeDirty()`. */
  private readonly dirty = new Set<string>();

  constructor(private readonly maxSwarms: number = STATS_MAX_SWARMS) {}

  /** A report accepted by its connection's rate; false (and counted) when the board has no room for its swarm. */
  report(swarm: string, report: UsageReport, now: number): boolean {
    const usage = this.swarm(swarm, now);
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
    const usage = this.swarm(swarm, now);
    usage?.joined(now, counted);
    if (usage && counted) this.dirty.add(swarm);
  }

  left(swarm: string, now: number): void {
    this.swarms.get(swarm)?.left(now);
    if (this.swarms.has(swarm)) this.lastActive.set(swarm, now);
  }

  relayed(swarm: string, now: number): void {
    this.swarms.get(swarm)?.relayed(now);
    if (this.swarms.has(swarm)) this.lastActive.set(swarm, now);
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
    this.swarm(state.swarm, now)?.restore(state, now);
  }

  /**
   * The swarm's usage, made if there is room for one more, or made room for. Anyone may join any
   * swarm id: without giving places back, ids joined once and left would hold every place until a
   * restart and lock real swarms out of the statistics. A swarm with a peer online keeps its place
   * (how many sockets one address holds is the admission caps' job).
   */
  private swarm(id: string, now: number): SwarmUsage | null {
    let usage = this.swarms.get(id);
    if (!usage) {
      if (this.swarms.size >= this.maxSwarms && !this.evictOne()) return null;
      usage = new SwarmUsage(id);
      this.swarms.set(id, usage);
    }
    this.lastActive.set(id, now);
    return usage;
  }

  /** Frees one place: a swarm with no peer online, never reported on before one that was, then the longest idle. */
  private evictOne(): boolean {
    let victim: string | null = null;
    let victimKey: [number, number] = [Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY];
    for (const [id, usage] of this.swarms) {
      if (usage.server.peersOnline > 0) continue;
      const key: [number, number] = [usage.reported.reports > 0 ? 1 : 0, this.lastActive.get(id) ?? 0];
      if (key[0] < victimKey[0] || (key[0] === victimKey[0] && key[1] < victimKey[1])) {
        victim = id;
        victimKey = key;
      }
    }
    if (victim === null) return false;
    this.swarms.delete(victim);
    this.lastActive.delete(victim);
    this.dirty.delete(victim);
    return true;
  }
}
