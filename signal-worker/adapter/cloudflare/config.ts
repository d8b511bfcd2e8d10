/**
 * The Worker's settings from its environment: the Durable Object bindings wrangler.jsonc declares
 * and one JSON var, `PEER_CONNECT_SIGNAL_CONFIG` (`{limits, trackerLimits, allowedOrigins,
 * healthSwarms}`), settable in wrangler.jsonc `vars`, with `wrangler dev --var` or in the dashboard.
 */
import { SWARM_ID_PATTERN } from '../../../protocol/limits.ts';
import { isRecord } from '../../../protocol/result.ts';
import { resolveLimits } from '../../core/socket/limits.ts';
import { DEFAULT_SIGNAL_LIMITS, type SignalLimits } from '../../core/signal/signal-limits.ts';
import { DEFAULT_TRACKER_LIMITS, type TrackerLimits } from '../../core/tracker/tracker-limits.ts';
import { createOriginCheck, type AllowedOrigins } from '../../origin-policy.ts';
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
  /**
   * The swarms (or tracker sites) `/peer-connect/health?swarm=` answers for. Asking wakes, and the
   * first time creates, that swarm's object, so an unlisted one is refused: otherwise anyone could
   * make the account create objects by the million. Default: none.
   */
  healthSwarms: readonly string[];
}

/**
 * Decodes the config var. A bad value is an operator's mistake that must not pass silently, so
 * it throws (the Worker answers 500 with the message). It checks everything the Worker and its
 * objects would later refuse (limit ranges, origin spellings), so that `peer-connect deploy`,
 * which runs this same decoder on the config it is about to upload, refuses the same configs.
 */
export function readConfig(env: Pick<WorkerEnv, 'PEER_CONNECT_SIGNAL_CONFIG'>): WorkerConfig {
  const value = parsed(env.PEER_CONNECT_SIGNAL_CONFIG);
  if (!isRecord(value)) throw new TypeError('PEER_CONNECT_SIGNAL_CONFIG must be a JSON object');
  const limits = numbers(value.limits, Object.keys(DEFAULT_SIGNAL_LIMITS), 'limits') as Partial<SignalLimits>;
  const trackerLimits = numbers(value.trackerLimits, Object.keys(DEFAULT_TRACKER_LIMITS), 'trackerLimits') as Partial<TrackerLimits>;
  // The hubs would throw these same range errors, but only once built: on Cloudflare, at the first request.
  checked('limits', () => resolveLimits('signal', DEFAULT_SIGNAL_LIMITS, limits));
  checked('trackerLimits', () => resolveLimits('tracker', DEFAULT_TRACKER_LIMITS, trackerLimits));
  return { limits, trackerLimits, allowedOrigins: origins(value.allowedOrigins), healthSwarms: swarms(value.healthSwarms) };
}

/** A JSON string (from `--var` or the dashboard) or an already decoded value (from wrangler.jsonc `vars`). */
function parsed(raw: unknown): unknown {
  if (typeof raw !== 'string') return raw ?? {};
  if (raw.trim() === '') return {};
  try {
    return JSON.parse(raw);
  } catch (error) {
    throw new TypeError(`PEER_CONNECT_SIGNAL_CONFIG is not JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function checked(field: string, check: () => unknown): void {
  try {
    check();
  } catch (error) {
    throw new RangeError(`PEER_CONNECT_SIGNAL_CONFIG.${field}: ${error instanceof Error ? error.message : String(error)}`);
  }
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
  if (!Array.isArray(value) || !value.every((o): o is string => typeof o === 'string')) {
    throw new TypeError("PEER_CONNECT_SIGNAL_CONFIG.allowedOrigins must be '*' or a list of origins");
  }
  for (const origin of value) {
    try {
      createOriginCheck([origin]);
    } catch {
      throw new TypeError(`PEER_CONNECT_SIGNAL_CONFIG.allowedOrigins: ${JSON.stringify(origin)} is not an origin (like "https://site.example")`);
    }
  }
  return value;
}

function swarms(value: unknown): readonly string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new TypeError('PEER_CONNECT_SIGNAL_CONFIG.healthSwarms must be a list of swarm ids');
  if (!value.every(isSwarmId)) {
    const bad: unknown = value.find((swarm) => !isSwarmId(swarm));
    throw new TypeError(`PEER_CONNECT_SIGNAL_CONFIG.healthSwarms: ${JSON.stringify(bad)} is not a swarm id (${SWARM_ID_PATTERN.source})`);
  }
  return value;
}

function isSwarmId(value: unknown): value is string {
  return typeof value === 'string' && SWARM_ID_PATTERN.test(value);
}
