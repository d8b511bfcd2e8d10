/**
 * The site owner's options of `peer-connect signal` and `serve`: the dashboard token
 * (`--dashboard-token`, else PEER_CONNECT_DASHBOARD_TOKEN) and the P2P modes file
 * (`--p2p-config <file>`, JSON `{"*": "on", "<swarm>": "download-only" | "off"}`), read at start
 * and again on SIGHUP, when the server tells the affected bridges at once.
 */
import { readFile } from 'node:fs/promises';
import { parseJson } from '../protocol/result.ts';
import { decodeP2pModes, type P2pModes } from '../protocol/usage-report.ts';
import { DASHBOARD_TOKEN_ENV, dashboardTokenProblem } from '../signal-worker/dashboard/token.ts';

/** The token from the option or the environment; throws on one too weak to protect anything. */
export function dashboardToken(option: string | undefined, env: NodeJS.ProcessEnv = process.env): string | null {
  const token = option ?? (env[DASHBOARD_TOKEN_ENV] || undefined) ?? null;
  if (token === null) return null;
  const problem = dashboardTokenProblem(token);
  if (problem !== null) throw new Error(`--dashboard-token (or ${DASHBOARD_TOKEN_ENV}): ${problem}`);
  return token;
}

/** The modes in `file`; throws naming the file on unreadable JSON or an unknown mode. */
export async function readP2pModes(file: string): Promise<P2pModes> {
  const parsed = parseJson(await readFile(file, 'utf8'));
  const modes = parsed.ok ? decodeP2pModes(parsed.value) : parsed;
  if (!modes.ok) throw new Error(`--p2p-config ${file}: ${modes.error}`);
  return modes.value;
}

/**
 * Re-reads `file` on every SIGHUP and hands the modes to `apply`; a bad file is reported and
 * the modes in force stay. Returns a function that stops listening.
 */
export function reloadOnSighup(file: string, apply: (modes: P2pModes) => number, log: (line: string) => void = console.log): () => void {
  const reload = (): void => {
    readP2pModes(file).then(
      (modes) => log(`p2p modes reloaded from ${file}: ${JSON.stringify(modes)} (${apply(modes)} bridges told)`),
      (error: unknown) => log(`p2p modes not reloaded: ${error instanceof Error ? error.message : String(error)}`),
    );
  };
  process.on('SIGHUP', reload);
  return () => process.off('SIGHUP', reload);
}
