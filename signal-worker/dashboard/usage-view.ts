/**
 * What the dashboard's JSON and the metrics text say, made from one hub's statistics. Pure: the
 * routes pass a `UsageSource` (a process's hubs, or one Durable Object's) and the time.
 */
import { type P2pMode, type P2pModes, zeroCounters } from '../../protocol/usage-report.ts';
import { minuteOf } from '../core/stats/minute-series.ts';
import { type ReportedTotals, SERIES_FIELDS, type SeriesField, type TopAsset } from '../core/stats/swarm-usage.ts';
import type { ServerCounters, UsageBoard } from '../core/stats/usage-board.ts';
import type { HubStats } from '../signal-hubs.ts';
import type { MetricFamily, Sample } from './prometheus.ts';

/** What the routes read: one hub's statistics, its counts and its switch. */
export interface UsageSource {
  usage: UsageBoard;
  stats(): HubStats;
  modeOf(swarm: string): P2pMode;
  p2pModes(): P2pModes;
}

/** The dashboard's JSON (`GET /peer-connect/dashboard/data?swarm=`). */
export interface DashboardData {
  now: number;
  /** Swarms with statistics, most joins first. */
  swarms: string[];
  /** The swarm shown (the one asked for, else the first); null when there is none yet. */
  swarm: string | null;
  mode: P2pMode;
  /** What the server counted itself: trustworthy. */
  server: {
    peersOnline: number;
    joins: number;
    relays: number;
    connections: number;
    trackerPeers: number;
    counters: ServerCounters;
  };
  /** What visitors reported: the server cannot check these. */
  reported: ReportedTotals & {
    /** Bytes from peers since 00:00 UTC: origin bytes saved today. */
    peerBytesToday: number;
    /** Bytes from the origin (web seed included) since 00:00 UTC. */
    originBytesToday: number;
  };
  /** The last 24 h, one point a minute (only minutes with something in them). */
  series: { minutes: number[] } & Record<SeriesField, number[]>;
  top: TopAsset[];
}

const EMPTY_REPORTED: ReportedTotals = { ...zeroCounters(), reports: 0 };

export function dashboardData(source: UsageSource, wanted: string | null, now: number): DashboardData {
  const all = source.usage.all().sort((a, b) => b.server.joins - a.server.joins);
  const usage = (wanted === null ? all[0] : source.usage.get(wanted)) ?? null;
  const stats = source.stats();
  const series = Object.fromEntries([['minutes', []], ...SERIES_FIELDS.map((f) => [f, []])]) as unknown as DashboardData['series'];
  let reported = { ...EMPTY_REPORTED, peerBytesToday: 0, originBytesToday: 0 };
  let top: TopAsset[] = [];
  let server = { peersOnline: 0, joins: 0, relays: 0 };
  if (usage) {
    const state = usage.state(now);
    for (const point of state.series) {
      series.minutes.push(point.minute);
      SERIES_FIELDS.forEach((f, i) => {
        series[f].push(point.values[i] ?? 0);
      });
    }
    const today = minuteOf(now) - (minuteOf(now) % (24 * 60));
    const originToday = state.series
      .filter((p) => p.minute >= today)
      .reduce((n, p) => n + (p.values[SERIES_FIELDS.indexOf('origin')] ?? 0), 0);
    reported = { ...state.reported, peerBytesToday: usage.peerBytesToday(now), originBytesToday: originToday };
    top = state.top;
    server = { peersOnline: usage.server.peersOnline, joins: state.server.joins, relays: state.server.relays };
  }
  const swarm = usage?.swarm ?? wanted;
  return {
    now,
    swarms: all.map((u) => u.swarm),
    swarm: swarm ?? null,
    mode: source.modeOf(swarm ?? ''),
    server: { ...server, connections: stats.connections, trackerPeers: stats.tracker.peers, counters: source.usage.counters },
    reported,
    series,
    top,
  };
}

/** Resident memory in bytes where the runtime tells (Node, Bun, Deno's `process`); null on workerd. */
export function residentMemory(): number | null {
  const proc = (globalThis as { process?: { memoryUsage?: () => { rss: number } } }).process;
  try {
    return proc?.memoryUsage?.().rss ?? null;
  } catch {
    return null;
  }
}

const perKey = (counts: Readonly<Record<string, number>>, label: string): Sample[] =>
  Object.entries(counts).map(([key, value]) => ({ labels: { [label]: key }, value }));

/** The metrics, every swarm's and the server's, as Prometheus families (see README "Dashboard and metrics"). */
export function metricFamilies(source: UsageSource): MetricFamily[] {
  const swarms = source.usage.all();
  const perSwarm = (pick: (u: (typeof swarms)[number]) => number): Sample[] =>
    swarms.map((u) => ({ labels: { swarm: u.swarm }, value: pick(u) }));
  const stats = source.stats();
  const c = source.usage.counters;
  const sources: Array<[string, keyof ReportedTotals]> = [
    ['peer', 'peer'],
    ['origin', 'origin'],
    ['cache', 'cache'],
    ['web_seed', 'webSeed'],
  ];
  const families: MetricFamily[] = [
    {
      name: 'peer_connect_reported_bytes_total',
      help: 'Bytes visitors reported their service worker served, by source (visitor-reported, unverified; origin includes web_seed).',
      type: 'counter',
      samples: swarms.flatMap((u) =>
        sources.map(([label, key]) => ({ labels: { swarm: u.swarm, source: label }, value: u.reported[key] })),
      ),
    },
    {
      name: 'peer_connect_reported_uploaded_bytes_total',
      help: 'Bytes visitors reported uploading to other visitors (visitor-reported).',
      type: 'counter',
      samples: perSwarm((u) => u.reported.uploaded),
    },
    {
      name: 'peer_connect_reported_failures_total',
      help: 'Failed piece requests to peers (visitor-reported).',
      type: 'counter',
      samples: perSwarm((u) => u.reported.failures),
    },
    {
      name: 'peer_connect_reported_bad_pieces_total',
      help: 'Pieces from peers that failed their hash (visitor-reported).',
      type: 'counter',
      samples: perSwarm((u) => u.reported.badPieces),
    },
    {
      name: 'peer_connect_reported_bans_total',
      help: 'Peers banned by visitors (visitor-reported).',
      type: 'counter',
      samples: perSwarm((u) => u.reported.bans),
    },
    { name: 'peer_connect_reports_total', help: 'Usage reports accepted.', type: 'counter', samples: perSwarm((u) => u.reported.reports) },
    {
      name: 'peer_connect_peers_online',
      help: 'Peers joined on the signaling route now (server-counted).',
      type: 'gauge',
      samples: perSwarm((u) => u.server.peersOnline),
    },
    {
      name: 'peer_connect_joins_total',
      help: 'Joins on the signaling route (server-counted).',
      type: 'counter',
      samples: perSwarm((u) => u.server.joins),
    },
    {
      name: 'peer_connect_relays_total',
      help: 'Offers and answers relayed between peers (server-counted).',
      type: 'counter',
      samples: perSwarm((u) => u.server.relays),
    },
    {
      name: 'peer_connect_p2p_mode',
      help: 'The swarm P2P mode: 1 for the mode in force.',
      type: 'gauge',
      samples: swarms.map((u) => ({ labels: { swarm: u.swarm, mode: source.modeOf(u.swarm) }, value: 1 })),
    },
    {
      name: 'peer_connect_signal_connections',
      help: 'Open sockets on the signaling route.',
      type: 'gauge',
      samples: [{ value: stats.connections }],
    },
    {
      name: 'peer_connect_tracker_connections',
      help: 'Open sockets on the tracker route.',
      type: 'gauge',
      samples: [{ value: stats.tracker.connections }],
    },
    { name: 'peer_connect_signal_swarms', help: 'Swarms with a joined peer.', type: 'gauge', samples: [{ value: stats.swarms }] },
    { name: 'peer_connect_tracker_peers', help: 'Peers on the tracker route.', type: 'gauge', samples: [{ value: stats.tracker.peers }] },
    {
      name: 'peer_connect_connections_opened_total',
      help: 'Sockets accepted on the signaling route.',
      type: 'counter',
      samples: [{ value: c.connectionsOpened }],
    },
    {
      name: 'peer_connect_messages_total',
      help: 'Messages received on the signaling route.',
      type: 'counter',
      samples: [{ value: c.messages }],
    },
    {
      name: 'peer_connect_errors_sent_total',
      help: 'Error messages sent to signaling clients, by code (refusals and protocol violations).',
      type: 'counter',
      samples: perKey(c.errors, 'code'),
    },
    {
      name: 'peer_connect_connections_refused_total',
      help: 'Signaling sockets refused before the upgrade (503), by code.',
      type: 'counter',
      samples: perKey(c.refusedBeforeUpgrade, 'code'),
    },
    {
      name: 'peer_connect_reports_refused_total',
      help: 'Usage reports not counted, by reason.',
      type: 'counter',
      samples: perKey(c.reportsRefused, 'reason'),
    },
  ];
  const memory = residentMemory();
  if (memory !== null)
    families.push({
      name: 'process_resident_memory_bytes',
      help: 'Resident memory size in bytes.',
      type: 'gauge',
      samples: [{ value: memory }],
    });
  return families;
}
