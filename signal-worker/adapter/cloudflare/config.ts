/**
 * The Worker's settings from its environment: the Durable Object bindings wrangler.jsonc declares
 * and one JSON var, `PEER_CONNECT_SIGNAL_CONFIG` (`{limits, trackerLimits, allowedOrigins}`),
 * settable in wrangler.jsonc `vars`, with `wrangler dev --var` or in the dashboard.
 */
import { isRecord } from '../../../protocol/result.ts';
import { DEFAULT_SIGNAL_LIMITS, type SignalLimits } from '../../core/limits.ts';
import { DEFAULT_TRACKER_LIMITS, type TrackerLimits } from '../../core/tracker-limits.ts';
import type { AllowedOrigins } from '../../origin-policy.ts';
import type { DurableObjectNamespace } from './workers-types.ts';

export interface WorkerEnv {
  SIGNAL_SWARMS: DurableObjectNamespace;
  TRACKER_SITES: DurableObjectNamespace;
  /** A JSON string (from `--var`) or an object (from wrangler.jsonc `vars`); optional. */
  PEER_CONNECT_SIGNAL_CONFIG?: unknown;
}

export interface WorkerConfig {
  limits: Partial<SignalLimits>;
  trackerLimits: Partial<TrackerLimits>;
  allowedOrigins: AllowedOrigins;
}

/**
 * Decodes the config var. A bad value is an operator's mistake that must not pass silently, so
 * it throws (the Worker answers 500 with the message); limit values are checked by the core.
 */
export function readConfig(env: Pick<WorkerEnv, 'PEER_CONNECT_SIGNAL_CONFIG'>): WorkerConfig {
  const raw = env.PEER_CONNECT_SIGNAL_CONFIG;
  const value: unknown = typeof raw === 'string' ? (raw.trim() === '' ? {} : JSON.parse(raw)) : (raw ?? {});
  if (!isRecord(value)) throw new TypeError('PEER_CONNECT_SIGNAL_CONFIG must be a JSON object');
  return {
    limits: numbers(value.limits, Object.keys(DEFAULT_SIGNAL_LIMITS), 'limits') as Partial<SignalLimits>,
    trackerLimits: numbers(value.trackerLimits, Object.keys(DEFAULT_TRACKER_LIMITS), 'trackerLimits') as Partial<TrackerLimits>,
    allowedOrigins: origins(value.allowedOrigins),
  };
}

function numbers(value: unknown, known: string[], field: string): Record<string, number> {
  if (value === undefined) return {};
  if (!isRecord(value)) throw new TypeError(`PEER_CONNECT_SIGNAL_CONFIG.${field} must be an object`);
  const out: Record<string, number> = {};
  for (const [key, n] of Object.entries(value)) {
    if (!known.includes(key)) throw new TypeError(`PEER_CONNECT_SIGNAL_CONFIG.${field}.${key} is not a known limit`);
    if (typeof n !== 'number') throw new TypeError(`PEER_CONNECT_SIGNAL_CONFIG.${field}.${key} must be a number`);
    out[key] = n;
  }
  return out;
}

function origins(value: unknown): AllowedOrigins {
  if (value === undefined || value === '*') return '*';
  if (Array.isArray(value) && value.every((o): o is string => typeof o === 'string')) return value;
  throw new TypeError("PEER_CONNECT_SIGNAL_CONFIG.allowedOrigins must be '*' or a list of origins");
}
