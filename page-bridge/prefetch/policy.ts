/**
 * Prefetch through peers, the policy (pure): whether a page view may prefetch at all, which of
 * the document's links are pages of the build worth asking about, and which assets to take, in
 * which order, within the byte budget. The I/O is run.ts.
 */

import { type PageAssets, pageAssetsFile } from '../../protocol/page-assets.ts';
import { pageKey, pageKeysForUrl } from '../../protocol/page-set.ts';
import type { P2pMode } from '../../protocol/usage-report.ts';

/** Why a page view does not prefetch. */
export type PrefetchSkip =
  /** The visitor's browser asks to save data (`navigator.connection.saveData`). */
  | 'save-data'
  /** A cellular or otherwise metered connection (`navigator.connection.type`). */
  | 'metered'
  /** P2P does not run in this page: not started (`--start manual`), stopped, opted out. */
  | 'p2p-off'
  /** The site owner's switch says `off` or `download-only` (nobody would upload to us). */
  | 'site-mode'
  /** No worker controls the page (first view, hard reload): nothing would store the pieces. */
  | 'no-worker'
  /** A first visit held for its reload (`--first-visit reload`): the page is about to load again. */
  | 'held'
  /** The site's budget is 0 (`--prefetch-budget 0`). */
  | 'budget-off'
  /** The document links to no page of the build, or the linked pages' assets are all held. */
  | 'nothing';

/** `navigator.connection` as far as we read it (Network Information API, Chromium only). */
export interface ConnectionLike {
  saveData?: boolean;
  type?: string;
}

export interface PrefetchConditions {
  connection: ConnectionLike | undefined;
  /** P2P runs in this page now. */
  p2p: boolean;
  siteMode: P2pMode;
  /** A worker controls the page. */
  controlled: boolean;
  /** The document is a first visit held for its reload (builder/page-script.ts). */
  held: boolean;
  budgetBytes: number;
}

/**
 * Connection types that cost the visitor per byte. `cellular` is the Network Information API's
 * word for it; `wimax` is a mobile network too. Unknown or absent: not metered (a desktop's
 * Chromium says `undefined` or `unknown` over Ethernet and Wi-Fi alike).
 */
const METERED_TYPES: ReadonlySet<string> = new Set(['cellular', 'wimax']);

/** Null when the page view may prefetch, else why not (the first reason that applies, in the order of PrefetchSkip). */
export function prefetchSkip(c: PrefetchConditions): PrefetchSkip | null {
  if (c.connection?.saveData === true) return 'save-data';
  if (c.connection?.type !== undefined && METERED_TYPES.has(c.connection.type)) return 'metered';
  if (!c.p2p) return 'p2p-off';
  if (c.siteMode !== 'on') return 'site-mode';
  if (!c.controlled) return 'no-worker';
  if (c.held) return 'held';
  if (c.budgetBytes <= 0) return 'budget-off';
  return null;
}

/**
 * A path's last segment with an extension other than `.html`/`.htm` names a file, not a page:
 * `img/a.jpg`, `docs/guide.pdf`. Those links are never asked about (each would be a 404 for
 * its list).
 */
const FILE_EXTENSION = /\.[A-Za-z0-9]{1,8}$/;
const PAGE_EXTENSION = /\.html?$/i;

/**
 * The linked pages worth asking about: for each distinct link (`hrefs`, absolute, in document
 * order) on the page's origin, under the site's root `root` (the bridge's folder, absolute,
 * ending in `/`), that looks like a page and is not the current page (`pageUrl`), the list files
 * to try, in order (protocol/page-assets.ts: `about` may be `about.html` or `about/index.html`).
 * At most `max` pages. Query and fragment are ignored (a static host serves the same page).
 */
export function linkedPageFiles(hrefs: Iterable<string>, pageUrl: string, root: string, max: number): string[][] {
  const rootUrl = new URL(root);
  const here = pathUnder(new URL(pageUrl), rootUrl);
  const hereKeys = here === null ? [] : pageKeysForUrl(here);
  const seen = new Set<string>();
  const out: string[][] = [];
  for (const href of hrefs) {
    if (out.length >= max) break;
    let url: URL;
    try {
      url = new URL(href);
    } catch {
      continue;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') continue;
    const path = pathUnder(url, rootUrl);
    if (path === null) continue;
    const last = path.split('/').at(-1) ?? '';
    if (FILE_EXTENSION.test(last) && !PAGE_EXTENSION.test(last)) continue;
    // `about` may be `about.html` or `about/index.html`; `about.html` and `about/` are one file each.
    const keys = PAGE_EXTENSION.test(last) ? [pageKey(path)] : pageKeysForUrl(path);
    if (keys.some((k) => hereKeys.includes(k))) continue;
    const id = keys.join('\n');
    if (seen.has(id)) continue;
    seen.add(id);
    out.push(keys.map(pageAssetsFile));
  }
  return out;
}

/** The decoded path of `url` under `root`, or null when it is on another origin, outside it, or undecodable. */
function pathUnder(url: URL, root: URL): string | null {
  if (url.origin !== root.origin || !url.pathname.startsWith(root.pathname)) return null;
  try {
    return decodeURIComponent(url.pathname.slice(root.pathname.length));
  } catch {
    return null;
  }
}

export interface PrefetchPlan {
  /** Manifest keys, in the order to fetch them. */
  keys: string[];
  /** Their sizes summed: at most the budget. */
  bytes: number;
}

/**
 * Which assets of the linked pages (`pages`, in document order of their links) to prefetch:
 * those not `held` (by hash), most used first (by how many of the linked pages name them: a
 * stylesheet every page shares before one page's photo; ties in the order the pages and their
 * lists name them, render-blocking first), each taken while it fits what is left of
 * `budgetBytes` (a larger one is passed over, smaller ones after it still taken).
 *
 * The swarm's most requested assets would be a better first key; the signaling server keeps that
 * count (its dashboard's top assets) but does not tell bridges, so the link count stands in.
 */
export function planPrefetch(pages: readonly PageAssets[], held: (hash: string) => boolean, budgetBytes: number): PrefetchPlan {
  const byKey = new Map<string, { size: number; uses: number; order: number }>();
  for (const page of pages) {
    const inPage = new Set<string>();
    for (const a of page.assets) {
      if (inPage.has(a.key) || held(a.hash)) continue;
      inPage.add(a.key);
      const entry = byKey.get(a.key);
      if (entry) entry.uses++;
      else byKey.set(a.key, { size: a.size, uses: 1, order: byKey.size });
    }
  }
  const ranked = [...byKey].sort(([, a], [, b]) => b.uses - a.uses || a.order - b.order);
  const keys: string[] = [];
  let bytes = 0;
  for (const [key, { size }] of ranked) {
    if (bytes + size > budgetBytes) continue;
    keys.push(key);
    bytes += size;
  }
  return { keys, bytes };
}
