/**
 * The signaling server as a hono app: the signaling route, the WebTorrent tracker route and a
 * health route. It takes the runtime's `upgradeWebSocket` (hono's neutral helper shape), so
 * every runtime adapter builds the same app and only maps its own socket type.
 */

import { Hono } from 'hono';
import type { UpgradeWebSocket } from 'hono/ws';
import { DEFAULT_HEALTH_PATH, DEFAULT_SIGNAL_PATH, DEFAULT_TRACKER_PATH } from '../protocol/routes.ts';
import { clientAddress, type RuntimeAddress, type TrustProxy } from './client-address.ts';
import { localBackend } from './dashboard/local-backend.ts';
import { type DashboardBackend, mountDashboard } from './dashboard/routes.ts';
import { type AllowedOrigins, createOriginCheck } from './origin-policy.ts';
import type { SignalHubs } from './signal-hubs.ts';
import { mountSocketRoute } from './socket-route.ts';

/** The path this app serves the tracker on, for tests/unit/build-torrent.test.ts: the build's default announce path must be it. */

export interface SignalAppOptions<T> {
  upgradeWebSocket: UpgradeWebSocket<T>;
  hubs: SignalHubs;
  /** `'*'` or the exact page origins allowed to connect (default `'*'`). */
  allowedOrigins?: AllowedOrigins;
  /** The runtime's peer address of a request (hono's getConnInfo), for the per-address caps. */
  runtimeAddress?: RuntimeAddress;
  /** Which proxy header, if any, names the client instead (default `'none'`: see client-address.ts). */
  trustProxy?: TrustProxy;
  /**
   * The site owner's token for the dashboard, metrics and P2P switch (dashboard/routes.ts); null
   * or absent: those routes answer 404.
   */
  dashboardToken?: string | null;
  /** Where those routes read from; default this app's own hubs (Cloudflare passes its Durable Objects). */
  dashboardBackend?: DashboardBackend;
}

export function createSignalApp<T>(options: SignalAppOptions<T>): Hono {
  const { hubs, upgradeWebSocket } = options;
  const originAllowed = createOriginCheck(options.allowedOrigins ?? '*');
  const trustProxy = options.trustProxy ?? 'none';
  const app = new Hono();

  app.get(DEFAULT_HEALTH_PATH, (c) => {
    c.header('Cache-Control', 'no-store');
    return c.json({ ok: true, ...hubs.stats() });
  });

  // The tracker has its own path rather than one socket dispatching on `action`: the two
  // protocols differ in framing (binary-string ids, `failure reason` vs typed errors), in limits
  // and in who connects (Node and desktop WebTorrent clients as well as pages), and WebTorrent
  // connects to the announce URL as written in the torrent, so a dedicated URL costs nothing and
  // keeps each decoder strict.
  mountSocketRoute(app, {
    path: DEFAULT_TRACKER_PATH,
    upgradeWebSocket,
    // A page on a foreign origin may not use this tracker through its visitors' browsers. No
    // Origin at all means a non-browser client (Node or desktop WebTorrent), which could send
    // any Origin it liked, so refusing it would stop only honest ones.
    originRefusal: (origin) =>
      origin === undefined || originAllowed(origin) ? null : { 'failure reason': 'this origin may not use this tracker' },
    address: (c) => clientAddress(c, trustProxy, options.runtimeAddress),
    capacityRefusal: (address) => {
      const admitted = hubs.tracker.admit(address);
      return admitted.ok ? null : { 'failure reason': admitted.error };
    },
    accept: (socket, address) => hubs.tracker.accept(socket, { address }),
    notUpgraded: 'this route speaks WebSocket only (WebTorrent tracker)',
  });

  mountDashboard(app, { token: options.dashboardToken ?? null, backend: options.dashboardBackend ?? localBackend(hubs) });

  mountSocketRoute(app, {
    path: DEFAULT_SIGNAL_PATH,
    upgradeWebSocket,
    originRefusal: (origin) =>
      originAllowed(origin)
        ? null
        : { type: 'error', code: 'origin-not-allowed', message: 'this origin may not use this signaling server' },
    address: (c) => clientAddress(c, trustProxy, options.runtimeAddress),
    capacityRefusal: (address) => {
      const admitted = hubs.signal.admit(address);
      return admitted.ok ? null : { type: 'error', code: admitted.code, message: admitted.error };
    },
    accept: (socket, address) => hubs.signal.accept(socket, { address }),
    notUpgraded: 'this route speaks WebSocket only',
  });

  return app;
}
