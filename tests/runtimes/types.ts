/**
 * One signaling server started for real in one runtime, as the compliance suite and the load
 * benchmark see it. Every runtime's launcher returns this shape, so a test or a benchmark runs
 * unchanged against Node, Deno, Bun and workerd.
 */
import type { SignalLimits } from '../../signal-worker/core/signal/signal-limits.ts';
import type { TrackerLimits } from '../../signal-worker/core/tracker/tracker-limits.ts';
import type { AllowedOrigins } from '../../signal-worker/origin-policy.ts';

export type RuntimeName = 'node' | 'deno' | 'bun' | 'workerd';
export const RUNTIMES: readonly RuntimeName[] = ['node', 'deno', 'bun', 'workerd'];

export interface LaunchOptions {
  limits?: Partial<SignalLimits>;
  trackerLimits?: Partial<TrackerLimits>;
  /** Default `'*'`. */
  allowedOrigins?: AllowedOrigins;
  /** workerd only: the swarms whose per-swarm health the Worker answers (default none). */
  healthSwarms?: readonly string[];
  /** Give up starting after this long (default 30 s). */
  startTimeoutMs?: number;
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
  constructor(readonly runtime: RuntimeName, reason: string) {
    super(`${runtime} could not start here: ${reason}`);
  }
}
