/**
 * The plugins' options as a user's TypeScript sees them (package.json "exports" "types"). The
 * plugins are TypeScript run by tsx, whose sources import `.ts` paths that a consumer's compiler
 * refuses (TS5097), so their public types are declared here, self-contained. Each option is the
 * `peer-connect build` flag of the same name in kebab-case: README "Options" documents them.
 * tests/unit/plugins.test.ts fails the typecheck if this drifts from plugins/options.ts.
 */
export interface PeerConnectOptions {
  /** `--signal`: WebSocket URL of the signaling server. Default: `/peer-connect/signal` on the site's own origin. */
  signal?: string | null;
  /** `--swarm`: swarm id. Default: the site's host at run time. */
  swarm?: string | null;
  /** `--first-visit`: how a newcomer's first page becomes P2P (default `auto`: decided per page). */
  firstVisit?: 'auto' | 'reload' | 'swap' | 'off';
  /** `--stun`: STUN/TURN servers handed to WebRTC. Default none: host candidates only. */
  iceServers?: Array<{ urls: string | string[]; username?: string; credential?: string }>;
  /** `--upload`: whether visitors upload (`auto`: not on data-saver or cellular). */
  upload?: 'auto' | 'always' | 'off';
  /** `--upload-cap`: what one visitor may upload per page view and per day, bytes or null for none, or the CLI's `'50MiB/500MiB'`. */
  uploadCap?: { perPageView: number | null; perDay: number | null } | string;
  /** `--start`: when pages start P2P (`manual`: on `peerConnect.start()`). */
  start?: 'auto' | 'manual';
  /** `--no-minify` is `minify: false`: readable stack traces in the two browser scripts. */
  minify?: boolean;
  /** `--torrents`: which files get a torrent (default `media`). */
  torrents?: 'media' | 'large' | 'off';
  /** `--torrent-min-size`: bytes, or `'8MiB'`, from which any file gets a torrent. */
  torrentMinSize?: number | string;
  /** `--torrent-quota`: bytes, or `'512MiB'`, of torrent pieces each visitor keeps. */
  torrentQuota?: number | string;
  /** `--store-quota`: bytes, or `'256MiB'`, of verified pieces each visitor's worker keeps. */
  storeQuota?: number | string;
  /** `--prefetch-budget`: bytes, or `'8MiB'` / `'off'`, one page view may prefetch from peers for the pages it links to. */
  prefetchBudget?: number | string;
  /** `--tracker`: WebTorrent tracker, a `ws:`/`wss:` URL. */
  tracker?: string | null;
  /** `--base-url`: where the site's root is deployed (`https://example.com/blog/`), for the torrents' web seeds. */
  baseUrl?: string | null;
  /** `--exclude`: globs of files kept out of the swarm (served by the origin only). */
  exclude?: string[];
  /** `--site-worker`: the site's own service worker file (site-relative), when the build cannot find its `register()` call. */
  siteWorker?: string | null;
}
