/**
 * The dashboard routes' backend on Cloudflare: state lives in one Durable Object per swarm, so
 * every route needs `?swarm=` and is answered by that swarm's object (object-dashboard.ts). The
 * token is checked before (dashboard/routes.ts), so no unauthenticated request wakes or creates
 * an object. Metrics are per swarm too: a Prometheus job scrapes one URL per swarm.
 */
import type { Context } from 'hono';
import type { DashboardBackend } from '../../dashboard/routes.ts';
import { OBJECT_DASHBOARD_PREFIX } from './object-dashboard.ts';
import { shardOf, UNSHARDED } from './shard.ts';
import type { WorkerEnv } from './worker-env.ts';

function forward(c: Context, op: string, init?: RequestInit): Promise<Response> | Response {
  const url = new URL(c.req.url);
  const shard = shardOf(url);
  if (!shard.ok) return c.json({ error: shard.error }, 400);
  if (shard.value === UNSHARDED) return c.json({ error: 'on Cloudflare every swarm is its own Durable Object: add ?swarm=<id>' }, 400);
  const namespace = (c.env as WorkerEnv).SIGNAL_SWARMS;
  const target = new URL(`${OBJECT_DASHBOARD_PREFIX}${op}`, url.origin);
  target.searchParams.set('swarm', shard.value);
  return namespace.get(namespace.idFromName(shard.value)).fetch(new Request(target, init));
}

export const objectBackend: DashboardBackend = {
  data: async (_swarm, c) => forward(c, 'data'),
  metrics: async (c) => forward(c, 'metrics'),
  modes: async (c) => forward(c, 'p2p'),
  setModes: async (modes, c) =>
    forward(c, 'p2p', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(modes) }),
};
