/**
 * `peer-connect deploy`: the signaling server to Cloudflare Workers, by running the wrangler
 * this package installs with the repo's wrangler.jsonc. Wrangler does the account, the upload and
 * the Durable Object migrations, and its own errors (no CLOUDFLARE_API_TOKEN, no network) are
 * clearer than any wrapper's, so they are passed through as they are, with its exit code.
 * Before wrangler runs, the Worker's own config is checked (deploy-config.ts): wrangler cannot know
 * what the Worker will refuse, or that an open origin list is one.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { deployedSignalConfig, openOriginsProblem } from './deploy-config.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WRANGLER = fileURLToPath(new URL('../node_modules/wrangler/bin/wrangler.js', import.meta.url));
const CONFIG = fileURLToPath(new URL('../wrangler.jsonc', import.meta.url));

export async function deploy(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { 'dry-run': { type: 'boolean' }, config: { type: 'string' }, outdir: { type: 'string' }, strict: { type: 'boolean' } },
  });
  // Relative paths are the caller's, as in any command; wrangler runs in ROOT, so it gets them absolute.
  const config = resolve(values.config ?? CONFIG);
  const signalConfig = deployedSignalConfig(readText(config), config);
  if (signalConfig.allowedOrigins === '*') {
    if (values.strict) throw new Error(`refusing to deploy (--strict): ${openOriginsProblem(config)}`);
    console.warn(`warning: ${openOriginsProblem(config)} (--strict makes this an error)`);
  }
  if (!existsSync(WRANGLER)) throw new Error(`wrangler is not installed at ${WRANGLER} (run npm install)`);
  const wranglerArgs = [WRANGLER, 'deploy', '--config', config];
  // A dry run bundles and checks the config without an account or the network.
  if (values['dry-run']) wranglerArgs.push('--dry-run');
  if (values.outdir) wranglerArgs.push('--outdir', resolve(values.outdir));
  // Usage metrics stay off unless the operator turned them on themselves.
  const env = { ...process.env, WRANGLER_SEND_METRICS: process.env.WRANGLER_SEND_METRICS ?? 'false' };
  const child = spawn(process.execPath, wranglerArgs, { cwd: ROOT, env, stdio: 'inherit' });
  return new Promise((done, fail) => {
    child.once('error', fail);
    child.once('exit', (code, signal) => done(code ?? (signal ? 1 : 0)));
  });
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the wrangler config ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
}
