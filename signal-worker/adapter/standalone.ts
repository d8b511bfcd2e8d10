/**
 * The contract every standalone signaling entry (node/main.ts, deno/main.ts, bun/main.ts) keeps,
 * so one launcher, a process manager or a container can run any of them the same way: port and
 * configuration come from the environment, and the entry prints one line once it listens.
 * Runtime-free: each entry passes its own way of reading a variable.
 *
 *   PORT                          port to bind on 127.0.0.1 (0 = any free port; default 8787)
 *   PEER_CONNECT_SIGNAL_CONFIG    JSON {limits?, trackerLimits?, allowedOrigins?}
 *   PEER_CONNECT_EXIT_WITH_STDIN  "1": exit when stdin ends (a launcher that dies, even by
 *                                 SIGKILL, then never leaves a server behind)
 */
import { isRecord } from '../../protocol/result.ts';
import { DEFAULT_SIGNAL_LIMITS, type SignalLimits } from '../core/signal/signal-limits.ts';
import { DEFAULT_TRACKER_LIMITS, type TrackerLimits } from '../core/tracker/tracker-limits.ts';
import type { AllowedOrigins } from '../origin-policy.ts';

export const PORT_ENV = 'PORT';
export const CONFIG_ENV = 'PEER_CONNECT_SIGNAL_CONFIG';
export const EXIT_WITH_STDIN_ENV = 'PEER_CONNECT_EXIT_WITH_STDIN';
/** Same default as `peer-connect signal`. */
export const DEFAULT_STANDALONE_PORT = 8787;
export const STANDALONE_HOST = '127.0.0.1';

const LISTENING_PREFIX = 'peer-connect signal listening on ';

export interface StandaloneOptions {
  host: string;
  port: number;
  allowedOrigins: AllowedOrigins;
  limits: Partial<SignalLimits>;
  trackerLimits: Partial<TrackerLimits>;
}

/** What an entry's start function returns. */
export interface RunningStandalone {
  /** `http://127.0.0.1:PORT` */
  origin: string;
  port: number;
  close(): Promise<void>;
}

/** The JSON in PEER_CONNECT_SIGNAL_CONFIG. */
export interface StandaloneConfig {
  limits?: Partial<SignalLimits>;
  trackerLimits?: Partial<TrackerLimits>;
  allowedOrigins?: AllowedOrigins;
}

/**
 * Reads PORT and PEER_CONNECT_SIGNAL_CONFIG. A malformed value is an operator's mistake, so it
 * throws at start-up with the variable's name rather than running with something unintended.
 * Limit values themselves are range-checked by the hubs (resolveSignalLimits and friends).
 */
export function readStandaloneOptions(getEnv: (name: string) => string | undefined): StandaloneOptions {
  const config = parseStandaloneConfig(getEnv(CONFIG_ENV) ?? '{}');
  return {
    host: STANDALONE_HOST,
    port: parsePort(getEnv(PORT_ENV)),
    allowedOrigins: config.allowedOrigins ?? '*',
    limits: config.limits ?? {},
    trackerLimits: config.trackerLimits ?? {},
  };
}

export function parseStandaloneConfig(text: string): StandaloneConfig {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${CONFIG_ENV} is not JSON`);
  }
  if (!isRecord(parsed)) throw new Error(`${CONFIG_ENV} must be a JSON object`);
  for (const key of Object.keys(parsed)) {
    if (key !== 'limits' && key !== 'trackerLimits' && key !== 'allowedOrigins') throw new Error(`${CONFIG_ENV}: unknown key ${key}`);
  }
  const config: StandaloneConfig = {};
  if (parsed.limits !== undefined) config.limits = numbersOf(parsed.limits, DEFAULT_SIGNAL_LIMITS, 'limits');
  if (parsed.trackerLimits !== undefined) config.trackerLimits = numbersOf(parsed.trackerLimits, DEFAULT_TRACKER_LIMITS, 'trackerLimits');
  if (parsed.allowedOrigins !== undefined) config.allowedOrigins = originsOf(parsed.allowedOrigins);
  return config;
}

/** The line an entry prints once it accepts connections. */
export function listeningLine(origin: string): string {
  return `${LISTENING_PREFIX}${origin}`;
}

/** The origin in a listening line, or null for any other line of output. */
export function parseListeningLine(line: string): string | null {
  const match = /^peer-connect signal listening on (http:\/\/[^\s/]+)$/.exec(line.trim());
  return match?.[1] ?? null;
}

function parsePort(value: string | undefined): number {
  if (value === undefined || value === '') return DEFAULT_STANDALONE_PORT;
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535) throw new Error(`${PORT_ENV} must be a port number, got ${value}`);
  return port;
}

function numbersOf<T extends object>(value: unknown, known: Readonly<T>, name: string): Partial<T> {
  if (!isRecord(value)) throw new Error(`${CONFIG_ENV}: ${name} must be an object`);
  const out: Partial<Record<keyof T, number>> = {};
  for (const [key, item] of Object.entries(value)) {
    if (!Object.hasOwn(known, key)) throw new Error(`${CONFIG_ENV}: unknown ${name} key ${key}`);
    if (typeof item !== 'number') throw new Error(`${CONFIG_ENV}: ${name}.${key} must be a number`);
    out[key as keyof T] = item;
  }
  return out as Partial<T>;
}

function originsOf(value: unknown): AllowedOrigins {
  if (value === '*') return '*';
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value as string[];
  throw new Error(`${CONFIG_ENV}: allowedOrigins must be "*" or an array of origins`);
}

/** A UTF-16 code unit is at most 3 UTF-8 bytes, so this cap never cuts a frame the core would accept. */
const UTF8_BYTES_PER_CHAR = 3;

/**
 * The largest WebSocket message a runtime should assemble, for runtimes that take one cap per
 * server: the larger of the two routes' limits, in bytes. Past it the runtime drops the socket
 * (1009) without buffering the message; below it the core's own `too-large` check answers.
 */
export function maxFrameBytes(signal: Pick<SignalLimits, 'maxMessageChars'>, tracker: Pick<TrackerLimits, 'maxMessageChars'>): number {
  return Math.max(signal.maxMessageChars, tracker.maxMessageChars) * UTF8_BYTES_PER_CHAR;
}
