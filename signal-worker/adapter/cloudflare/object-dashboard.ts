/**
 * A swarm object's side of the dashboard routes: the Worker checks the token, then forwards
 * `GET data | metrics | p2p` and `POST p2p` to `<OBJECT_DASHBOARD_PREFIX><op>` of the swarm's
 * object, which answers from its own hub. The object is reachable only through the Worker, and
 * the Worker forwards these paths only from the guarded routes.
 */
import { parseJson } from '../../../protocol/result.ts';
import { decodeP2pModes, type P2pModes } from '../../../protocol/usage-report.ts';
import type { SignalHub } from '../../core/signal/signal-hub.ts';
import { encodePrometheus, PROMETHEUS_CONTENT_TYPE } from '../../dashboard/prometheus.ts';
import { dashboardData, metricFamilies, type UsageSource } from '../../dashboard/usage-view.ts';

export const OBJECT_DASHBOARD_PREFIX = '/peer-connect/object/';

export interface ObjectDashboard {
  hub: SignalHub;
  now: number;
  saveModes(modes: P2pModes): void;
}

export async function answerDashboard(request: Request, url: URL, object: ObjectDashboard): Promise<Response> {
  const { hub, now } = object;
  const source: UsageSource = {
    usage: hub.usage,
    // One object holds no tracker: its route has objects of its own.
    stats: () => ({ ...hub.stats(), tracker: { swarms: 0, peers: 0, connections: 0 } }),
    modeOf: (swarm) => hub.modeOf(swarm),
    p2pModes: () => hub.p2pModes,
  };
  const op = url.pathname.slice(OBJECT_DASHBOARD_PREFIX.length);
  if (op === 'data') return Response.json(dashboardData(source, url.searchParams.get('swarm'), now));
  if (op === 'metrics')
    return new Response(encodePrometheus(metricFamilies(source)), { headers: { 'Content-Type': PROMETHEUS_CONTENT_TYPE } });
  if (op === 'p2p' && request.method === 'GET') return Response.json({ modes: hub.p2pModes });
  if (op === 'p2p' && request.method === 'POST') {
    const parsed = parseJson(await request.text());
    const modes = parsed.ok ? decodeP2pModes(parsed.value) : parsed;
    if (!modes.ok) return Response.json({ error: modes.error }, { status: 400 });
    object.saveModes(modes.value);
    return Response.json({ modes: modes.value, told: hub.setP2pModes(modes.value) });
  }
  return new Response('not found', { status: 404 });
}
