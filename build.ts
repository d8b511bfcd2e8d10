/**
 * The build: reads a static site folder and writes a deployable copy with the trusted manifest
 * (inlined in the service worker), the page bridge, one `<script>` tag per HTML page, and a
 * `.torrent` for each large or media file (pinned in the manifest by its info hash).
 * Nothing else in the site changes, except first-visit markup when `firstVisit` is `swap`.
 */
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { getMimeType } from 'hono/utils/mime';
import { bundleBridge, bundleTorrentClient, bundleWorker } from './build/bundle.ts';
import { hashFile } from './build/hash-file.ts';
import {
  makeTorrent,
  resolveBaseUrl,
  resolveTracker,
  TORRENT_DIR,
  TORRENT_MODES,
  torrentFileFor,
  wantsTorrent,
  type TorrentMode,
} from './build/make-torrent.ts';
import { rewriteHtml, type FirstVisitMode } from './build/rewrite-html.ts';
import { walkSite, type SiteFile } from './build/walk-site.ts';
import { BRIDGE_FILE, TORRENT_CLIENT_FILE, WORKER_FILE, type BridgeConfig, type BridgeTorrent } from './protocol/bridge-config.ts';
import { MAX_ASSET_SIZE, PIECE_SIZE, PIECE_STORE_QUOTA_BYTES, TORRENT_MIN_SIZE, TORRENT_STORE_QUOTA_BYTES } from './protocol/limits.ts';
import { MANIFEST_VERSION, type Manifest, type ManifestAsset } from './protocol/manifest.ts';

export interface BuildOptions {
  siteDir: string;
  outDir: string;
  /** WebSocket URL of the signaling server. Default: `/peer-connect/signal` on the site's own origin. */
  signal?: string | null;
  /** Swarm id. Default: the site's host at run time. */
  swarm?: string | null;
  firstVisit?: FirstVisitMode;
  /** STUN/TURN servers handed to WebRTC. Default none: host candidates only. */
  iceServers?: BridgeConfig['iceServers'];
  /** Whether visitors upload: `auto` (not on data-saver or cellular), `always`, `off`. */
  upload?: BridgeConfig['upload'];
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
}

export interface BuildResult {
  manifest: Manifest;
  htmlPages: string[];
  /** Elements wrapped for first-visit swapping, over all pages. */
  swapped: number;
  /** Asset paths that got a torrent (each has `torrent` in the manifest and a `.torrent` written). */
  torrents: string[];
}

const isHtml = (path: string): boolean => /\.html?$/i.test(path);
/**
 * What the build writes itself: our two scripts and the torrents folder. A site file at one of
 * these paths (e.g. a built site given as the site) is neither copied nor in the manifest.
 */
const isOurs = (path: string): boolean =>
  path === WORKER_FILE || path === BRIDGE_FILE || path === TORRENT_CLIENT_FILE || path.startsWith(TORRENT_DIR + '/');
/** Navigations never go through peers (the page must come from the origin, which we trust), and our own files must not either. */
const isPeerServable = (f: SiteFile): boolean => !isHtml(f.path) && !isOurs(f.path);

export async function buildSite(options: BuildOptions): Promise<BuildResult> {
  const siteDir = resolve(options.siteDir);
  const outDir = resolve(options.outDir);
  if (outDir === siteDir || siteDir.startsWith(outDir + '/')) throw new Error('--out must not be the site folder or contain it');
  const pieceSize = options.pieceSize ?? PIECE_SIZE;
  const firstVisit = options.firstVisit ?? 'swap';
  const torrentMode = options.torrents ?? 'media';
  if (!TORRENT_MODES.includes(torrentMode)) throw new Error(`--torrents must be one of ${TORRENT_MODES.join(', ')}`);
  const torrentMinSize = options.torrentMinSize ?? TORRENT_MIN_SIZE;
  if (!Number.isInteger(torrentMinSize) || torrentMinSize < 1 || torrentMinSize > MAX_ASSET_SIZE) {
    throw new Error(`--torrent-min-size must be a whole number of bytes from 1 to ${MAX_ASSET_SIZE}`);
  }
  const storeQuota = options.storeQuota ?? PIECE_STORE_QUOTA_BYTES;
  if (!Number.isInteger(storeQuota) || storeQuota < 1) throw new Error('--store-quota must be a whole number of bytes');
  const tracker = resolveTracker(options.tracker, options.signal);
  const baseUrl = resolveBaseUrl(options.baseUrl);
  const files = (await walkSite(siteDir)).filter((f) => !(outDir + '/').startsWith(f.absolute + '/') && !f.absolute.startsWith(outDir + '/'));

  const manifest: Manifest = { version: MANIFEST_VERSION, pieceSize, builtAt: new Date().toISOString(), assets: {} };
  const torrentFiles = new Map<string, Uint8Array>();
  for (const file of files.filter(isPeerServable)) {
    const { hash, size, pieces } = await hashFile(file.absolute, pieceSize);
    const asset: ManifestAsset = { hash, size, pieces, type: contentType(file.path) };
    if (wantsTorrent(asset, torrentMode, torrentMinSize)) {
      const made = await makeTorrent(file.absolute, size, {
        assetPath: file.path,
        announce: tracker.startsWith('/') ? null : tracker,
        baseUrl,
      });
      const torrentFile = torrentFileFor(file.path);
      asset.torrent = { infoHash: made.infoHash, pieceLength: made.pieceLength, file: torrentFile, announce: tracker };
      torrentFiles.set(torrentFile, made.torrent);
    }
    manifest.assets[file.path] = asset;
  }

  await rm(outDir, { recursive: true, force: true });
  let swapped = 0;
  const htmlPages: string[] = [];
  for (const file of files) {
    if (isOurs(file.path)) continue;
    const target = join(outDir, file.path);
    await mkdir(dirname(target), { recursive: true });
    if (!isHtml(file.path)) {
      await copyFile(file.absolute, target);
      continue;
    }
    const depth = file.path.split('/').length - 1;
    const result = rewriteHtml(await readFile(file.absolute), {
      pagePath: file.path,
      bridgeSrc: '../'.repeat(depth) + BRIDGE_FILE,
      isAsset: (p) => p in manifest.assets,
      firstVisit,
    });
    swapped += result.swapped;
    htmlPages.push(file.path);
    await writeFile(target, result.html);
  }

  for (const [path, bytes] of torrentFiles) {
    const target = join(outDir, path);
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, bytes);
  }

  const torrentQuota = options.torrentQuota ?? TORRENT_STORE_QUOTA_BYTES;
  if (!Number.isInteger(torrentQuota) || torrentQuota < 1) throw new Error('--torrent-quota must be a whole number of bytes');
  const bridgeTorrents: Record<string, BridgeTorrent> = {};
  for (const [path, asset] of Object.entries(manifest.assets)) {
    if (asset.torrent) {
      bridgeTorrents[asset.hash] = { path, infoHash: asset.torrent.infoHash, torrentFile: asset.torrent.file, announce: asset.torrent.announce, pieceSize };
    }
  }

  const minify = options.minify ?? true;
  await mkdir(outDir, { recursive: true });
  // Only sites with torrents ship the WebTorrent client (~220 KB), and only pages that play one load it.
  if (Object.keys(bridgeTorrents).length > 0) await writeFile(join(outDir, TORRENT_CLIENT_FILE), await bundleTorrentClient(minify));
  await writeFile(join(outDir, WORKER_FILE), await bundleWorker(manifest, { storeQuotaBytes: storeQuota }, minify));
  await writeFile(
    join(outDir, BRIDGE_FILE),
    await bundleBridge(
      {
        signal: options.signal ?? null,
        swarm: options.swarm ?? null,
        firstVisit,
        workerFile: WORKER_FILE,
        iceServers: options.iceServers ?? [],
        upload: options.upload ?? 'auto',
        torrents: bridgeTorrents,
        torrentQuotaBytes: torrentQuota,
      },
      minify,
    ),
  );
  return { manifest, htmlPages, swapped, torrents: Object.keys(manifest.assets).filter((p) => manifest.assets[p]?.torrent) };
}

/**
 * Audio and video types hono's table lacks. They matter twice: the worker answers with the
 * manifest's type (a `<audio>` given `application/octet-stream` may refuse to play), and media
 * types decide which files get a torrent.
 */
const MEDIA_TYPES: Record<string, string> = {
  ogg: 'audio/ogg',
  m4a: 'audio/mp4',
  flac: 'audio/flac',
  wav: 'audio/wav',
  m4v: 'video/mp4',
  mov: 'video/quicktime',
  mkv: 'video/x-matroska',
};

const contentType = (path: string): string =>
  getMimeType(path) ?? MEDIA_TYPES[/\.([^./]+)$/.exec(path)?.[1]?.toLowerCase() ?? ''] ?? 'application/octet-stream';
