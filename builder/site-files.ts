/**
 * Which of a site's files the build treats specially, by path (site-relative, `/`-separated):
 * HTML pages, our own files, hidden files and host configuration. All are copied to the output
 * except ours; none of them is ever in the manifest.
 */

import { ASSET_TABLE_DIR } from '../protocol/asset-table.ts';
import { BRIDGE_FILE, TORRENT_CLIENT_FILE, WORKER_FILE } from '../protocol/bridge-config.ts';
import { PAGE_ASSETS_DIR } from '../protocol/page-assets.ts';
import { PIECE_LIST_DIR } from '../protocol/piece-list.ts';
import { BUILD_MARKER_FILE } from './check-out-dir.ts';
import { TORRENT_DIR } from './make-torrent.ts';

export const isHtml = (path: string): boolean => /\.html?$/i.test(path);

/**
 * What the build writes itself: our scripts, the torrents, piece-list, asset-table and page-asset-list folders and
 * the output marker (any
 * marker, at any depth: a copied one would make its folder look like our output). A site file at
 * one of these paths (e.g. a built site given as the site) is neither copied nor in the manifest.
 */
export const isOurs = (path: string): boolean =>
  path === WORKER_FILE ||
  path === BRIDGE_FILE ||
  path === TORRENT_CLIENT_FILE ||
  path.startsWith(`${TORRENT_DIR}/`) ||
  path.startsWith(`${PAGE_ASSETS_DIR}/`) ||
  path.startsWith(`${PIECE_LIST_DIR}/`) ||
  path.startsWith(`${ASSET_TABLE_DIR}/`) ||
  path.split('/').at(-1) === BUILD_MARKER_FILE;

/**
 * A file or folder name starting with `.` anywhere in the path: `.htaccess`, `.htpasswd`,
 * `.env`, `.DS_Store`. Hosts commonly refuse to serve them, so peers must not either.
 * `.well-known/` at the root is the exception (RFC 8615: meant to be fetched), but not a hidden
 * name inside it.
 */
export const isHidden = (path: string): boolean =>
  path.split('/').some((segment, i) => segment.startsWith('.') && !(i === 0 && segment === '.well-known'));

/**
 * Netlify's and Cloudflare Pages' configuration files, read by the host from the site's root
 * (headers, including Basic-Auth, and redirects): not content.
 */
export const isHostConfig = (path: string): boolean => path === '_headers' || path === '_redirects';

/**
 * Files the manifest may list. Navigations never go through peers (the page must come from the
 * origin, which we trust); our own files, hidden files and host configuration must not either.
 */
export const mayBeAsset = (path: string): boolean => !isHtml(path) && !isOurs(path) && !isHidden(path) && !isHostConfig(path);
