/**
 * A test site: the demo site (or another), built once per test file with the real build, served by
 * the real origin server and a real signaling server. The page-side helpers every e2e test needs
 * (page-view.ts, session.ts, asset-checks.ts, worker-store.ts) are re-exported from here.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BuildOptions, buildSite } from '../../../build.ts';
import type { FirstVisitOption } from '../../../protocol/first-visit.ts';
import { type Manifest, urlPathFor } from '../../../protocol/manifest.ts';
import { type SignalServerOptions, startSignalServer } from '../../../signal-worker/adapter/node/index.ts';
import { forgetDiskHashes } from './asset-checks.ts';
import { type OriginOptions, type OriginServer, startOriginServer } from './origin-server.ts';
import { forgetPageFacts } from './page-view.ts';

// Every e2e file imports its helpers from here; each lives in the file of its job.
export { type AssetCheck, checkAssets, describeBad, diskSha256, type FetchedBody, fetchAll } from './asset-checks.ts';
export { type OriginUse, originUse, peerShare, settleVisitor } from './origin-use.ts';
export type { PeerConnectStats } from './page-api.ts';
export {
  assetBytes,
  expectedImageCount,
  type ImageState,
  loadedAssets,
  viewPage,
  waitForImages,
  waitForReady,
  withTimeout,
} from './page-view.ts';
export { pct, type Session, settle, settledStats, stats, sumStats, viewPages, waitForTakeover } from './session.ts';
export { waitUntilSeeding } from './signal-probe.ts';
export { waitUntil } from './wait.ts';
export { corruptStoredPieces, readPieceHashes, storedCounts, storedDigests, wrongStoredPieces } from './worker-store.ts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const DEMO_SITE = join(ROOT, 'demo', 'site');

interface SignalHandle {
  url: string;
  port: number;
  /** The server's own counts: open signaling sockets (joined or not), swarms, joined peers. */
  stats(): { connections: number; swarms: number; peers: number };
  close(): Promise<void>;
}

export interface SiteOptions {
  /** Site to build; the demo site by default. */
  siteDir?: string;
  /** Default `swap` (what most tests were written against); `auto` is the product's default. */
  firstVisit?: FirstVisitOption;
  origin?: Omit<OriginOptions, 'root'>;
  /** Other build options (e.g. a small `torrentQuota`). */
  build?: Pick<
    BuildOptions,
    | 'torrentQuota'
    | 'torrents'
    | 'exclude'
    | 'storeQuota'
    | 'start'
    | 'tracker'
    | 'siteWorker'
    | 'uploadCap'
    | 'prefetchBudget'
    | 'lcpFromOrigin'
  >;
  /** The signaling server's dashboard token and P2P modes (issue 15); default none and `on`. */
  signal?: Pick<SignalServerOptions, 'dashboardToken' | 'p2p'>;
}

export interface TestSite {
  siteDir: string;
  outDir: string;
  manifest: Manifest;
  htmlPages: string[];
  origin: OriginServer;
  /** Null once stopped. */
  signal: SignalHandle | null;
  signalUrl: string;
  /** Absolute URL of a site path (`gallery.html`). */
  url(path: string): string;
  /**
   * Deploys another version: builds `siteDir` into the same output folder the origin serves, with
   * the same options, and makes it this site's `siteDir` and `manifest`. Returns the new manifest.
   */
  redeploy(siteDir: string): Promise<Manifest>;
  stopSignal(): Promise<void>;
  close(): Promise<void>;
}

export async function startSite(options: SiteOptions = {}): Promise<TestSite> {
  const outDir = await mkdtemp(join(tmpdir(), 'pc-e2e-site-'));
  const cleanups: Array<() => Promise<void>> = [() => rm(outDir, { recursive: true, force: true })];
  const cleanup = async (): Promise<void> => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  };
  try {
    // The signaling URL is baked into the bridge, so the server must exist before the build.
    const signal = await startSignalServer({ port: 0, allowedOrigins: '*', ...options.signal });
    let signalOpen = true;
    const stopSignal = async (): Promise<void> => {
      if (!signalOpen) return;
      signalOpen = false;
      site.signal = null;
      await signal.close();
    };
    cleanups.push(stopSignal);
    const siteDir = options.siteDir ?? process.env.PEER_CONNECT_E2E_SITE ?? DEMO_SITE;
    const buildFrom = (dir: string) =>
      buildSite({ ...options.build, siteDir: dir, outDir, signal: signal.url, firstVisit: options.firstVisit ?? 'swap' });
    const built = await buildFrom(siteDir);
    const origin = await startOriginServer({ ...options.origin, root: outDir });
    cleanups.push(() => origin.close());
    const site: TestSite = {
      siteDir,
      outDir,
      manifest: built.manifest,
      htmlPages: built.htmlPages,
      origin,
      signal,
      signalUrl: signal.url,
      url: (path) => `${origin.url}/${urlPathFor(path)}`,
      redeploy: async (dir) => {
        const next = await buildFrom(dir);
        // Hashes and image counts remembered per path describe the version that was there.
        forgetDiskHashes();
        forgetPageFacts();
        site.siteDir = dir;
        site.manifest = next.manifest;
        site.htmlPages = next.htmlPages;
        return next.manifest;
      },
      stopSignal,
      close: cleanup,
    };
    return site;
  } catch (err) {
    await cleanup();
    throw err;
  }
}

/**
 * A site some other tool built (a framework with a plugin): starts the signaling server, hands
 * its URL to `build`, which writes the site and returns the folder, and serves that folder.
 * The folder's manifest is read back by building it again into a scratch folder (the build skips
 * its own files, so the assets and the build id are the same); a test checks the id against the
 * served pages with `builtId`. `redeploy` is not supported.
 */
export async function startBuiltSite(
  build: (signalUrl: string) => Promise<string>,
  options: { origin?: Omit<OriginOptions, 'root'> } = {},
): Promise<TestSite> {
  const signal = await startSignalServer({ port: 0, allowedOrigins: '*' });
  let signalOpen = true;
  const stopSignal = async (): Promise<void> => {
    if (!signalOpen) return;
    signalOpen = false;
    site.signal = null;
    await signal.close();
  };
  let origin: OriginServer | null = null;
  const close = async (): Promise<void> => {
    await origin?.close().catch(() => undefined);
    await stopSignal().catch(() => undefined);
  };
  let site: TestSite;
  try {
    const outDir = await build(signal.url);
    const scratch = await mkdtemp(join(tmpdir(), 'pc-e2e-manifest-'));
    const again = await buildSite({ siteDir: outDir, outDir: scratch }).finally(() => rm(scratch, { recursive: true, force: true }));
    origin = await startOriginServer({ ...options.origin, root: outDir });
    const served = origin;
    site = {
      siteDir: outDir,
      outDir,
      manifest: again.manifest,
      htmlPages: again.htmlPages,
      origin: served,
      signal,
      signalUrl: signal.url,
      url: (path) => `${served.url}/${urlPathFor(path)}`,
      redeploy: () => Promise.reject(new Error('startBuiltSite: redeploy is not supported')),
      stopSignal,
      close,
    };
    return site;
  } catch (err) {
    await close();
    throw err;
  }
}

/** The build id in a built page's script (`data-peer-connect-page`), or null: which build the page belongs to. */
export function builtId(html: string): string | null {
  return /\bbuild:"([0-9a-f]+)"/.exec(html)?.[1] ?? null;
}
