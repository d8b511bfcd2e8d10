/**
 * The Cloudflare Worker: the same hono app as every runtime (health, signaling, tracker routes,
 * origin checks), except that a WebSocket upgrade is not accepted here but handed whole to the
 * Durable Object that owns its swarm (signaling) or site (tracker). Those objects hold all state;
 * the Worker holds none, so any number of its isolates can run side by side.
 */

import { type Context, Hono } from 'hono';
import { defineWebSocketHelper } from 'hono/ws';
import { DEFAULT_HEALTH_PATH, DEFAULT_TRACKER_PATH } from '../../../protocol/routes.ts';
import { createSignalApp } from '../../app.ts';
import { dashboardTokenProblem } from '../../dashboard/token.ts';
import { SignalHubs } from '../../signal-hubs.ts';
import { decodeSignalConfig, SIGNAL_CONFIG_VAR, type SignalConfig } from '../signal-config.ts';
import { shardOf } from './shard.ts';
import { objectBackend } from './worker-dashboard.ts';
import type { WorkerEnv } from './worker-env.ts';
import type { DurableObjectNamespace } from './workers-types.ts';

export { SignalSwarm } from './signal-swarm.ts';
export { TrackerSite } from './tracker-site.ts';

type WorkerContext = Context<{ Bindings: WorkerEnv }>;

/** The object class for a route: the tracker path has its own, every other upgrade is signaling. */
function namespaceFor(c: WorkerContext): DurableObjectNamespace {
  return c.req.path === DEFAULT_TRACKER_PATH ? c.env.TRACKER_SITES : c.env.SIGNAL_SWARMS;
}

/** Sends a request to its object; the object's answer (a 101 with the socket, or stats) goes back as is. */
async function toObject(c: WorkerContext): Promise<Response> {
  const shard = shardOf(new URL(c.req.url));
  if (!shard.ok) return c.json({ type: 'error', code: 'malformed', message: shard.error }, 400);
  const namespace = namespaceFor(c);
  return namespace.get(namespace.idFromName(shard.value)).fetch(c.req.raw);
}

/**
 * hono's upgrade-helper shape, so `createSignalApp` mounts its routes unchanged. The events it
 * is given are never used: the socket is accepted by the object, with the hibernation API.
 */
const forwardUpgrade = defineWebSocketHelper<unknown>(async (c) => {
  if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') return undefined;
  return toObject(c as WorkerContext);
});

/**
 * State lives in the objects: health with `?swarm=` asks that swarm's object (`&route=tracker`
 * the site's tracker object); without one it only says the Worker is up and touches no object.
 * Asking an object wakes it and, for a name never used, creates it (with its SQLite storage), so
 * only the swarms the operator listed in `healthSwarms` are asked; any other is 404.
 */
function mountHealth(app: Hono<{ Bindings: WorkerEnv }>, healthSwarms: ReadonlySet<string>): void {
  app.get(DEFAULT_HEALTH_PATH, async (c) => {
    c.header('Cache-Control', 'no-store');
    if (c.req.query('swarm') === undefined) return c.json({ ok: true, runtime: 'workerd', sharded: 'by ?swarm=' });
    const shard = shardOf(new URL(c.req.url));
    if (!shard.ok) return c.json({ ok: false, error: shard.error }, 400);
    if (!healthSwarms.has(shard.value)) {
      const error =
        `no health for swarm ${JSON.stringify(shard.value)}: it is not in ${SIGNAL_CONFIG_VAR}.healthSwarms. ` +
        'Asking would wake (or create) its Durable Object, so only listed swarms are answered; ' +
        `add it to "healthSwarms" in vars.${SIGNAL_CONFIG_VAR} (wrangler.jsonc) and deploy.`;
      return c.json({ ok: false, error }, 404);
    }
    const namespace = c.req.query('route') === 'tracker' ? c.env.TRACKER_SITES : c.env.SIGNAL_SWARMS;
    return namespace.get(namespace.idFromName(shard.value)).fetch(c.req.raw);
  });
}

function buildApp(config: SignalConfig, dashboardToken: string | null): Hono<{ Bindings: WorkerEnv }> {
  const app = new Hono<{ Bindings: WorkerEnv }>();
  mountHealth(app, new Set(config.healthSwarms));
  // These hubs never accept a socket (every upgrade goes to an object); they exist only because
  // the shared app takes them, and hold no timers while unused.
  const inner = createSignalApp({
    upgradeWebSocket: forwardUpgrade,
    allowedOrigins: config.allowedOrigins,
    hubs: new SignalHubs(config),
    dashboardToken,
    dashboardBackend: objectBackend,
  });
  app.route('/', inner);
  return app;
}

let app: Hono<{ Bindings: WorkerEnv }> | null = null;

export default {
  fetch(request: Request, env: WorkerEnv, ctx: unknown): Response | Promise<Response> {
    // Built on the first request, not at load: the config is in `env`, which only requests see.
    if (!app) {
      const config = decodeSignalConfig(env.PEER_CONNECT_SIGNAL_CONFIG);
      if (!config.ok) return new Response(`peer-connect: bad configuration: ${config.error}`, { status: 500 });
      const token = env.PEER_CONNECT_DASHBOARD_TOKEN || null;
      const problem = token === null ? null : dashboardTokenProblem(token);
      if (problem !== null) return new Response(`peer-connect: bad configuration: ${problem}`, { status: 500 });
      app = buildApp(config.value, token);
    }
    return app.fetch(request, env, ctx as never);
  },
};
