/**
 * The site owner's routes on the signaling app, the same on every runtime: the dashboard (HTML,
 * its script and stylesheet, its JSON), the metrics (Prometheus text) and the P2P switch.
 *
 * Never open by default: a server with no token answers 404 on all of them, as if they did not
 * exist, whatever address it listens on. Loopback is no safe default: a reverse proxy on the same
 * host makes every request come from 127.0.0.1. With a token, a request without it (or with
 * another) gets 401; the token is compared in constant time (token.ts).
 */
import type { Context, Hono } from 'hono';
import { MAX_P2P_CONFIG_CHARS } from '../../protocol/limits.ts';
import { parseJson } from '../../protocol/result.ts';
import { DEFAULT_DASHBOARD_PATH, DEFAULT_METRICS_PATH, DEFAULT_P2P_PATH } from '../../protocol/routes.ts';
import { decodeP2pModes, type P2pModes } from '../../protocol/usage-report.ts';
import { DASHBOARD_CSS, DASHBOARD_SCRIPT } from './page/bundle.gen.ts';
import { DASHBOARD_CSP, dashboardHtml } from './page/page-html.ts';
import { PROMETHEUS_CONTENT_TYPE } from './prometheus.ts';
import { requestToken, tokenMatches } from './token.ts';
import type { DashboardData } from './usage-view.ts';

/** Where the routes' answers come from: a process's hubs, or (Cloudflare) a swarm's Durable Object. */
export interface DashboardBackend {
  data(swarm: string | null, c: Context): Promise<DashboardData | Response>;
  metrics(c: Context): Promise<string | Response>;
  modes(c: Context): Promise<P2pModes | Response>;
  /** Replaces the modes; the number of bridges told at once. */
  setModes(modes: P2pModes, c: Context): Promise<number | Response>;
}

export interface DashboardOptions {
  /** Null: every route answers 404. */
  token: string | null;
  backend: DashboardBackend;
}

const SECURITY_HEADERS = { 'Cache-Control': 'no-store', 'Referrer-Policy': 'no-referrer', 'X-Content-Type-Options': 'nosniff' };

export function mountDashboard(app: Hono, options: DashboardOptions): void {
  const { token, backend } = options;
  const guarded =
    (handler: (c: Context) => Promise<Response> | Response) =>
    async (c: Context): Promise<Response> => {
      if (token === null) return c.notFound();
      if (!(await tokenMatches(requestToken(c), token))) {
        return c.text('a dashboard token is needed (Authorization: Bearer <token>, or ?token=)', 401, {
          ...SECURITY_HEADERS,
          'WWW-Authenticate': 'Bearer realm="peer-connect"',
        });
      }
      return handler(c);
    };
  // The script and stylesheet carry no data, but a server with no token has no dashboard at all.
  const asset = (body: string, type: string) => (c: Context) =>
    token === null
      ? c.notFound()
      : c.body(body, 200, { 'Content-Type': type, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });

  app.get(`${DEFAULT_DASHBOARD_PATH}/app.js`, asset(DASHBOARD_SCRIPT, 'text/javascript; charset=utf-8'));
  app.get(`${DEFAULT_DASHBOARD_PATH}/app.css`, asset(DASHBOARD_CSS, 'text/css; charset=utf-8'));
  app.get(
    DEFAULT_DASHBOARD_PATH,
    guarded((c) =>
      c.html(dashboardHtml(), 200, { ...SECURITY_HEADERS, 'Content-Security-Policy': DASHBOARD_CSP, 'X-Frame-Options': 'DENY' }),
    ),
  );
  app.get(
    `${DEFAULT_DASHBOARD_PATH}/data`,
    guarded(async (c) => {
      const data = await backend.data(c.req.query('swarm') ?? null, c);
      return data instanceof Response ? data : c.json(data, 200, SECURITY_HEADERS);
    }),
  );
  app.get(
    DEFAULT_METRICS_PATH,
    guarded(async (c) => {
      const text = await backend.metrics(c);
      return text instanceof Response ? text : c.body(text, 200, { ...SECURITY_HEADERS, 'Content-Type': PROMETHEUS_CONTENT_TYPE });
    }),
  );
  app.get(
    DEFAULT_P2P_PATH,
    guarded(async (c) => {
      const modes = await backend.modes(c);
      return modes instanceof Response ? modes : c.json({ modes }, 200, SECURITY_HEADERS);
    }),
  );
  app.post(
    DEFAULT_P2P_PATH,
    guarded(async (c) => {
      const text = await c.req.text();
      if (text.length > MAX_P2P_CONFIG_CHARS)
        return c.json({ error: `body over ${MAX_P2P_CONFIG_CHARS} characters` }, 413, SECURITY_HEADERS);
      const parsed = parseJson(text);
      const modes = parsed.ok ? decodeP2pModes(parsed.value) : parsed;
      if (!modes.ok) return c.json({ error: modes.error }, 400, SECURITY_HEADERS);
      const told = await backend.setModes(modes.value, c);
      return told instanceof Response ? told : c.json({ modes: modes.value, told }, 200, SECURITY_HEADERS);
    }),
  );
}
