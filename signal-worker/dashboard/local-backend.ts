/**
 * The dashboard's backend in one process (Node, Deno, Bun): every swarm's statistics are in its
 * signaling hub, and the switch tells that hub's bridges at once.
 */
import type { SignalHubs } from '../signal-hubs.ts';
import { encodePrometheus } from './prometheus.ts';
import type { DashboardBackend } from './routes.ts';
import { dashboardData, metricFamilies, type UsageSource } from './usage-view.ts';

export function hubsUsageSource(hubs: SignalHubs): UsageSource {
  return {
    usage: hubs.signal.usage,
    stats: () => hubs.stats(),
    modeOf: (swarm) => hubs.signal.modeOf(swarm),
    p2pModes: () => hubs.signal.p2pModes,
  };
}

export function localBackend(hubs: SignalHubs, now: () => number = Date.now): DashboardBackend {
  const source = hubsUsageSource(hubs);
  return {
    data: async (swarm) => dashboardData(source, swarm, now()),
    metrics: async () => encodePrometheus(metricFamilies(source)),
    modes: async () => hubs.signal.p2pModes,
    setModes: async (modes) => hubs.signal.setP2pModes(modes),
  };
}
