/**
 * `peer-connect deploy`: the signaling server to Cloudflare Workers, by running the wrangler
 * this package installs with the repo's wrangler.jsonc. Wrangler does the account, the upload and
 * the Durable Object migrations, and its own errors (no CLOUDFLARE_API_TOKEN, no network) are
 * clearer than any wrapper's, so they are passed through as they are, with its exit code.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WRANGLER = fileURLToPath(new URL('../node_modules/wrangler/bin/wrangler.js', import.meta.url));
const CONFIG = fileURLToPath(new URL('../wrangler.jsonc', import.meta.url));

export async function deploy(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { 'dry-run': { type: 'boolean' }, config: { type: 'string' }, outdir: { type: 'string' } },
  });
  if (!existsSync(WRANGLER)) throw new Error(`wrangler is not installed at ${WRANGLER} (run npm install)`);
  const wranglerArgs = [WRANGLER, 'deploy', '--config', values.config ?? CONFIG];
  // A dry run bundles and checks the config without an account or the network.
  if (values['dry-run']) wranglerArgs.push('--dry-run');
  if (values.outdir) wranglerArgs.push('--outdir', values.outdir);
  // Usage metrics stay off unless the operator turned them on themselves.
  const env = { ...process.env, WRANGLER_SEND_METRICS: process.env.WRANGLER_SEND_METRICS ?? 'false' };
  const child = spawn(process.execPath, wranglerArgs, { cwd: ROOT, env, stdio: 'inherit' });
  return new Promise((done, fail) => {
    child.once('error', fail);
    child.once('exit', (code, signal) => done(code ?? (signal ? 1 : 0)));
  });
}
