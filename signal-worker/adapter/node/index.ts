/**
 * The Node adapter: the signaling server on its own port, or together with a static site on one
 * origin (what `peer-connect serve <dir>` and `npm start` run). Binds 127.0.0.1 unless told otherwise.
 * Every route of the site server sits behind site-guard.ts: the Host check against DNS rebinding
 * (host-policy.ts) and nosniff.
 */
import { Hono } from 'hono';
import { DEFAULT_SIGNAL_PATH } from '../../../protocol/bridge-config.ts';
import { DEFAULT_TRACKER_PATH } from '../../../protocol/manifest.ts';
import { createSignalApp } from '../../app.ts';
import { SignalHubs } from '../../signal-hubs.ts';
import type { SignalLimits } from '../../core/signal/signal-limits.ts';
import type { SignalStats } from '../../core/signal/signal-hub.ts';
import type { TrackerStats } from '../../core/tracker/tracker-hub.ts';
import type { TrackerLimits } from '../../core/tracker/tracker-limits.ts';
import type { AllowedOrigins } from '../../origin-policy.ts';
import { createHostCheck, type AllowedHosts } from './host-policy.ts';
import { listenWithWebSocket } from './listen.ts';
import { siteGuard } from './site-guard.ts';
import { serveStaticSite } from './static-site.ts';

export type { AllowedOrigins } from '../../origin-policy.ts';
export type { AllowedHosts } from './host-policy.ts';
export type { SignalLimits, SignalStats, TrackerLimits, TrackerStats };

const DEFAULT_HOST = '127.0.0.1';

export interface SignalServerOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** Default `'*'`: a bare signaling server is meant to be used from other origins. */
  allowedOrigins?: AllowedOrigins;
  limits?: Partial<SignalLimits>;
  trackerLimits?: Partial<TrackerLimits>;
}

export interface RunningSignalServer {
  /** `ws://host:port/peer-connect/signal` */
  url: string;
  /** `ws://host:port/peer-connect/announce`: the WebTorrent tracker, an announce URL for torrents. */
  trackerUrl: string;
  port: number;
  stats(): SignalStats;
  trackerStats(): TrackerStats;
  close(): Promise<void>;
}

export async function startSignalServer(options: SignalServerOptions = {}): Promise<RunningSignalServer> {
  const hubs = new SignalHubs(options);
  const listening = await listenWithWebSocket(
    { host: options.host ?? DEFAULT_HOST, port: options.port ?? 0, maxPayloadBytes: hubs.maxFrameBytes },
    ({ upgradeWebSocket }) => createSignalApp({ upgradeWebSocket, hubs, allowedOrigins: options.allowedOrigins ?? '*' }),
  );
  const wsOrigin = listening.origin.replace(/^http/, 'ws');
  return {
    url: `${wsOrigin}${DEFAULT_SIGNAL_PATH}`,
    trackerUrl: `${wsOrigin}${DEFAULT_TRACKER_PATH}`,
    port: listening.port,
    stats: () => hubs.signal.stats(),
    trackerStats: () => hubs.tracker.stats(),
    close: () => closeAll(hubs, listening.close),
  };
}

export interface SiteServerOptions {
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
  limits?: Partial<SignalLimits>;
  trackerLimits?: Partial<TrackerLimits>;
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
        app.route('/', createSignalApp({ upgradeWebSocket, hubs, allowedOrigins }));
      }
      app.get('*', serveStaticSite(options.root));
      return app;
    },
  );
  return {
    url: `${listening.origin}/`,
    port: listening.port,
    signalUrl: withSignal ? `${listening.origin.replace(/^http/, 'ws')}${DEFAULT_SIGNAL_PATH}` : '',
    trackerUrl: withSignal ? `${listening.origin.replace(/^http/, 'ws')}${DEFAULT_TRACKER_PATH}` : '',
    stats: () => hubs.signal.stats(),
    trackerStats: () => hubs.tracker.stats(),
    close: () => closeAll(hubs, listening.close),
  };
}

/** The origins a page served by this server can have: both loopback spellings on a loopback host. */
function ownOrigins(origin: string, host: string, port: number): string[] {
  const loopback = host === '127.0.0.1' || host === 'localhost' || host === '::1';
  return loopback ? [origin, `http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`] : [origin];
}

async function closeAll(hubs: SignalHubs, closeServer: () => Promise<void>): Promise<void> {
  hubs.shutdown();
  await closeServer();
}
