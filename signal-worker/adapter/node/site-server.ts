/**
 * `peer-connect serve` and `npm start`: a built site and, by default, the signaling server on
 * one origin, on Node. Binds 127.0.0.1 unless told otherwise. Every route sits behind
 * site-guard.ts: the Host check against DNS rebinding (host-policy.ts) and nosniff.
 */

import { Hono } from 'hono';
import { DEFAULT_SIGNAL_PATH, DEFAULT_TRACKER_PATH } from '../../../protocol/routes.ts';
import type { P2pModes } from '../../../protocol/usage-report.ts';
import { createSignalApp } from '../../app.ts';
import type { TrustProxy } from '../../client-address.ts';
import type { SignalStats } from '../../core/signal/signal-hub.ts';
import type { TrackerStats } from '../../core/tracker/tracker-hub.ts';
import type { AllowedOrigins } from '../../origin-policy.ts';
import { type HubLimits, SignalHubs } from '../../signal-hubs.ts';
import { closeOnce, DEFAULT_HOST } from '../signal-server.ts';
import { type AllowedHosts, createHostCheck } from './host-policy.ts';
import { listenWithWebSocket, nodeAddress } from './listen.ts';
import { siteGuard } from './site-guard.ts';
import { serveStaticSite } from './static-site.ts';

export interface SiteServerOptions extends HubLimits {
  /** The built site directory. */
  root: string;
  port?: number;
  host?: string;
  /** Serve the signaling route on the same origin (default true). */
  signal?: boolean;
  /** Default: this server's own origin (with `localhost` and `127.0.0.1` both accepted on loopback). */
  allowedOrigins?: AllowedOrigins;
  /**
   * Host names answered besides IP literals and `localhost` (default none); `'*'` for any, behind
   * a proxy that checks Host itself. Other names get 421, against DNS rebinding (host-policy.ts).
   * A malformed name throws before anything is bound.
   */
  allowedHosts?: AllowedHosts;
  /** Default `'none'`: the per-address caps count the TCP peer's address (see client-address.ts). */
  trustProxy?: TrustProxy;
  /** The site owner's token for the dashboard, metrics and P2P switch; absent: those routes answer 404. */
  dashboardToken?: string | null;
}

export interface RunningSiteServer {
  /** `http://host:port/` */
  url: string;
  port: number;
  /** `ws://host:port/peer-connect/signal`, or '' when signal is off. */
  signalUrl: string;
  /** `ws://host:port/peer-connect/announce` (served with the signaling route), or '' when signal is off. */
  trackerUrl: string;
  stats(): SignalStats;
  trackerStats(): TrackerStats;
  /** Replaces the P2P modes and tells the affected bridges at once; returns how many were told. */
  setP2pModes(modes: P2pModes): number;
  close(): Promise<void>;
}

export async function startSiteServer(options: SiteServerOptions): Promise<RunningSiteServer> {
  const hostAllowed = createHostCheck(options.allowedHosts ?? []);
  const hubs = new SignalHubs(options);
  const withSignal = options.signal ?? true;
  const host = options.host ?? DEFAULT_HOST;
  const listening = await listenWithWebSocket(
    { host, port: options.port ?? 0, maxPayloadBytes: hubs.maxFrameBytes },
    ({ upgradeWebSocket, origin, port }) => {
      const app = new Hono();
      app.use(siteGuard(hostAllowed));
      if (withSignal) {
        const allowedOrigins = options.allowedOrigins ?? ownOrigins(origin, host, port);
        app.route(
          '/',
          createSignalApp({
            upgradeWebSocket,
            hubs,
            allowedOrigins,
            runtimeAddress: nodeAddress,
            trustProxy: options.trustProxy ?? 'none',
            dashboardToken: options.dashboardToken ?? null,
          }),
        );
      }
      app.get('*', serveStaticSite(options.root));
      return app;
    },
  );
  const ws = listening.origin.replace(/^http/, 'ws');
  return {
    url: `${listening.origin}/`,
    port: listening.port,
    signalUrl: withSignal ? `${ws}${DEFAULT_SIGNAL_PATH}` : '',
    trackerUrl: withSignal ? `${ws}${DEFAULT_TRACKER_PATH}` : '',
    stats: () => hubs.signal.stats(),
    trackerStats: () => hubs.tracker.stats(),
    setP2pModes: (modes) => hubs.signal.setP2pModes(modes),
    close: closeOnce(hubs, listening),
  };
}

/** The origins a page served by this server can have: both loopback spellings on a loopback host. */
function ownOrigins(origin: string, host: string, port: number): string[] {
  const loopback = host === '127.0.0.1' || host === 'localhost' || host === '::1';
  return loopback ? [origin, `http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`] : [origin];
}
