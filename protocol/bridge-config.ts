import type { FirstVisitOption } from './first-visit.ts';
import { isBuildId } from './manifest.ts';
import { fail, ok, type Result } from './result.ts';

/**
 * When the bridge starts P2P (signaling, WebRTC, WebTorrent): `auto` at once, unless this origin's
 * visitor opted out with `peerConnect.stop()`; `manual` only once the page calls
 * `peerConnect.start()` (after the site asked for consent).
 */
/** Whether visitors upload: `auto` (not on data-saver or cellular), `always`, `off`. */
export const UPLOAD_MODES = ['auto', 'always', 'off'] as const;
export type UploadMode = (typeof UPLOAD_MODES)[number];

export const START_MODES = ['auto', 'manual'] as const;
export type StartMode = (typeof START_MODES)[number];

/** What the build bakes into the page bridge. */
export interface BridgeConfig {
  /** The manifest's `build` id: the build this bridge (and its worker) came from. */
  build: string;
  /** WebSocket URL of the signaling server; null = DEFAULT_SIGNAL_PATH (protocol/routes.ts) on the page's origin. */
  signal: string | null;
  /** Swarm id; null = the page's host. */
  swarm: string | null;
  /** The site's `--first-visit` option (each page's own mode is in its markup: builder/first-visit/). */
  firstVisit: FirstVisitOption;
  /**
   * The one worker registration every page of the site makes: ours (`peer-connect-sw.js`, scope
   * the bridge's folder) or, for a site with its own worker, that worker (ours imported into it),
   * with the site's own scope and options, so the site's `register()` and ours name one
   * registration. The page script's first-visit registration is written from the same fact.
   */
  worker: WorkerRegistration;
  /** STUN/TURN servers for WebRTC. Empty = host candidates only (same network, or tests). */
  iceServers: Array<{ urls: string | string[]; username?: string; credential?: string }>;
  /** `auto`: no uploading with data-saver on or on cellular; `always`; `off`. */
  upload: UploadMode;
  /** When P2P starts: see START_MODES. */
  start: StartMode;
  /** The site's torrents by the asset's SHA-256 (the hash the worker's `fetch` names). */
  torrents: Record<string, BridgeTorrent>;
  /** Bytes of torrent pieces kept in IndexedDB across the origin's torrents (LRU beyond that). */
  torrentQuotaBytes: number;
  /** The site's cap on what one visitor uploads (`--upload-cap`); absent from older builds: none. */
  uploadCap?: UploadCapConfig;
  /**
   * Bytes one page view may prefetch from peers for the pages it links to (`--prefetch-budget`;
   * 0: never). Absent from older builds: PREFETCH_BUDGET_BYTES.
   */
  prefetchBudgetBytes?: number;
}

/** Bytes one visitor may upload per page view and per day (UTC, across the origin's pages); null: no cap. */
export interface UploadCapConfig {
  perPageView: number | null;
  perDay: number | null;
}

export const NO_UPLOAD_CAP: UploadCapConfig = { perPageView: null, perDay: null };

/** What the bridge needs to join one asset's torrent: all of it is in the manifest too. */
export interface BridgeTorrent {
  /** The asset's key (decoded path under the worker's scope): its web seed is this URL. */
  path: string;
  infoHash: string;
  /** The `.torrent`, relative to the worker's scope. */
  torrentFile: string;
  /** `ws(s):` URL, or a path on the page's origin (made `ws(s):` at run time). */
  announce: string;
  /** The manifest's piece size: the worker asks for pieces of this size. */
  pieceSize: number;
}

/**
 * How a worker is registered: `register(url, {scope, type, updateViaCache})`. A second `register()`
 * with the same script URL, scope, type and updateViaCache returns the existing registration
 * untouched (Service Workers §"Register", step "If newestWorker is not null, … resolve with
 * registration"); anything different starts an update, so ours must match the site's exactly.
 */
export interface WorkerRegistration {
  /** The script's URL relative to the site's root (the bridge's folder), as written: `sw.js`, `js/sw.js?v=2`. */
  url: string;
  /** The scope relative to the site's root: `./`, `app/`. */
  scope: string;
  type: 'classic' | 'module';
  /** The site's `updateViaCache`, or null when it gives none (the browser's default, `imports`). */
  updateViaCache: 'imports' | 'all' | 'none' | null;
}

export const WORKER_FILE = 'peer-connect-sw.js';

/** Our own worker's registration, for a site without a worker of its own. */
export const OWN_WORKER: WorkerRegistration = { url: WORKER_FILE, scope: './', type: 'classic', updateViaCache: null };
export const BRIDGE_FILE = 'peer-connect.js';
/** The WebTorrent client, loaded by the bridge only when a page uses a torrent. */
export const TORRENT_CLIENT_FILE = 'peer-connect-torrent.js';
/**
 * Marks the web seed's own requests so the worker lets them through: without it the worker would
 * answer WebTorrent's web-seed fetch by asking WebTorrent.
 */
export const WEB_SEED_QUERY = 'peer-connect-web-seed';

/**
 * The query parameter that carries the build id on every page's bridge script:
 * `<script src="peer-connect.js?v=<build>" async>`.
 */
export const BUILD_QUERY = 'v';

/** The bridge script URL as written into a page: `<prefix>peer-connect.js?v=<build>` (`prefix` is `../` repeated, or empty). */
export const bridgeScriptSrc = (prefix: string, build: string): string => `${prefix}${BRIDGE_FILE}?${BUILD_QUERY}=${build}`;

/**
 * The build id a bridge script URL carries (see `BUILD_QUERY`), or null when it has none or a
 * malformed one. `src` may be relative: only its query is read.
 */
export function bridgeBuildFromUrl(src: string): string | null {
  let url: URL;
  try {
    url = new URL(src, 'http://bridge.invalid/');
  } catch {
    return null;
  }
  const build = url.searchParams.get(BUILD_QUERY);
  return isBuildId(build) ? build : null;
}

/**
 * The config's `start`, read at run time (the config is a JSON literal in the bundle, which anyone
 * deploying it can edit): absent is `auto` (what every build before the option did); anything
 * else not in START_MODES fails with `bad-start-mode`, and the bridge then starts nothing by itself.
 */
export function decodeStartMode(value: unknown): Result<StartMode, 'bad-start-mode'> {
  if (value === undefined) return ok('auto');
  if ((START_MODES as readonly unknown[]).includes(value)) return ok(value as StartMode);
  return fail(`start must be one of ${START_MODES.join(', ')}, got ${JSON.stringify(value)}`, 'bad-start-mode');
}
