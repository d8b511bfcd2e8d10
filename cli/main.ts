/**
 * `peer-connect <command>`: build a site, serve a built site with the signaling server embedded,
 * run the signaling server alone, deploy it to Cloudflare Workers, or run the demo.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildSite } from '../build.ts';
import { TORRENT_MODES } from '../builder/make-torrent.ts';
import { oneOf, parsePrefetchBudget, parseSize, parseUploadCap } from '../builder/option-values.ts';
import { START_MODES, UPLOAD_MODES } from '../protocol/bridge-config.ts';
import { FIRST_VISIT_OPTIONS } from '../protocol/first-visit.ts';
import { MAX_PEERS_PER_ADDRESS_IN_SWARM, MAX_SIGNAL_CONNECTIONS_PER_ADDRESS } from '../protocol/limits.ts';
import { isLoopbackHost } from '../signal-worker/adapter/node/host-policy.ts';
import { startSignalServer, startSiteServer } from '../signal-worker/adapter/node/index.ts';
import { TRUST_PROXY_VALUES, type TrustProxy } from '../signal-worker/client-address.ts';
import { buildReport } from './build-report.ts';
import { deploy } from './deploy.ts';
import { dashboardToken, readP2pModes, reloadOnSighup } from './steering-options.ts';

const USAGE = `Usage:
  peer-connect build <site-dir> --out <dir> [--signal <ws-url>] [--first-visit auto|reload|swap|off]
                     [--swarm <id>] [--stun <url>]... [--upload auto|always|off] [--upload-cap <per page view>/<per day>] [--start auto|manual] [--no-minify] [--lcp-from-origin]
                     [--torrents media|large|off] [--torrent-min-size 8MiB] [--torrent-quota 512MiB] [--tracker <ws-url>] [--base-url <url>]
                     [--store-quota 256MiB] [--prefetch-budget 8MiB|off] [--exclude <glob>]...   (excluded files: served by the origin only)
                    [--site-worker <path>]   (the site's own service worker, when its register() call is computed)
  peer-connect serve <built-dir> [--port 8080] [--host 127.0.0.1] [--no-signal] [--allow-origin <origin>]...
                     [--allowed-host <name>]...   (names answered besides IP addresses and localhost; '*' for any)
                     [--dashboard-token <token>] [--p2p-config <file>]   (dashboard and metrics; P2P on/download-only/off, re-read on SIGHUP)
                     [--trust-proxy none|x-forwarded-for|cf-connecting-ip]   (behind a proxy: whose address the per-address caps count)
  peer-connect signal [--port 8787] [--host 127.0.0.1] [--allow-origin <origin>]... [--dashboard-token <token>] [--p2p-config <file>]
                      [--trust-proxy none|x-forwarded-for|cf-connecting-ip]
  peer-connect deploy [--dry-run] [--strict] [--config wrangler.jsonc] [--outdir <dir>]   (signaling on Cloudflare Workers)
  peer-connect demo [--port 8080]`;

const FIRST_VISIT = FIRST_VISIT_OPTIONS;

function port(value: string | undefined, fallback: number): number {
  const n = Number(value ?? fallback);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`bad port ${value}`);
  return n;
}

/**
 * `peer-connect build`'s flags. Each but `--out` has a plugin option of the same name in camelCase
 * (plugins/options.ts OPTION_FLAGS; a unit test holds the two lists equal).
 */
export const BUILD_FLAGS = {
  out: { type: 'string' },
  signal: { type: 'string' },
  'first-visit': { type: 'string' },
  swarm: { type: 'string' },
  stun: { type: 'string', multiple: true },
  upload: { type: 'string' },
  'upload-cap': { type: 'string' },
  start: { type: 'string' },
  'no-minify': { type: 'boolean' },
  'lcp-from-origin': { type: 'boolean' },
  torrents: { type: 'string' },
  'torrent-min-size': { type: 'string' },
  'torrent-quota': { type: 'string' },
  'store-quota': { type: 'string' },
  'prefetch-budget': { type: 'string' },
  tracker: { type: 'string' },
  'base-url': { type: 'string' },
  exclude: { type: 'string', multiple: true },
  'site-worker': { type: 'string' },
} as const;

async function build(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: BUILD_FLAGS,
  });
  const siteDir = positionals[0];
  if (!siteDir || !values.out) throw new Error('build needs <site-dir> and --out <dir>');
  const started = Date.now();
  const result = await buildSite({
    siteDir,
    outDir: values.out,
    signal: values.signal ?? null,
    swarm: values.swarm ?? null,
    firstVisit: oneOf(values['first-visit'], FIRST_VISIT, 'first-visit'),
    upload: oneOf(values.upload, UPLOAD_MODES, 'upload'),
    ...(values['upload-cap'] !== undefined ? { uploadCap: parseUploadCap(values['upload-cap']) } : {}),
    start: oneOf(values.start, START_MODES, 'start'),
    iceServers: (values.stun ?? []).map((urls) => ({ urls })),
    minify: !values['no-minify'],
    ...(values['lcp-from-origin'] ? { lcpFromOrigin: true } : {}),
    torrents: oneOf(values.torrents, TORRENT_MODES, 'torrents'),
    ...(values['torrent-min-size'] !== undefined ? { torrentMinSize: parseSize(values['torrent-min-size'], 'torrent-min-size') } : {}),
    ...(values['torrent-quota'] !== undefined ? { torrentQuota: parseSize(values['torrent-quota'], 'torrent-quota') } : {}),
    ...(values['store-quota'] !== undefined ? { storeQuota: parseSize(values['store-quota'], 'store-quota') } : {}),
    ...(values['prefetch-budget'] !== undefined ? { prefetchBudget: parsePrefetchBudget(values['prefetch-budget']) } : {}),
    tracker: values.tracker ?? null,
    baseUrl: values['base-url'] ?? null,
    exclude: values.exclude ?? [],
    siteWorker: values['site-worker'] ?? null,
  });
  const report = buildReport(result, values.out, Date.now() - started);
  for (const line of report.info) console.log(line);
  for (const warning of report.warnings) console.warn(warning);
  return 0;
}

async function serve(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'no-signal': { type: 'boolean' },
      'allow-origin': { type: 'string', multiple: true },
      'allowed-host': { type: 'string', multiple: true },
      'dashboard-token': { type: 'string' },
      'p2p-config': { type: 'string' },
      'trust-proxy': { type: 'string' },
    },
  });
  const root = positionals[0];
  if (!root) throw new Error('serve needs <built-dir>');
  const origins = values['allow-origin'];
  const host = values.host ?? '127.0.0.1';
  const allowedHosts = values['allowed-host'] ?? [];
  const trustProxy = oneOf(values['trust-proxy'], TRUST_PROXY_VALUES, 'trust-proxy') ?? 'none';
  const server = await startSiteServer({
    root,
    port: port(values.port, 8080),
    host,
    signal: !values['no-signal'],
    allowedHosts,
    trustProxy,
    ...(origins ? { allowedOrigins: origins } : {}),
    dashboardToken: dashboardToken(values['dashboard-token']),
    ...(values['p2p-config'] !== undefined ? { p2p: await readP2pModes(values['p2p-config']) } : {}),
  });
  if (values['p2p-config'] !== undefined) reloadOnSighup(values['p2p-config'], server.setP2pModes);
  const warning = serveHostWarning(host, allowedHosts);
  if (warning) console.warn(warning);
  const proxied = values['no-signal'] ? null : proxyAddressWarning(host, origins ?? [], trustProxy);
  if (proxied) console.warn(proxied);
  console.log(`serving ${root} at ${server.url}${values['no-signal'] ? '' : ` (signaling at ${server.signalUrl})`}`);
  return waitForever(server.close);
}

/**
 * What `serve` says when it listens where other machines reach it but answers no name: every
 * request by name gets 421 (host-policy.ts), which would otherwise look like a broken deploy.
 * Null on loopback, or when a name (or '*') is given.
 */
export function serveHostWarning(bindHost: string, allowedHosts: readonly string[]): string | null {
  if (isLoopbackHost(bindHost) || allowedHosts.length > 0) return null;
  return (
    `warning: listening on ${bindHost} with no --allowed-host: requests by name (Host: www.example.com) ` +
    `will be refused with 421 until you pass --allowed-host <name> for each name the site is reached at ` +
    `('*' behind a proxy that checks Host). IP addresses and localhost are answered.`
  );
}

/**
 * What `serve` and `signal` say when they look deployed behind a reverse proxy (listening on
 * loopback, pages on a public origin) but count every socket as the proxy's address: the
 * per-address caps (MAX_PEERS_PER_ADDRESS_IN_SWARM, MAX_SIGNAL_CONNECTIONS_PER_ADDRESS) would then
 * hold the whole audience to what one visitor may have. Null when nothing suggests a proxy, or
 * when `--trust-proxy` names its header.
 */
export function proxyAddressWarning(bindHost: string, allowedOrigins: readonly string[], trust: TrustProxy): string | null {
  if (trust !== 'none' || !isLoopbackHost(bindHost)) return null;
  const publicOrigin = allowedOrigins.find((o) => {
    try {
      return !isLoopbackHost(new URL(o).hostname);
    } catch {
      return false;
    }
  });
  if (publicOrigin === undefined) return null;
  return (
    `warning: listening on ${bindHost} for pages of ${publicOrigin}, so behind a proxy, without --trust-proxy: ` +
    `every visitor's socket counts as the proxy's address, and the per-address caps ` +
    `(${MAX_PEERS_PER_ADDRESS_IN_SWARM} peers in a swarm, ${MAX_SIGNAL_CONNECTIONS_PER_ADDRESS} sockets) then apply to all of them together. ` +
    `Pass --trust-proxy x-forwarded-for (nginx, Caddy, most load balancers) or cf-connecting-ip (Cloudflare in front).`
  );
}

async function signal(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'allow-origin': { type: 'string', multiple: true },
      'dashboard-token': { type: 'string' },
      'p2p-config': { type: 'string' },
      'trust-proxy': { type: 'string' },
    },
  });
  const origins = values['allow-origin'];
  if (!origins) console.warn('no --allow-origin given: accepting pages from any origin');
  const host = values.host ?? '127.0.0.1';
  const trustProxy = oneOf(values['trust-proxy'], TRUST_PROXY_VALUES, 'trust-proxy') ?? 'none';
  const proxied = proxyAddressWarning(host, origins ?? [], trustProxy);
  if (proxied) console.warn(proxied);
  const server = await startSignalServer({
    port: port(values.port, 8787),
    host,
    trustProxy,
    allowedOrigins: origins ?? '*',
    dashboardToken: dashboardToken(values['dashboard-token']),
    ...(values['p2p-config'] !== undefined ? { p2p: await readP2pModes(values['p2p-config']) } : {}),
  });
  if (values['p2p-config'] !== undefined) reloadOnSighup(values['p2p-config'], server.setP2pModes);
  console.log(`signaling at ${server.url}`);
  return waitForever(server.close);
}

async function demo(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { port: { type: 'string' } } });
  const root = fileURLToPath(new URL('..', import.meta.url));
  const out = join(root, '.demo-build');
  // Our own folder by name; one left by a version that wrote no output marker would be refused.
  await rm(out, { recursive: true, force: true });
  await build([join(root, 'demo', 'site'), '--out', out]);
  const server = await startSiteServer({ root: out, port: port(values.port ?? process.env.PORT, 8080), host: '127.0.0.1', signal: true });
  console.log(
    `\nPeerConnect demo: open ${server.url} in two browser windows (or two profiles).\n` +
      `The panel at the bottom right shows where each byte came from. Ctrl-C to stop.`,
  );
  return waitForever(server.close);
}

function waitForever(close: () => Promise<void>): Promise<number> {
  return new Promise((done) => {
    const stop = (): void => void close().then(() => done(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const commands: Record<string, (a: string[]) => Promise<number>> = { build, serve, signal, deploy, demo };
  const run = command ? commands[command] : undefined;
  if (!run) {
    console.log(USAGE);
    return command ? 2 : 0;
  }
  try {
    return await run(rest);
  } catch (error) {
    console.error(`peer-connect ${command}: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  }
}
