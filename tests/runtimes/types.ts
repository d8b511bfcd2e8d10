/**
 * One signaling server started for real in one runtime, as the compliance suite and the load
 * benchmark see it. Every runtime's launcher returns this shape, so a test or a benchmark runs
 * unchanged against Node, Deno, Bun and workerd.
 */
import type { SignalConfig } from '../../signal-worker/adapter/signal-config.ts';

export type RuntimeName = 'node' | 'deno' | 'bun' | 'workerd';
export const RUNTIMES: readonly RuntimeName[] = ['node', 'deno', 'bun', 'workerd'];

/**
 * The server's config (PEER_CONNECT_SIGNAL_CONFIG, the same JSON for every runtime; only workerd
 * reads `healthSwarms`) and how long to wait for it.
 */
export interface LaunchOptions extends Partial<SignalConfig> {
  /** Give up starting after this long (default 30 s). */
  startTimeoutMs?: number;
  /** PEER_CONNECT_DASHBOARD_TOKEN (the dashboard, metrics and P2P switch); unset by default. */
  dashboardToken?: string;
}

/** The PEER_CONNECT_SIGNAL_CONFIG value every launcher passes: the options' config, defaults filled in. */
export function launchConfig(options: LaunchOptions): SignalConfig {
  return {
    limits: options.limits ?? {},
    trackerLimits: options.trackerLimits ?? {},
    allowedOrigins: options.allowedOrigins ?? '*',
    healthSwarms: options.healthSwarms ?? [],
    trustProxy: options.trustProxy ?? 'none',
    p2p: options.p2p ?? {},
  };
}

export interface RuntimeServer {
  runtime: RuntimeName;
  /** `ws://127.0.0.1:<port>/peer-connect/signal` */
  url: string;
  /** `ws://127.0.0.1:<port>/peer-connect/announce` */
  trackerUrl: string;
  /** `http://127.0.0.1:<port>/peer-connect/health` */
  healthUrl: string;
  /** Resident memory of the runtime's process tree, in bytes (read from /proc). */
  rssBytes(): Promise<number>;
  stop(): Promise<void>;
}

/** Thrown when a runtime cannot start on this machine; the suite reports it by name and fails. */
export class RuntimeUnavailable extends Error {
  constructor(
    readonly runtime: RuntimeName,
    reason: string,
  ) {
    super(`${runtime} could not start here: ${reason}`);
  }
}
