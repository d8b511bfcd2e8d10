/**
 * `peer-connect deploy` as a user runs it. A dry run bundles the Worker and checks wrangler.jsonc
 * with no account and no network; a real deploy cannot succeed here and must fail with
 * wrangler's own message and a non-zero exit, never hang or pretend. Before wrangler runs, the
 * Worker's own config is checked: an open origin list is warned about (refused with --strict),
 * a config the Worker would answer 500 to is refused.
 */

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { applyEdits, modify, parse } from 'jsonc-parser';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'peer-connect.js');
const runIn = (cwd: string, env: NodeJS.ProcessEnv, ...args: string[]) =>
  spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', timeout: 90_000, env });
const run = (env: NodeJS.ProcessEnv, ...args: string[]) => runIn(process.cwd(), env, ...args);
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

test("deploy without a Cloudflare account fails with wrangler's message about the API token", () => {
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

/** The shipped wrangler.jsonc, comments kept, with an absolute `main` and this signaling config. */
function configWith(dir: string, signalConfig: unknown, name = 'wrangler.jsonc'): string {
  const shipped = readFileSync(join(root, 'wrangler.jsonc'), 'utf8');
  const main = join(root, String((parse(shipped) as { main: unknown }).main));
  let text = applyEdits(shipped, modify(shipped, ['main'], main, {}));
  text = applyEdits(text, modify(text, ['vars', 'PEER_CONNECT_SIGNAL_CONFIG'], signalConfig, {}));
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const OPEN_WARNING =
  /warning: .*wrangler\.jsonc deploys allowedOrigins "\*".*Set vars\.PEER_CONNECT_SIGNAL_CONFIG\.allowedOrigins to your site's origins/;

test('deploy warns that the shipped config accepts pages from any origin, and names the fix', () => {
  const out = mkdtempSync(join(tmpdir(), 'pc-deploy-'));
  try {
    const r = run(bare(), 'deploy', '--dry-run', '--outdir', out);
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.match(r.stderr, OPEN_WARNING);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});

test('deploy --strict refuses an open origin list before wrangler runs', () => {
  const r = run(bare(), 'deploy', '--strict', '--dry-run');
  assert.equal(r.status, 1, r.stderr + r.stdout);
  assert.match(r.stderr, /refusing to deploy \(--strict\): .*allowedOrigins "\*".*Set vars\.PEER_CONNECT_SIGNAL_CONFIG\.allowedOrigins/);
  assert.equal(r.stdout, '', 'wrangler never ran');
});

test('deploy --strict --dry-run of a config that lists its origins bundles without the warning', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-deploy-listed-'));
  try {
    const config = configWith(dir, { allowedOrigins: ['https://site.example'] });
    const r = run(bare(), 'deploy', '--strict', '--dry-run', '--config', config, '--outdir', join(dir, 'out'));
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /--dry-run: exiting now/);
    assert.doesNotMatch(r.stderr, /allowedOrigins/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("deploy refuses a config the Worker would answer 500 to, before wrangler runs, with the decoder's message", () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-deploy-bad-'));
  try {
    const config = configWith(dir, { allowedOrigins: ['https://site.example'], limits: { maxPeersPerSwarm: 1e9 } });
    const r = run(bare(), 'deploy', '--dry-run', '--config', config);
    assert.equal(r.status, 1, r.stderr + r.stdout);
    assert.match(
      r.stderr,
      /wrangler\.jsonc: vars\.PEER_CONNECT_SIGNAL_CONFIG would make the Worker answer every request with 500: .*maxPeersPerSwarm may be lowered, not raised/,
    );
    assert.equal(r.stdout, '', 'wrangler never ran');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("deploy reads a relative --config and --outdir from the caller's directory, not the package's", () => {
  const dir = mkdtempSync(join(tmpdir(), 'pc-deploy-cwd-'));
  try {
    // A name the package has no file of, so a wrong resolution fails before wrangler writes anything there.
    configWith(dir, { allowedOrigins: ['https://site.example'] }, 'site-wrangler.jsonc');
    const r = runIn(dir, bare(), 'deploy', '--dry-run', '--config', 'site-wrangler.jsonc', '--outdir', 'out');
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.doesNotMatch(r.stderr, /allowedOrigins/, "the caller's config, not the shipped open one");
    assert.ok(
      readdirSync(join(dir, 'out')).some((f) => f.endsWith('.js')),
      "the bundle in the caller's out/",
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
