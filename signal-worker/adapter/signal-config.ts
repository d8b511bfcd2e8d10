/**
 * The signaling server's configuration, one decoder for every runtime: one JSON value,
 * `PEER_CONNECT_SIGNAL_CONFIG` (`{limits, trackerLimits, allowedOrigins, healthSwarms, trustProxy}`), read
 * from an environment variable by the standalone entries (standalone.ts) and from a Worker var
 * on Cloudflare (a JSON string from `--var` or the dashboard, or an object from wrangler.jsonc
 * `vars`). It refuses everything the server would refuse later (an unknown key, a raised limit,
 * an origin the origin check could not read), so `peer-connect deploy`, which runs it on the
 * config it is about to upload, refuses the same configs; and a misspelt key (`allowedOrigin`)
 * is an error, never a server silently left open to every origin.
 */
import { SWARM_ID_PATTERN } from '../../protocol/limits.ts';
import { fail, isRecord, ok, type Result } from '../../protocol/result.ts';
import { decodeP2pModes, type P2pModes } from '../../protocol/usage-report.ts';
import { TRUST_PROXY_VALUES, type TrustProxy } from '../client-address.ts';
import { DEFAULT_SIGNAL_LIMITS, type SignalLimits } from '../core/signal/signal-limits.ts';
import { checkLimits, type LimitSet } from '../core/socket/limits.ts';
import { DEFAULT_TRACKER_LIMITS, type TrackerLimits } from '../core/tracker/tracker-limits.ts';
import { type AllowedOrigins, isOrigin } from '../origin-policy.ts';

/** The variable (or Worker var) the config is read from. */
export const SIGNAL_CONFIG_VAR = 'PEER_CONNECT_SIGNAL_CONFIG';

export interface SignalConfig {
  limits: Partial<SignalLimits>;
  trackerLimits: Partial<TrackerLimits>;
  /** Default `'*'`. */
  allowedOrigins: AllowedOrigins;
  /**
   * Cloudflare only: the swarms (or tracker sites) `/peer-connect/health?swarm=` answers for.
   * Asking wakes, and the first time creates, that swarm's object, so an unlisted one is refused:
   * otherwise anyone could make the account create objects by the million. Default: none. (A
   * single process counts every swarm on its health route and needs no list.)
   */
  healthSwarms: readonly string[];
  /**
   * Which reverse-proxy header names the client for the per-address caps: `'none'` (default: the
   * TCP peer's address), `'x-forwarded-for'` (its last hop) or `'cf-connecting-ip'`. Set it only
   * when every request comes through that proxy, which overwrites the header: otherwise a client
   * picks its own address. Cloudflare's Durable Objects read CF-Connecting-IP whatever this says.
   */
  trustProxy: TrustProxy;
  /**
   * Each swarm's P2P mode at start: `{"*": "on", "<swarm>": "download-only" | "off"}` (README
   * "Turning P2P down or off"). Default `on` everywhere.
   */
  p2p: P2pModes;
}

export const CONFIG_ERROR_CODES = [
  'not-json',
  'not-an-object',
  'unknown-key',
  'not-a-number',
  'limit-not-positive',
  'limit-raised',
  'bad-origin',
  'bad-swarm-id',
  'bad-port',
  'bad-trust-proxy',
  'bad-p2p-mode',
  'bad-dashboard-token',
] as const;
export type ConfigErrorCode = (typeof CONFIG_ERROR_CODES)[number];

const KEYS: ReadonlyArray<keyof SignalConfig> = ['limits', 'trackerLimits', 'allowedOrigins', 'healthSwarms', 'trustProxy', 'p2p'];

/** Where a bad config must stop start-up (a standalone entry, a Durable Object), this is what is thrown. */
export class SignalConfigError extends Error {
  constructor(
    readonly code: ConfigErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SignalConfigError';
  }
}

/** `raw`: the var's JSON text, an already decoded value (wrangler.jsonc `vars`), or undefined. */
export function decodeSignalConfig(raw: unknown): Result<SignalConfig, ConfigErrorCode> {
  const value = parsed(raw);
  if (!value.ok) return value;
  if (!isRecord(value.value)) return fail(`${SIGNAL_CONFIG_VAR} must be a JSON object`, 'not-an-object');
  const config = value.value;
  const unknown = Object.keys(config).find((key) => !(KEYS as readonly string[]).includes(key));
  if (unknown !== undefined) return fail(`${SIGNAL_CONFIG_VAR}.${unknown} is not a known setting (${KEYS.join(', ')})`, 'unknown-key');
  const limits = decodeLimits(config.limits, 'limits', 'signal', DEFAULT_SIGNAL_LIMITS);
  if (!limits.ok) return limits;
  const trackerLimits = decodeLimits(config.trackerLimits, 'trackerLimits', 'tracker', DEFAULT_TRACKER_LIMITS);
  if (!trackerLimits.ok) return trackerLimits;
  const allowedOrigins = decodeOrigins(config.allowedOrigins);
  if (!allowedOrigins.ok) return allowedOrigins;
  const healthSwarms = decodeSwarms(config.healthSwarms);
  if (!healthSwarms.ok) return healthSwarms;
  const trustProxy = decodeTrustProxy(config.trustProxy);
  if (!trustProxy.ok) return trustProxy;
  const p2p = decodeP2pModes(config.p2p);
  if (!p2p.ok) return fail(`${SIGNAL_CONFIG_VAR}.${p2p.error}`, 'bad-p2p-mode');
  return ok({
    p2p: p2p.value,
    limits: limits.value,
    trackerLimits: trackerLimits.value,
    allowedOrigins: allowedOrigins.value,
    healthSwarms: healthSwarms.value,
    trustProxy: trustProxy.value,
  });
}

/** `decodeSignalConfig` where a bad config must stop start-up: throws a `SignalConfigError`. */
export function readSignalConfig(raw: unknown): SignalConfig {
  const decoded = decodeSignalConfig(raw);
  if (!decoded.ok) throw new SignalConfigError(decoded.code, decoded.error);
  return decoded.value;
}

/** A JSON string (a variable, `--var`, the dashboard) or an already decoded value (wrangler.jsonc `vars`). */
function parsed(raw: unknown): Result<unknown, ConfigErrorCode> {
  if (typeof raw !== 'string') return ok(raw ?? {});
  if (raw.trim() === '') return ok({});
  try {
    return ok(JSON.parse(raw) as unknown);
  } catch (error) {
    return fail(`${SIGNAL_CONFIG_VAR} is not JSON: ${error instanceof Error ? error.message : String(error)}`, 'not-json');
  }
}

/** Known limit names with numbers, in the range `checkLimits` allows (the hubs would refuse the rest, later). */
function decodeLimits<L extends LimitSet<L>>(
  value: unknown,
  field: string,
  name: string,
  defaults: Readonly<L>,
): Result<Partial<L>, ConfigErrorCode> {
  if (value === undefined) return ok({});
  if (!isRecord(value)) return fail(`${SIGNAL_CONFIG_VAR}.${field} must be an object`, 'not-an-object');
  const out: Record<string, number> = {};
  for (const [key, n] of Object.entries(value)) {
    if (!Object.hasOwn(defaults, key)) return fail(`${SIGNAL_CONFIG_VAR}.${field}.${key} is not a known limit`, 'unknown-key');
    if (typeof n !== 'number') return fail(`${SIGNAL_CONFIG_VAR}.${field}.${key} must be a number`, 'not-a-number');
    out[key] = n;
  }
  const overrides = out as Partial<L>;
  const checked = checkLimits(name, defaults, overrides);
  return checked.ok ? ok(overrides) : fail(`${SIGNAL_CONFIG_VAR}.${field}: ${checked.error}`, checked.code);
}

function decodeOrigins(value: unknown): Result<AllowedOrigins, ConfigErrorCode> {
  if (value === undefined || value === '*') return ok('*');
  if (!Array.isArray(value) || !value.every((o): o is string => typeof o === 'string')) {
    return fail(`${SIGNAL_CONFIG_VAR}.allowedOrigins must be '*' or a list of origins`, 'bad-origin');
  }
  const bad = value.find((origin) => !isOrigin(origin));
  if (bad !== undefined)
    return fail(`${SIGNAL_CONFIG_VAR}.allowedOrigins: ${JSON.stringify(bad)} is not an origin (like "https://site.example")`, 'bad-origin');
  return ok(value);
}

function decodeSwarms(value: unknown): Result<readonly string[], ConfigErrorCode> {
  if (value === undefined) return ok([]);
  if (!Array.isArray(value)) return fail(`${SIGNAL_CONFIG_VAR}.healthSwarms must be a list of swarm ids`, 'bad-swarm-id');
  if (!value.every(isSwarmId)) {
    const bad: unknown = value.find((swarm) => !isSwarmId(swarm));
    return fail(`${SIGNAL_CONFIG_VAR}.healthSwarms: ${JSON.stringify(bad)} is not a swarm id (${SWARM_ID_PATTERN.source})`, 'bad-swarm-id');
  }
  return ok(value);
}

function decodeTrustProxy(value: unknown): Result<TrustProxy, ConfigErrorCode> {
  if (value === undefined) return ok('none');
  const known = TRUST_PROXY_VALUES.find((v) => v === value);
  if (known === undefined)
    return fail(`${SIGNAL_CONFIG_VAR}.trustProxy must be one of ${TRUST_PROXY_VALUES.map((v) => `"${v}"`).join(', ')}`, 'bad-trust-proxy');
  return ok(known);
}

function isSwarmId(value: unknown): value is string {
  return typeof value === 'string' && SWARM_ID_PATTERN.test(value);
}
