/**
 * What every runtime's `startSignalServer` shares: node/, deno/ and bun/index.ts each export it
 * under that one name, with these options and this return type, as hono's adapters all export
 * the same names. A runtime supplies only its `Listen`; the set-up and shut-down around it are
 * here: both hubs from one config, one frame cap, and on close every socket before the listener.
 */

import type { Hono } from 'hono';
import type { UpgradeWebSocket } from 'hono/ws';
import { DEFAULT_SIGNAL_PATH, DEFAULT_TRACKER_PATH } from '../../protocol/routes.ts';
import type { P2pModes } from '../../protocol/usage-report.ts';
import { createSignalApp } from '../app.ts';
import type { RuntimeAddress, TrustProxy } from '../client-address.ts';
import type { SignalStats } from '../core/signal/signal-hub.ts';
import type { SignalLimits } from '../core/signal/signal-limits.ts';
import type { TrackerStats } from '../core/tracker/tracker-hub.ts';
import type { TrackerLimits } from '../core/tracker/tracker-limits.ts';
import type { AllowedOrigins } from '../origin-policy.ts';
import { SignalHubs } from '../signal-hubs.ts';

/** Loopback unless told otherwise: exposing the server is the operator's choice. */
export const DEFAULT_HOST = '127.0.0.1';

export interface SignalServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Default `'*'`: a bare signaling server is meant to be used from other origins. */
  allowedOrigins?: AllowedOrigins;
  limits?: Partial<SignalLimits>;
  trackerLimits?: Partial<TrackerLimits>;
  /** Default `'none'`: the per-address caps count the TCP peer's address (see client-address.ts). */
  trustProxy?: TrustProxy;
  /**
   * The site owner's token for `/peer-connect/dashboard`, `/metrics` and `/p2p`; absent or null:
   * those routes answer 404 (see signal-worker/dashboard/routes.ts).
   */
  dashboardToken?: string | null;
  /** Each swarm's P2P mode at start (`{"*": "on", "<swarm>": "off"}`); default `on` everywhere. */
  p2p?: P2pModes;
}

export interface RunningSignalServer {
  /** `http://host:port` */
  origin: string;
  /** `ws://host:port/peer-connect/signal` */
  url: string;
  /** `ws://host:port/peer-connect/announce`: the WebTorrent tracker, an announce URL for torrents. */
  trackerUrl: string;
  port: number;
  stats(): SignalStats;
  trackerStats(): TrackerStats;
  /** Replaces the P2P modes and tells the affected bridges at once; returns how many were told. */
  setP2pModes(modes: P2pModes): number;
  /** Closes every socket (1001), then the listener; the same promise however often it is called. */
  close(): Promise<void>;
}

/** A runtime's listener, once bound. */
export interface Listening {
  /** `http://host:port` as clients reach it (the real port when 0 was asked for). */
  origin: string;
  port: number;
  close(): Promise<void>;
}

export interface ListenAddress {
  host: string;
  port: number;
  /** Largest WebSocket message to assemble, for a runtime that can cap it (see SignalHubs.maxFrameBytes). */
  maxFrameBytes: number;
}

/**
 * Builds the app once the runtime's WebSocket upgrade helper exists; `runtimeAddress` reads a
 * request's peer address the runtime's way (hono's getConnInfo for it).
 */
export type AppBuilder = <T>(upgradeWebSocket: UpgradeWebSocket<T>, runtimeAddress: RuntimeAddress) => Hono;

/** How one runtime serves an app on an address. */
export type Listen = (address: ListenAddress, build: AppBuilder) => Promise<Listening>;

/** The signaling app on `listen`, with both hubs made from `options`. */
export async function serveSignalApp(listen: Listen, options: SignalServerOptions = {}): Promise<RunningSignalServer> {
  const hubs = new SignalHubs(options);
  const allowedOrigins = options.allowedOrigins ?? '*';
  const address = { host: options.host ?? DEFAULT_HOST, port: options.port ?? 0, maxFrameBytes: hubs.maxFrameBytes };
  const trustProxy = options.trustProxy ?? 'none';
  const listening = await listen(address, (upgradeWebSocket, runtimeAddress) =>
    createSignalApp({ upgradeWebSocket, hubs, allowedOrigins, runtimeAddress, trustProxy, dashboardToken: options.dashboardToken ?? null }),
  );
  const ws = listening.origin.replace(/^http/, 'ws');
  return {
    origin: listening.origin,
    url: `${ws}${DEFAULT_SIGNAL_PATH}`,
    trackerUrl: `${ws}${DEFAULT_TRACKER_PATH}`,
    port: listening.port,
    stats: () => hubs.signal.stats(),
    trackerStats: () => hubs.tracker.stats(),
    setP2pModes: (modes) => hubs.signal.setP2pModes(modes),
    close: closeOnce(hubs, listening),
  };
}

/** Closes the hubs' sockets (so clients hear 1001, not a dropped connection), then the listener; once. */
export function closeOnce(hubs: SignalHubs, listening: Pick<Listening, 'close'>): () => Promise<void> {
  let closing: Promise<void> | null = null;
  return () =>
    (closing ??= (async () => {
      hubs.shutdown();
      await listening.close();
    })());
}

/** `http://host:port`, an IPv6 host in brackets. */
export function httpOrigin(host: string, port: number): string {
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}
