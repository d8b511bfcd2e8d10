/**
 * One swarm's statistics: totals since the server (or, on Cloudflare, the stored copy) started,
 * a minute series for the last 24 h, and the assets most served by peers. Two kinds, kept apart
 * because only one can be trusted: what visitors reported (`reported`: bytes by source, uploads,
 * failures, bad pieces, bans) and what the server saw itself (`server`: joins, relays, peers online).
 */
import { STATS_SERIES_MINUTES, STATS_TOP_ASSETS } from '../../../protocol/limits.ts';
import { type ReportCounters, type UsageReport, zeroCounters } from '../../../protocol/usage-report.ts';
import { MinuteSeries, minuteOf, type SeriesPoint } from './minute-series.ts';

/** The series' fields, in order; the dashboard's JSON names them the same. */
export const SERIES_FIELDS = [
  'peer',
  'origin',
  'cache',
  'webSeed',
  'uploaded',
  'failures',
  'badPieces',
  'bans',
  'reports',
  'joins',
  'relays',
  'peersOnline',
] as const;
export type SeriesField = (typeof SERIES_FIELDS)[number];
const F = Object.fromEntries(SERIES_FIELDS.map((f, i) => [f, i])) as Record<SeriesField, number>;

/** Totals of what visitors reported, and how many reports. */
export type ReportedTotals = ReportCounters & { reports: number };

/** What the server counted itself. */
export interface ServerTotals {
  joins: number;
  relays: number;
  /** Peers joined now (a gauge). */
  peersOnline: number;
}

export interface TopAsset {
  hash: string;
  path: string;
  peer: number;
}

/** A swarm's statistics as plain data (the dashboard's JSON and the stored copy). */
export interface SwarmUsageState {
  swarm: string;
  reported: ReportedTotals;
  server: Omit<ServerTotals, 'peersOnline'>;
  top: TopAsset[];
  series: SeriesPoint[];
}

const saturating = (a: number, b: number): number => Math.min(Number.MAX_SAFE_INTEGER, a + b);

export class SwarmUsage {
  readonly reported: ReportedTotals = { ...zeroCounters(), reports: 0 };
  readonly server: ServerTotals = { joins: 0, relays: 0, peersOnline: 0 };
  private readonly series = new MinuteSeries(SERIES_FIELDS.length, STATS_SERIES_MINUTES);
  private readonly top = new Map<string, TopAsset>();

  constructor(readonly swarm: string) {}

  report(report: UsageReport, now: number): void {
    const minute = minuteOf(now);
    const add = (field: keyof ReportedTotals, value: number): void => {
      this.reported[field] = saturating(this.reported[field], value);
      this.series.add(minute, F[field], value);
    };
    add('peer', report.bytes.peer);
    add('origin', report.bytes.origin);
    add('cache', report.bytes.cache);
    add('webSeed', report.bytes.webSeed);
    add('uploaded', report.bytes.uploaded);
    add('failures', report.failures);
    add('badPieces', report.badPieces);
    add('bans', report.bans);
    add('reports', 1);
    // A report's assets share its bytes from peers: one that claims more than it reported in all
    // cannot put terabyte assets at the top of the list (capped here rather than refused, since a
    // refused report closes the socket of what may be an honest page).
    let left = report.bytes.peer;
    for (const asset of report.assets) {
      const peer = Math.min(asset.peer, left);
      left -= peer;
      if (peer > 0) this.rank({ ...asset, peer });
    }
    this.sampleOnline(minute);
  }

  /** A peer joined; `counted` false: it is only rebuilt after an eviction (online again, not a new join). */
  joined(now: number, counted = true): void {
    this.server.peersOnline++;
    const minute = minuteOf(now);
    if (counted) {
      this.server.joins = saturating(this.server.joins, 1);
      this.series.add(minute, F.joins, 1);
    }
    this.sampleOnline(minute);
  }

  left(now: number): void {
    this.server.peersOnline = Math.max(0, this.server.peersOnline - 1);
    this.sampleOnline(minuteOf(now));
  }

  relayed(now: number): void {
    this.server.relays = saturating(this.server.relays, 1);
    this.series.add(minuteOf(now), F.relays, 1);
  }

  /** Bytes from peers that visitors reported since 00:00 UTC of `now`'s day. */
  peerBytesToday(now: number): number {
    const minute = minuteOf(now);
    return this.series.sum(F.peer, minute - (minute % (24 * 60)), minute);
  }

  /** The top assets by bytes from peers, largest first. */
  topAssets(): TopAsset[] {
    return [...this.top.values()].sort((a, b) => b.peer - a.peer);
  }

  state(now: number): SwarmUsageState {
    this.sampleOnline(minuteOf(now));
    const { peersOnline: _, ...server } = this.server;
    return { swarm: this.swarm, reported: { ...this.reported }, server, top: this.topAssets(), series: this.series.points(minuteOf(now)) };
  }

  /** Puts back a stored `state()` (Cloudflare, after an eviction); numbers are clamped, never trusted. */
  restore(state: SwarmUsageState, now: number): void {
    for (const key of Object.keys(this.reported) as Array<keyof ReportedTotals>) this.reported[key] = clampCount(state.reported[key]);
    this.server.joins = clampCount(state.server.joins);
    this.server.relays = clampCount(state.server.relays);
    for (const asset of state.top.slice(0, STATS_TOP_ASSETS)) this.top.set(asset.hash, { ...asset, peer: clampCount(asset.peer) });
    this.series.restore(state.series, minuteOf(now));
  }

  /**
   * Keeps the STATS_TOP_ASSETS assets with most bytes from peers. A new asset when the list is
   * full replaces the smallest only if this report alone gave it more: bounded memory, and an
   * asset that is steadily large gets in (the list can miss one that is small in each report).
   */
  private rank(asset: { hash: string; path: string; peer: number }): void {
    const known = this.top.get(asset.hash);
    if (known) {
      known.peer = saturating(known.peer, asset.peer);
      return;
    }
    if (this.top.size < STATS_TOP_ASSETS) {
      this.top.set(asset.hash, { ...asset });
      return;
    }
    let smallest: TopAsset | null = null;
    for (const entry of this.top.values()) if (!smallest || entry.peer < smallest.peer) smallest = entry;
    if (smallest && asset.peer > smallest.peer) {
      this.top.delete(smallest.hash);
      this.top.set(asset.hash, { ...asset });
    }
  }

  private sampleOnline(minute: number): void {
    this.series.max(minute, F.peersOnline, this.server.peersOnline);
  }
}

function clampCount(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.min(Math.floor(value), Number.MAX_SAFE_INTEGER) : 0;
}
