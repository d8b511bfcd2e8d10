/**
 * workerd: the Cloudflare adapter under `wrangler dev` (wrangler runs workerd through Miniflare
 * with the real Durable Object and hibernation implementation), on 127.0.0.1 and a free port.
 * Everything wrangler writes (its bundle dir, object storage, logs, registry) goes to one temp
 * dir: the config is copied there with `main` made absolute, because wrangler puts `.wrangler/`
 * next to its config. It never phones home: metrics, error reports and the update check are off,
 * and the suite runs it in a loopback-only namespace anyway (only the `Request.cf` lookup is
 * tried and fails fast into wrangler's placeholder).
 */

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { DEFAULT_HEALTH_PATH, DEFAULT_SIGNAL_PATH, DEFAULT_TRACKER_PATH } from '../../protocol/routes.ts';
import { SIGNAL_CONFIG_VAR } from '../../signal-worker/adapter/signal-config.ts';
import { DASHBOARD_TOKEN_ENV } from '../../signal-worker/dashboard/token.ts';
import { processTree, signalAll, treeRssBytes } from './process-tree.ts';
import { type LaunchOptions, launchConfig, type RuntimeServer, RuntimeUnavailable } from './types.ts';

const REPO_ROOT = resolve(import.meta.dirname, '..', '..');
const WRANGLER = join(REPO_ROOT, 'node_modules', 'wrangler', 'bin', 'wrangler.js');
const CONFIG = join(REPO_ROOT, 'wrangler.jsonc');
const DEFAULT_START_TIMEOUT_MS = 30_000;
const POLL_MS = 100;
const TERM_GRACE_MS = 3_000;
const TAIL_LINES = 30;

/**
 * Ports are picked free, closed, then handed to wrangler, so another server starting meanwhile can
 * take one: that failure ("Address already in use") gets one more try with fresh ports.
 */
export async function launchWorkerd(options: LaunchOptions = {}): Promise<RuntimeServer> {
  try {
    return await launchOnce(options);
  } catch (error) {
    if (error instanceof RuntimeUnavailable && /address already in use|EADDRINUSE/i.test(error.message)) return launchOnce(options);
    throw error;
  }
}

async function launchOnce(options: LaunchOptions): Promise<RuntimeServer> {
  if (!existsSync(WRANGLER)) throw new RuntimeUnavailable('workerd', `${WRANGLER} is missing (run npm install)`);
  const dir = mkdtempSync(join(tmpdir(), 'pc-workerd-'));
  const [port, inspectorPort] = [await freePort(), await freePort()];
  const config = JSON.stringify(launchConfig(options));
  const configPath = join(dir, 'wrangler.json');
  writeFileSync(configPath, JSON.stringify(localConfig()));
  const args = [
    WRANGLER,
    'dev',
    '--config',
    configPath,
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--inspector-port',
    String(inspectorPort),
    '--persist-to',
    join(dir, 'state'),
    '--var',
    `${SIGNAL_CONFIG_VAR}:${config}`,
    '--show-interactive-dev-session=false',
    ...(options.dashboardToken === undefined ? [] : ['--var', `${DASHBOARD_TOKEN_ENV}:${options.dashboardToken}`]),
  ];
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    WRANGLER_SEND_METRICS: 'false',
    WRANGLER_SEND_ERROR_REPORTS: 'false',
    CLOUDFLARE_TELEMETRY_DISABLED: '1',
    WRANGLER_HIDE_BANNER: 'true', // the banner is what runs the npm update check
    WRANGLER_LOG_PATH: join(dir, 'logs'),
    WRANGLER_REGISTRY_PATH: join(dir, 'registry'),
    WRANGLER_CACHE_DIR: join(dir, 'cache'),
    XDG_CONFIG_HOME: join(dir, 'config'),
  };
  delete env.NODE_TEST_CONTEXT; // set by node --test for its children; wrangler is not one of its tests
  const child = spawn(process.execPath, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  const tail: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      tail.push(line);
      if (tail.length > TAIL_LINES) tail.shift();
    });
  }
  const exited = new Promise<void>((done) => child.once('close', () => done()));
  let gone = false;
  void exited.then(() => (gone = true));
  const onExit = (): void => signalAll(child.pid === undefined ? [] : [-child.pid], 'SIGKILL');
  process.once('exit', onExit);

  const origin = `http://127.0.0.1:${port}`;
  let stopping: Promise<void> | null = null;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      process.off('exit', onExit);
      const pid = child.pid;
      if (pid !== undefined && !gone) {
        const tree = await processTree(pid);
        signalAll([-pid, ...tree], 'SIGTERM');
        if (!(await within(exited, TERM_GRACE_MS))) {
          signalAll([-pid, ...tree], 'SIGKILL');
          await within(exited, TERM_GRACE_MS);
        }
      }
      rmSync(dir, { recursive: true, force: true });
    })());

  const timeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  try {
    await waitForHealth(`${origin}${DEFAULT_HEALTH_PATH}`, timeoutMs, () => gone);
  } catch (err) {
    await stop();
    const output = tail.length ? `; last output:\n${tail.join('\n')}` : ' (no output)';
    throw new RuntimeUnavailable('workerd', `${(err as Error).message}${output}`);
  }
  const ws = origin.replace(/^http/, 'ws');
  return {
    runtime: 'workerd',
    url: `${ws}${DEFAULT_SIGNAL_PATH}`,
    trackerUrl: `${ws}${DEFAULT_TRACKER_PATH}`,
    healthUrl: `${origin}${DEFAULT_HEALTH_PATH}`,
    rssBytes: () => (child.pid === undefined || gone ? Promise.resolve(0) : treeRssBytes(child.pid)),
    stop,
  };
}

/** The repo's wrangler.jsonc, with its whole-line comments dropped and `main` made absolute. */
function localConfig(): Record<string, unknown> {
  const text = readFileSync(CONFIG, 'utf8')
    .split('\n')
    .filter((line) => !/^\s*\/\//.test(line))
    .join('\n');
  const config = JSON.parse(text) as Record<string, unknown>;
  delete config.$schema;
  return { ...config, main: join(REPO_ROOT, String(config.main)) };
}

async function waitForHealth(url: string, timeoutMs: number, exited: () => boolean): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited()) throw new Error('wrangler dev exited before the health route answered');
    const ok = await fetch(url, { signal: AbortSignal.timeout(1_000) }).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return;
    await new Promise((done) => setTimeout(done, POLL_MS));
  }
  throw new Error(`the health route did not answer within ${timeoutMs} ms`);
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? done(address.port) : fail(new Error('no port'))));
    });
  });
}

function within(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise.then(() => true), new Promise<boolean>((done) => (timer = setTimeout(() => done(false), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}
