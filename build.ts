/**
 * The build: reads a static site folder and writes a deployable copy with the trusted manifest
 * (inlined in the service worker but its assets, which go to the asset table file
 * `peer-connect-assets/<root>.json` pinned by the root the worker inlines), the page bridge, one `<script>` tag per HTML page, and a
 * `.torrent` for each large or media file (pinned in the manifest by its info hash).
 * Nothing else in the site changes, except a page's first-visit script (`reload`) or markup (`swap`).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { buildId } from './builder/build-id.ts';
import { bundleBridge, bundleTorrentClient, bundleWorker } from './builder/bundle.ts';
import { checkOutDir, isInside } from './builder/check-out-dir.ts';
import { applyExclusions, type ExcludedFile, type ExclusionReason, optionRules } from './builder/exclude.ts';
import { hashFile } from './builder/hash-file.ts';
import { hostRules } from './builder/host-protection.ts';
import {
  makeTorrent,
  resolveBaseUrl,
  resolveTracker,
  TORRENT_MODES,
  type TorrentMode,
  torrentFileFor,
  wantsTorrent,
} from './builder/make-torrent.ts';
import { oneOf } from './builder/option-values.ts';
import { diskOutDirView, prepareOutDir } from './builder/out-dir.ts';
import { rewriteHtml } from './builder/rewrite-html.ts';
import { isHtml, isOurs, mayBeAsset } from './builder/site-files.ts';
import { composeWorker } from './builder/site-worker/compose.ts';
import { planSiteWorker, type SiteWorkerPlan } from './builder/site-worker/plan.ts';
import { refreshPrecacheRevisions } from './builder/site-worker/precache-revisions.ts';
import { type SiteFile, walkSite } from './builder/walk-site.ts';
import { splitManifest } from './builder/worker-manifest.ts';
import {
  BRIDGE_FILE,
  type BridgeConfig,
  type BridgeTorrent,
  BUILD_QUERY,
  bridgeScriptSrc,
  NO_UPLOAD_CAP,
  OWN_WORKER,
  START_MODES,
  TORRENT_CLIENT_FILE,
  UPLOAD_MODES,
  type UploadCapConfig,
  WORKER_FILE,
  type WorkerRegistration,
} from './protocol/bridge-config.ts';
import { contentTypeFor } from './protocol/content-types.ts';
import { encodeCriticalSet } from './protocol/critical-set.ts';
import { FIRST_VISIT_OPTIONS, type FirstVisitMode, type FirstVisitOption } from './protocol/first-visit.ts';
import {
  MAX_ASSET_SIZE,
  PIECE_SIZE,
  PIECE_STORE_QUOTA_BYTES,
  PREFETCH_BUDGET_BYTES,
  TORRENT_MIN_SIZE,
  TORRENT_STORE_QUOTA_BYTES,
} from './protocol/limits.ts';
import { MANIFEST_VERSION, type Manifest, type ManifestAsset, type WorkerManifest } from './protocol/manifest.ts';
import { encodePageAssets, type PageAsset, pageAssetsFileForPage } from './protocol/page-assets.ts';
import { encodePageSet } from './protocol/page-set.ts';
import { encodePieceList, pieceListPath } from './protocol/piece-list.ts';

export interface BuildOptions {
  siteDir: string;
  /**
   * Where the built site goes. It is emptied first, so it must be a new or empty folder or an
   * earlier build's output (it holds `.peer-connect-build`), and not a filesystem root, the site,
   * or a folder containing the site (see builder/check-out-dir.ts). A folder inside the site is fine.
   */
  outDir: string;
  /** WebSocket URL of the signaling server. Default: `/peer-connect/signal` on the site's own origin. */
  signal?: string | null;
  /** Swarm id. Default: the site's host at run time. */
  swarm?: string | null;
  /** How a newcomer's first page becomes P2P: `auto` (default) decides per page, see builder/first-visit/choose-mode.ts. */
  firstVisit?: FirstVisitOption;
  /** STUN/TURN servers handed to WebRTC. Default none: host candidates only. */
  iceServers?: BridgeConfig['iceServers'];
  /** Whether visitors upload: `auto` (not on data-saver or cellular), `always`, `off`. */
  upload?: BridgeConfig['upload'];
  /** Bytes one visitor may upload per page view and per day (`--upload-cap`); default none. */
  uploadCap?: UploadCapConfig;
  /** When pages start P2P: `auto` (default; unless the visitor opted out with `peerConnect.stop()`) or `manual` (on `peerConnect.start()`). */
  start?: BridgeConfig['start'];
  pieceSize?: number;
  /** Minify the two browser scripts (default true; off makes stack traces readable). */
  minify?: boolean;
  /** Which files get a torrent (default `media`: audio/video files, and any file ≥ `torrentMinSize`). */
  torrents?: TorrentMode;
  /** Bytes from which any file gets a torrent (default TORRENT_MIN_SIZE, 8 MiB). */
  torrentMinSize?: number;
  /** Where the site's root is deployed (`https://example.com/blog/`): makes the torrents' web seeds. Default: none written. */
  baseUrl?: string | null;
  /** WebTorrent tracker, a `ws:`/`wss:` URL. Default: `/peer-connect/announce` on `signal`'s host, else on the page's origin. */
  tracker?: string | null;
  /** Bytes of torrent pieces each visitor keeps in IndexedDB, least recently used evicted first (default 512 MiB). */
  torrentQuota?: number;
  /** Bytes of verified pieces each visitor's worker keeps in IndexedDB, least recently used assets evicted first (default 256 MiB). */
  storeQuota?: number;
  /** Bytes one page view may prefetch from peers for the pages it links to (default PREFETCH_BUDGET_BYTES, 8 MiB; 0: never). */
  prefetchBudget?: number;
  /**
   * Each page's LCP candidates (its `fetchpriority="high"` images, its first large image) are asked
   * of the origin at once, never waited for from peers, and `swap` leaves them unwrapped (README
   * "Limits and deadlines"). Faster largest image, less offload. Default false.
   */
  lcpFromOrigin?: boolean;
  /**
   * Globs (picomatch, `dot: true`, relative to the site root; a folder's glob covers its subtree,
   * e.g. `members/**`) of files to keep out of the manifest and the swarm: still copied, served by
   * the origin only. See builder/exclude.ts. What the site's `.htaccess`, `.htpasswd` and `_headers`
   * protect is kept out as well, without being asked (builder/host-protection.ts).
   */
  exclude?: string[];
  /**
   * The site's own service worker file (site-relative, `sw.js`), for when the build cannot find
   * it in the pages' `register()` calls (a computed URL). A site that registers a worker gets
   * ours imported into it (builder/site-worker/); see README "A site with its own service worker".
   */
  siteWorker?: string | null;
}

export interface BuildResult {
  manifest: Manifest;
  htmlPages: string[];
  /** Elements wrapped for first-visit swapping, over all pages. */
  swapped: number;
  /** Each page's first visit and why, in the order the pages were written. */
  firstVisits: PageFirstVisit[];
  /** Asset paths that got a torrent (each has `torrent` in the manifest and a `.torrent` written). */
  torrents: string[];
  /** Files that would have been assets but were kept out of the manifest (copied all the same), sorted, each with why. */
  excluded: ExcludedFile[];
  /** Every exclusion rule in force, matched or not, so a caller can report each: those found in the site's host configuration first, then `exclude`'s. */
  exclusionRules: ExclusionReason[];
  /** Host configuration the build could not fully read (a malformed `_headers` line), a site worker's scope it cannot check. */
  warnings: string[];
  /**
   * The asset table file (protocol/asset-table.ts): the manifest's `assets`, fetched by the worker
   * at install and checked against `root`, which the worker inlines. `path` is under the output.
   */
  assetTable: { root: string; path: string };
  /** The site's own worker PeerConnect was composed with (its file, how pages register it), or null: ours alone. */
  siteWorker: { path: string; registration: WorkerRegistration } | null;
}

export interface PageFirstVisit {
  page: string;
  mode: FirstVisitMode;
  reason: string;
}

export async function buildSite(options: BuildOptions): Promise<BuildResult> {
  const settings = resolveSettings(options);
  const plan = checkOutDir(resolve(options.siteDir), resolve(options.outDir), diskOutDirView);
  if (!plan.ok) throw new Error(plan.error);
  const { siteDir, outDir } = plan.value;
  // An output folder inside the site is allowed: its files (an earlier build's) are not the site's.
  const files = (await walkSite(siteDir)).filter((f) => !isInside(f.absolute, outDir));
  const paths = files.map((f) => f.path);
  const host = await hostRules(siteDir, paths);
  const rules = [...host.rules, ...optionRules(options.exclude ?? [])];
  const siteWorker = await planSiteWorker({ files, isOurs, isHtml, named: options.siteWorker ?? null, siteOrigin: SITE_ORIGIN });
  // The site's worker is written composed (other bytes than the site's file), and browsers fetch
  // worker scripts from the network only: never an asset.
  const { kept, excluded } = applyExclusions(
    paths.filter((p) => mayBeAsset(p) && p !== siteWorker?.path),
    rules,
  );
  const assetPaths = new Set(kept);
  const pages = paths.filter(isHtml);
  const { manifest, torrentFiles, pieceLists } = await makeManifest(
    files.filter((f) => assetPaths.has(f.path)),
    pages,
    settings,
  );

  await prepareOutDir(plan.value, manifest.build);
  const { htmlPages, swapped, firstVisits, pageWarnings, pageRevisions, pageAssets, pageCritical } = await copySite(
    files,
    outDir,
    manifest,
    settings.firstVisit,
    options.signal ?? null,
    options.start ?? 'auto',
    siteWorker,
    options.lcpFromOrigin === true,
  );
  // Read by the worker (protocol/critical-set.ts); known only once the pages are parsed.
  if (pageCritical.size > 0) manifest.critical = encodeCriticalSet(pageCritical);
  for (const [path, bytes] of torrentFiles) await writeOutput(outDir, path, bytes);
  for (const [path, text] of pageAssetFiles(pageAssets, manifest)) await writeOutput(outDir, path, text);
  for (const [path, bytes] of pieceLists) await writeOutput(outDir, path, bytes);
  const split = splitManifest(manifest);
  await writeOutput(outDir, split.table.path, split.table.bytes);
  await writeScripts(outDir, manifest, split.inlined, options, settings, siteWorker, pageRevisions);
  const torrents = Object.keys(manifest.assets).filter((p) => manifest.assets[p]?.torrent);
  return {
    manifest,
    htmlPages,
    swapped,
    firstVisits,
    torrents,
    excluded,
    exclusionRules: rules.map((r) => r.reason),
    warnings: [...host.warnings, ...(siteWorker?.warnings ?? []), ...pageWarnings],
    assetTable: { root: split.table.root, path: split.table.path },
    siteWorker: siteWorker === null ? null : { path: siteWorker.path, registration: siteWorker.registration },
  };
}

/** The stand-in origin whose root is the site's root, to resolve the site's URLs in. */
const SITE_ORIGIN = 'http://site.invalid/';

/** The options the build uses, with defaults filled in and checked before anything is read or written. */
interface Settings {
  pieceSize: number;
  firstVisit: FirstVisitOption;
  torrentMode: TorrentMode;
  torrentMinSize: number;
  torrentQuota: number;
  storeQuota: number;
  prefetchBudget: number;
  /** Resolved tracker: a `ws(s):` URL or a path on the page's origin. */
  tracker: string;
  baseUrl: URL | null;
  minify: boolean;
}

function resolveSettings(options: BuildOptions): Settings {
  // Checked here, not only by the CLI, because the plugins pass their users' values straight in.
  const torrentMode = oneOf(options.torrents, TORRENT_MODES, 'torrents') ?? 'media';
  const firstVisit = oneOf(options.firstVisit, FIRST_VISIT_OPTIONS, 'first-visit') ?? 'auto';
  oneOf(options.upload, UPLOAD_MODES, 'upload');
  oneOf(options.start, START_MODES, 'start');
  const torrentMinSize = options.torrentMinSize ?? TORRENT_MIN_SIZE;
  if (!Number.isInteger(torrentMinSize) || torrentMinSize < 1 || torrentMinSize > MAX_ASSET_SIZE) {
    throw new Error(`--torrent-min-size must be a whole number of bytes from 1 to ${MAX_ASSET_SIZE}`);
  }
  const torrentQuota = options.torrentQuota ?? TORRENT_STORE_QUOTA_BYTES;
  if (!Number.isInteger(torrentQuota) || torrentQuota < 1) throw new Error('--torrent-quota must be a whole number of bytes');
  const storeQuota = options.storeQuota ?? PIECE_STORE_QUOTA_BYTES;
  if (!Number.isInteger(storeQuota) || storeQuota < 1) throw new Error('--store-quota must be a whole number of bytes');
  const prefetchBudget = options.prefetchBudget ?? PREFETCH_BUDGET_BYTES;
  if (!Number.isSafeInteger(prefetchBudget) || prefetchBudget < 0)
    throw new Error('--prefetch-budget must be a whole number of bytes (0: off)');
  return {
    pieceSize: options.pieceSize ?? PIECE_SIZE,
    firstVisit,
    torrentMode,
    torrentMinSize,
    torrentQuota,
    storeQuota,
    prefetchBudget,
    tracker: resolveTracker(options.tracker, options.signal),
    baseUrl: resolveBaseUrl(options.baseUrl),
    minify: options.minify ?? true,
  };
}

/**
 * Hashes every asset (sorted, as the walk lists them), makes the piece list of each asset of more
 * than one piece (protocol/piece-list.ts: its root goes in the manifest, its bytes to
 * `peer-connect-pieces/<root>.bin`) and the torrents the mode asks for.
 */
async function makeManifest(
  assetFiles: SiteFile[],
  pages: string[],
  settings: Settings,
): Promise<{ manifest: Manifest; torrentFiles: Map<string, Uint8Array>; pieceLists: Map<string, Uint8Array> }> {
  const { pieceSize, tracker } = settings;
  const assets: Record<string, ManifestAsset> = {};
  const torrentFiles = new Map<string, Uint8Array>();
  const pieceLists = new Map<string, Uint8Array>();
  for (const file of assetFiles) {
    const { hash, size, pieces } = await hashFile(file.absolute, pieceSize);
    const asset: ManifestAsset = { hash, size, type: contentTypeFor(file.path) };
    if (pieces.length > 1) {
      const list = encodePieceList(pieces);
      asset.piecesRoot = createHash('sha256').update(list).digest('hex');
      pieceLists.set(pieceListPath(asset.piecesRoot), list);
    }
    if (wantsTorrent(asset, settings.torrentMode, settings.torrentMinSize)) {
      const made = await makeTorrent(file.absolute, size, {
        assetPath: file.path,
        announce: tracker.startsWith('/') ? null : tracker,
        baseUrl: settings.baseUrl,
      });
      const torrentFile = torrentFileFor(file.path);
      asset.torrent = { infoHash: made.infoHash, pieceLength: made.pieceLength, file: torrentFile, announce: tracker };
      torrentFiles.set(torrentFile, made.torrent);
    }
    assets[file.path] = asset;
  }
  const manifest: Manifest = {
    version: MANIFEST_VERSION,
    pieceSize,
    build: buildId({ version: MANIFEST_VERSION, pieceSize, assets }),
    builtAt: new Date().toISOString(),
    assets,
    pages: encodePageSet(pages),
  };
  return { manifest, torrentFiles, pieceLists };
}

/** Copies every site file but ours; HTML pages get the bridge tag (and first-visit markup). */
async function copySite(
  files: SiteFile[],
  outDir: string,
  manifest: Manifest,
  firstVisit: FirstVisitOption,
  signal: string | null,
  start: BridgeConfig['start'],
  siteWorker: SiteWorkerPlan | null,
  lcpFromOrigin: boolean,
): Promise<{
  htmlPages: string[];
  swapped: number;
  firstVisits: PageFirstVisit[];
  pageWarnings: string[];
  /** Each written page's SHA-256 (hex, 32 chars), for a site worker's precache revisions. */
  pageRevisions: Map<string, string>;
  /** Each page's named assets (RewriteResult.assets), for its prefetch list. */
  pageAssets: Map<string, string[]>;
  /** Each page's LCP candidates (RewriteResult.critical), for the manifest's critical set. */
  pageCritical: Map<string, string[]>;
}> {
  const pageAssets = new Map<string, string[]>();
  const pageCritical = new Map<string, string[]>();
  let swapped = 0;
  const pageRevisions = new Map<string, string>();
  const htmlPages: string[] = [];
  const firstVisits: PageFirstVisit[] = [];
  const pageWarnings: string[] = [];
  const texts = assetTextReader(files, manifest);
  for (const file of files) {
    if (isOurs(file.path) || file.path === siteWorker?.path) continue;
    if (!isHtml(file.path)) {
      const target = join(outDir, file.path);
      await mkdir(dirname(target), { recursive: true });
      await copyFile(file.absolute, target);
      continue;
    }
    const prefix = '../'.repeat(file.path.split('/').length - 1);
    const result = rewriteHtml(await readFile(file.absolute), {
      pagePath: file.path,
      bridgeSrc: bridgeScriptSrc(prefix, manifest.build),
      worker: siteWorker?.registration ?? OWN_WORKER,
      build: manifest.build,
      signalUrl: signal,
      isAsset: (p) => p in manifest.assets,
      assetSize: (p) => manifest.assets[p]?.size ?? 0,
      cssOf: texts.css,
      scriptOf: texts.script,
      startsManually: start === 'manual',
      markLcp: lcpFromOrigin,
      firstVisit,
    });
    swapped += result.swapped;
    htmlPages.push(file.path);
    firstVisits.push({ page: file.path, ...result.firstVisit });
    for (const warning of result.warnings) pageWarnings.push(`${file.path}: ${warning}`);
    await writeOutput(outDir, file.path, result.html);
    pageRevisions.set(file.path, createHash('sha256').update(result.html).digest('hex').slice(0, 32));
    pageAssets.set(file.path, result.assets);
    if (result.critical.length > 0) pageCritical.set(file.path, result.critical);
  }
  return { htmlPages, swapped, firstVisits, pageWarnings, pageRevisions, pageAssets, pageCritical };
}

/**
 * Each page's prefetch list (protocol/page-assets.ts), by file: its assets but torrents (the
 * worker does not store those; a video is not prefetched). Pages whose keys share a file share
 * one list, the union of theirs.
 */
function pageAssetFiles(pageAssets: ReadonlyMap<string, string[]>, manifest: Manifest): Map<string, string> {
  const byFile = new Map<string, PageAsset[]>();
  for (const [page, keys] of pageAssets) {
    const file = pageAssetsFileForPage(page);
    const list = byFile.get(file) ?? [];
    for (const key of keys) {
      const asset = manifest.assets[key];
      if (asset && !asset.torrent && !list.some((a) => a.key === key)) list.push({ key, size: asset.size, hash: asset.hash });
    }
    byFile.set(file, list);
  }
  return new Map([...byFile].map(([file, list]) => [file, encodePageAssets(list)]));
}

/**
 * Scripts above this are not read for the asset URLs they name: the first-visit choice is a
 * weighing, and a 5 MiB bundle already weighs enough on its own.
 */
const MAX_SCRIPT_SCAN_BYTES = 4 * 1024 * 1024;

/** The site's stylesheet and script assets' text, read once each (pages share them). */
function assetTextReader(files: SiteFile[], manifest: Manifest): { css(path: string): string | null; script(path: string): string | null } {
  const byPath = new Map(files.map((f) => [f.path, f.absolute]));
  // Keyed by kind too: followCss asks css() of every named asset, scripts included.
  const cache = new Map<string, string | null>();
  const read = (path: string, wanted: (type: string, size: number) => boolean, kind: string): string | null => {
    const key = `${kind}:${path}`;
    if (!cache.has(key)) {
      const file = byPath.get(path);
      const asset = manifest.assets[path];
      cache.set(key, file && asset && wanted(asset.type, asset.size) ? readFileSync(file, 'utf8') : null);
    }
    return cache.get(key) ?? null;
  };
  return {
    css: (path) => read(path, (type) => type.startsWith('text/css'), 'css'),
    script: (path) => read(path, (type, size) => /^(text|application)\/javascript\b/.test(type) && size <= MAX_SCRIPT_SCAN_BYTES, 'script'),
  };
}

async function writeOutput(outDir: string, path: string, bytes: Uint8Array | string): Promise<void> {
  const target = join(outDir, path);
  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, bytes);
}

/** The worker (`inlined`: the manifest but its assets), the bridge (config baked in) and, for a site with torrents, the WebTorrent client. */
async function writeScripts(
  outDir: string,
  manifest: Manifest,
  inlined: WorkerManifest,
  options: BuildOptions,
  settings: Settings,
  siteWorker: SiteWorkerPlan | null,
  pageRevisions: ReadonlyMap<string, string>,
): Promise<void> {
  const bridgeTorrents: Record<string, BridgeTorrent> = {};
  for (const [path, asset] of Object.entries(manifest.assets)) {
    if (asset.torrent) {
      const { infoHash, file, announce } = asset.torrent;
      bridgeTorrents[asset.hash] = { path, infoHash, torrentFile: file, announce, pieceSize: manifest.pieceSize };
    }
  }
  const { minify } = settings;
  // Only sites with torrents ship the WebTorrent client (~220 KB), and only pages that play one load it.
  if (Object.keys(bridgeTorrents).length > 0) await writeFile(join(outDir, TORRENT_CLIENT_FILE), await bundleTorrentClient(minify));
  // A site worker sits `depth` folders below the root; ours is imported from there, and its keys start at the root.
  const up = siteWorker === null ? './' : '../'.repeat(siteWorker.path.split('/').length - 1) || './';
  const workerConfig = { storeQuotaBytes: settings.storeQuota, ...(siteWorker === null ? {} : { composed: true, siteRoot: up }) };
  await writeFile(join(outDir, WORKER_FILE), await bundleWorker(inlined, workerConfig, minify));
  if (siteWorker !== null) {
    const written = await readFile(join(resolve(options.siteDir), siteWorker.path), 'utf8');
    // Pages we rewrote get their new revision in a Workbox precache manifest (precache-revisions.ts).
    const workerUrl = new URL(encodeURI(siteWorker.path), SITE_ORIGIN);
    const { text: source } = refreshPrecacheRevisions(written, workerUrl, (p) => pageRevisions.get(p) ?? null);
    const importUrl = `${up}${WORKER_FILE}?${BUILD_QUERY}=${manifest.build}`;
    await writeOutput(outDir, siteWorker.path, composeWorker(source, importUrl, siteWorker.registration.type));
  }
  const config: BridgeConfig = {
    build: manifest.build,
    signal: options.signal ?? null,
    swarm: options.swarm ?? null,
    firstVisit: settings.firstVisit,
    worker: siteWorker?.registration ?? OWN_WORKER,
    iceServers: options.iceServers ?? [],
    upload: options.upload ?? 'auto',
    uploadCap: options.uploadCap ?? NO_UPLOAD_CAP,
    start: options.start ?? 'auto',
    torrents: bridgeTorrents,
    torrentQuotaBytes: settings.torrentQuota,
    prefetchBudgetBytes: settings.prefetchBudget,
  };
  await writeFile(join(outDir, BRIDGE_FILE), await bundleBridge(config, minify));
}
