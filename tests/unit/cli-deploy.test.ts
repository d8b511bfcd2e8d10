/**
 * `peer-connect deploy` as a user runs it. A dry run bundles the Worker and checks wrangler.jsonc
 * with no account and no network; a real deploy cannot succeed here and must fail with
 * wrangler's own message and a non-zero exit, never hang or pretend.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bin = join(import.meta.dirname, '..', '..', 'bin', 'peer-connect.js');
const run = (env: NodeJS.ProcessEnv, ...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 90_000, env });
/** No credentials, whatever the caller's shell has. */
const bare = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, WRANGLER_SEND_METRICS: 'false' };
  for (const key of Object.keys(env)) if (key.startsWith('CLOUDFLARE_')) delete env[key];
  delete env.NODE_TEST_CONTEXT;
  return env;
};

test('deploy --dry-run bundles the Worker with both Durable Object bindings and exits 0', () => {
  const out = mkdtempSync(join(tmpdir(), 'pc-deploy-'));
  try {
    const r = run(bare(), 'deploy', '--dry-run', '--outdir', out);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /env\.SIGNAL_SWARMS \(SignalSwarm\)\s+Durable Object/);
    assert.match(r.stdout, /env\.TRACKER_SITES \(TrackerSite\)\s+Durable Object/);
    assert.match(r.stdout, /--dry-run: exiting now/);
    const bundle = readdirSync(out).find((f) => f.endsWith('.js'));
    assert.ok(bundle, `a bundle in ${out}`);
    const code = readFileSync(join(out, bundle), 'utf8');
    // The classes wrangler.jsonc binds must be exported by the bundle, or the deploy would fail upstream.
    assert.match(code, /export\s*\{[^}]*\bSignalSwarm\b/);
    assert.match(code, /export\s*\{[^}]*\bTrackerSite\b/);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('deploy without a Cloudflare account fails with wrangler\'s message about the API token', () => {
  const home = mkdtempSync(join(tmpdir(), 'pc-deploy-home-'));
  try {
    // A fresh HOME and XDG_CONFIG_HOME: no cached wrangler login can make this pass by accident.
    const r = run({ ...bare(), HOME: home, XDG_CONFIG_HOME: home }, 'deploy');
    assert.notEqual(r.status, 0);
    assert.match(r.stdout + r.stderr, /CLOUDFLARE_API_TOKEN/);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('deploy with a config that does not exist fails and names it', () => {
  const missing = join(tmpdir(), 'pc-no-such-wrangler.jsonc');
  assert.equal(existsSync(missing), false);
  const r = run(bare(), 'deploy', '--dry-run', '--config', missing);
  assert.notEqual(r.status, 0);
  assert.match(r.stdout + r.stderr, /pc-no-such-wrangler\.jsonc/);
});
