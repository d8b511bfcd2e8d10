/**
 * The contract every standalone signaling entry (node/main.ts, deno/main.ts, bun/main.ts) keeps,
 * so one launcher, a process manager or a container can run any of them the same way: port and
 * configuration come from the environment, and the entry prints one line once it listens.
 * Runtime-free: each entry passes its own way of reading a variable.
 *
 *   PORT                          port to bind on 127.0.0.1 (0 = any free port; default 8787)
 *   PEER_CONNECT_SIGNAL_CONFIG    JSON {limits?, trackerLimits?, allowedOrigins?, trustProxy?} (signal-config.ts)
 *   PEER_CONNECT_DASHBOARD_TOKEN  the site owner's token for the dashboard, metrics and P2P switch
 *                                 (at least 16 characters); unset: those routes answer 404
 *   PEER_CONNECT_EXIT_WITH_STDIN  "1": exit when stdin ends (a launcher that dies, even by
 *                                 SIGKILL, then never leaves a server behind)
 */

import { DASHBOARD_TOKEN_ENV, dashboardTokenProblem } from '../dashboard/token.ts';
import { readSignalConfig, SIGNAL_CONFIG_VAR, SignalConfigError } from './signal-config.ts';
import { DEFAULT_HOST, type SignalServerOptions } from './signal-server.ts';

export const PORT_ENV = 'PORT';
export const EXIT_WITH_STDIN_ENV = 'PEER_CONNECT_EXIT_WITH_STDIN';
/** Same default as `peer-connect signal`. */
export const DEFAULT_STANDALONE_PORT = 8787;

const LISTENING_PREFIX = 'peer-connect signal listening on ';

/**
 * Reads PORT and PEER_CONNECT_SIGNAL_CONFIG (signal-config.ts, the decoder every runtime uses).
 * A malformed value is an operator's mistake, so it throws a `SignalConfigError` at start-up,
 * naming the variable, rather than running with something unintended.
 */
export function readStandaloneOptions(getEnv: (name: string) => string | undefined): Required<SignalServerOptions> {
  const config = readSignalConfig(getEnv(SIGNAL_CONFIG_VAR));
  const token = getEnv(DASHBOARD_TOKEN_ENV) || null;
  const problem = token === null ? null : dashboardTokenProblem(token);
  if (problem !== null) throw new SignalConfigError('bad-dashboard-token', `${DASHBOARD_TOKEN_ENV}: ${problem}`);
  return {
    dashboardToken: token,
    p2p: config.p2p,
    host: DEFAULT_HOST,
    port: parsePort(getEnv(PORT_ENV)),
    allowedOrigins: config.allowedOrigins,
    limits: config.limits,
    trackerLimits: config.trackerLimits,
    trustProxy: config.trustProxy,
  };
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
  if (!/^\d+$/.test(value) || port > 65535) throw new SignalConfigError('bad-port', `${PORT_ENV} must be a port number, got ${value}`);
  return port;
}
