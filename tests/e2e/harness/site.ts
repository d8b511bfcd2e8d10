/**
 * The demo site, built once per test file with the real build, served by the real origin server
 * and a real signaling server, plus the page-side helpers every e2e test needs: wait until a page
 * is really complete, list which manifest assets it used, prove every byte of them matches the
 * file on disk, read the bridge's counters, and lie (corrupt stored pieces) on a peer's behalf.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DefaultTreeAdapterMap } from 'parse5';
import { parse } from 'parse5';
import type { Page } from 'playwright-core';
import { type BuildOptions, buildSite } from '../../../build.ts';
import type { FirstVisitOption } from '../../../protocol/first-visit.ts';
import { type Manifest, manifestKeyFor, urlPathFor } from '../../../protocol/manifest.ts';
import { PIECE_HASH_BYTES, pieceListPath } from '../../../protocol/piece-list.ts';
import { pieceCount } from '../../../protocol/pieces.ts';
import { type SignalServerOptions, startSignalServer } from '../../../signal-worker/adapter/node/index.ts';
import type { Visitor } from './browser.ts';
import { type OriginOptions, type OriginServer, startOriginServer } from './origin-server.ts';
import { holdersOf } from './signal-probe.ts';
import { waitUntil } from './wait.ts';

export { waitUntil };

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const DEMO_SITE = join(ROOT, 'demo', 'site');

/** The bridge's counters: the product's own type, so a renamed counter breaks the tests' build. */
export type { PeerConnectStats } from '../../../page-bridge/stats.ts';

import type { PeerConnectStats } from '../../../page-bridge/stats.ts';

/** What the tests read from `window.peerConnect`; declared here so page functions stay typed. */
interface PeerConnectApi {
  ready: Promise<unknown>;
  stats(): PeerConnectStats;
}
type PcWindow = Window & { peerConnect?: PeerConnectApi };

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
        diskHashes.clear();
        imageCountCache.clear();
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

// ---------------------------------------------------------------------------------------------
// Waiting for a page to be complete

export async function withTimeout<T>(what: string, ms: number, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      work,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** Waits for the bridge to exist and for `peerConnect.ready` (worker controls the page, first-visit swap done). */
export async function waitForReady(page: Page, ms = 15_000): Promise<void> {
  await page.waitForFunction(() => (window as PcWindow).peerConnect !== undefined, undefined, { timeout: ms });
  await withTimeout(
    `peerConnect.ready on ${page.url()}`,
    ms,
    page.evaluate(async () => {
      await (window as PcWindow).peerConnect?.ready;
    }),
  );
  const controlled = await page.evaluate(() => navigator.serviceWorker.controller !== null);
  if (!controlled) throw new Error(`peerConnect.ready resolved but ${page.url()} has no controlling worker`);
}

export interface ImageState {
  count: number;
  /** `src` of every image not complete or not decodable. */
  pending: string[];
}

/**
 * Scrolls every image into view (lazy images load only near the viewport; a visitor reading the
 * whole page sees them all), then waits until each is complete AND decoded (naturalWidth > 0:
 * a broken image is also "complete"). Throws with the stragglers listed.
 */
export async function waitForImages(page: Page, ms = 20_000, minCount = 0): Promise<number> {
  const state = (): Promise<ImageState> =>
    page.evaluate(() => {
      const imgs = Array.from(document.images);
      for (const img of imgs) if (!img.complete) img.scrollIntoView({ block: 'center' });
      const pending = imgs.filter((i) => !i.complete || i.naturalWidth === 0).map((i) => i.currentSrc || i.src);
      return { count: imgs.length, pending };
    });
  let last: ImageState = { count: 0, pending: [] };
  try {
    return await waitUntil(
      `images on ${page.url()}`,
      ms,
      async () => {
        last = await state();
        return last.count >= minCount && last.pending.length === 0 ? last.count : undefined;
      },
      150,
    );
  } catch {
    throw new Error(
      `images on ${page.url()} not complete after ${ms} ms: ${last.count} images (want >= ${minCount}), pending ${JSON.stringify(last.pending)}`,
    );
  }
}

/** Everything a visitor does to "view" a page: open, ready, all images complete. */
export async function viewPage(page: Page, site: TestSite, path: string, ms = 30_000): Promise<void> {
  await page.goto(site.url(path), { waitUntil: 'load', timeout: ms });
  await waitForReady(page, ms);
  await waitForImages(page, ms, expectedImageCount(site, path));
}

// ---------------------------------------------------------------------------------------------
// Which assets a page used

type P5Node = DefaultTreeAdapterMap['node'];
type P5Element = DefaultTreeAdapterMap['element'];

const imageCountCache = new Map<string, number>();

/**
 * `<img>` elements the author wrote in the page (source site, not the build's output), outside
 * `<noscript>`/`<template>`. After the bridge's first-visit swap the live page must have at least
 * these many images, so a page whose swap silently failed cannot pass with a tiny asset list.
 */
export function expectedImageCount(site: TestSite, path: string): number {
  const cached = imageCountCache.get(path);
  if (cached !== undefined) return cached;
  let html: string;
  try {
    html = requireText(join(site.siteDir, path));
  } catch {
    return 0;
  }
  let n = 0;
  const visit = (node: P5Node): void => {
    if (!('tagName' in node)) return;
    const el = node as P5Element;
    if (el.tagName === 'img') n++;
    if (el.tagName === 'noscript' || el.tagName === 'template') return;
    for (const c of el.childNodes) visit(c);
  };
  // Scripting on: noscript content is text, as in a browser that runs the bridge.
  for (const c of parse(html, { scriptingEnabled: true }).childNodes) visit(c);
  imageCountCache.set(path, n);
  return n;
}

const requireText = (file: string): string => readFileSync(file, 'utf8');

/**
 * Manifest keys this page loaded, as the browser saw it: every resource-timing entry (images,
 * CSS, fonts, scripts, fetches, whether served by the worker or not) plus every image's and media
 * element's current source. Srcset/<picture> candidates the browser did not pick are not counted.
 */
export async function loadedAssets(page: Page, site: TestSite): Promise<string[]> {
  const urls = await page.evaluate(() => {
    const out = performance.getEntriesByType('resource').map((e) => e.name);
    for (const img of Array.from(document.images)) out.push(img.currentSrc || img.src);
    for (const m of Array.from(document.querySelectorAll('video, audio'))) {
      const media = m as HTMLMediaElement;
      if (media.currentSrc) out.push(media.currentSrc);
      const poster = (m as HTMLVideoElement).poster;
      if (poster) out.push(poster);
    }
    return out;
  });
  const scope = `${site.origin.url}/`;
  const keys = new Set<string>();
  for (const u of urls) {
    let key: string | null = null;
    try {
      key = manifestKeyFor(u, scope);
    } catch {
      key = null;
    }
    if (key !== null && key in site.manifest.assets) keys.add(key);
  }
  return [...keys].sort();
}

export const assetBytes = (site: TestSite, keys: Iterable<string>): number => {
  let n = 0;
  for (const k of new Set(keys)) n += site.manifest.assets[k]?.size ?? 0;
  return n;
};

export { type OriginUse, originUse, peerShare, settleVisitor } from './origin-use.ts';

// ---------------------------------------------------------------------------------------------
// Byte-for-byte checks

const diskHashes = new Map<string, string>();
export async function diskSha256(site: TestSite, key: string): Promise<string> {
  const file = join(site.outDir, key);
  const cached = diskHashes.get(file);
  if (cached) return cached;
  const h = createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
  diskHashes.set(file, h);
  return h;
}

export interface AssetCheck {
  key: string;
  status: number;
  /** `x-peer-connect-source`, or null if the response did not come from our worker. */
  source: string | null;
  bytes: number;
  sha256: string;
  expected: string;
  ok: boolean;
}

/**
 * Fetches each asset from inside the page (so through the worker, exactly as the page's own
 * requests go), hashes it there, and compares with the file on disk. Run it AFTER reading the
 * origin's counts: if the worker lacks a piece, this fetch may itself go to the origin.
 */
export async function checkAssets(page: Page, site: TestSite, keys: string[]): Promise<AssetCheck[]> {
  const got = await page.evaluate(
    async (paths: string[]) => {
      const hex = (b: ArrayBuffer): string => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, '0')).join('');
      const out: Array<{ status: number; source: string | null; bytes: number; sha256: string }> = [];
      for (const p of paths) {
        try {
          const r = await fetch(p);
          const body = await r.arrayBuffer();
          out.push({
            status: r.status,
            source: r.headers.get('x-peer-connect-source'),
            bytes: body.byteLength,
            sha256: hex(await crypto.subtle.digest('SHA-256', body)),
          });
        } catch (e) {
          out.push({ status: 0, source: `fetch failed: ${String(e)}`, bytes: 0, sha256: '' });
        }
      }
      return out;
    },
    keys.map((k) => `/${urlPathFor(k)}`),
  );
  const checks: AssetCheck[] = [];
  for (const [i, key] of keys.entries()) {
    const g = got[i];
    const expected = await diskSha256(site, key);
    if (!g) throw new Error(`no result for ${key}`);
    checks.push({ key, ...g, expected, ok: g.status === 200 && g.sha256 === expected && g.sha256 === site.manifest.assets[key]?.hash });
  }
  return checks;
}

export const describeBad = (checks: AssetCheck[]): string =>
  JSON.stringify(
    checks
      .filter((c) => !c.ok)
      .map(({ key, status, source, bytes, sha256, expected }) => ({
        key,
        status,
        source,
        bytes,
        got: sha256.slice(0, 12),
        want: expected.slice(0, 12),
      })),
  );

// ---------------------------------------------------------------------------------------------
// The bridge

export async function stats(page: Page): Promise<PeerConnectStats> {
  const s = await page.evaluate(() => (window as PcWindow).peerConnect?.stats() ?? null);
  if (s === null) throw new Error(`window.peerConnect missing on ${page.url()}`);
  return s;
}

/**
 * The bridge's counters once they stop moving (the worker reports bytes as responses finish,
 * which can be a little after the image decodes): two equal samples 300 ms apart, or the last
 * sample after 3 s.
 */
export async function settledStats(page: Page): Promise<PeerConnectStats> {
  let prev = await stats(page);
  const deadline = Date.now() + 3_000;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 300));
    const next = await stats(page);
    if (JSON.stringify(next) === JSON.stringify(prev)) return next;
    prev = next;
  }
  return prev;
}

/**
 * Turns a browser into a lying peer: flips one byte in the middle of every stored piece
 * (`p:<hash>:<i>` in the worker's IndexedDB). Same length, same keys: only hashing can catch it.
 * Returns how many pieces were corrupted.
 */
export async function corruptStoredPieces(page: Page): Promise<number> {
  return page.evaluate(async () => {
    // Opening a database that does not exist would create it empty and break the worker's store.
    const dbs = await indexedDB.databases();
    if (!dbs.some((d) => d.name === 'peer-connect')) throw new Error('no peer-connect database');
    const db = await new Promise<IDBDatabase>((res, rej) => {
      const r = indexedDB.open('peer-connect');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    try {
      return await new Promise<number>((res, rej) => {
        const tx = db.transaction('pieces', 'readwrite');
        const store = tx.objectStore('pieces');
        let n = 0;
        const req = store.openCursor();
        req.onsuccess = () => {
          const cur = req.result;
          if (!cur) return;
          if (typeof cur.key === 'string' && cur.key.startsWith('p:')) {
            const v: unknown = cur.value;
            let bytes: Uint8Array | null = null;
            if (v instanceof ArrayBuffer) bytes = new Uint8Array(v.slice(0));
            else if (ArrayBuffer.isView(v)) bytes = new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
            if (bytes && bytes.length > 0) {
              const mid = bytes.length >> 1;
              bytes[mid] = (bytes[mid] ?? 0) ^ 0xff;
              cur.update(v instanceof ArrayBuffer ? bytes.buffer : bytes);
              n++;
            }
          }
          cur.continue();
        };
        req.onerror = () => rej(req.error);
        tx.oncomplete = () => res(n);
        tx.onerror = () => rej(tx.error);
      });
    } finally {
      db.close();
    }
  });
}

/** Counts stored pieces and complete-asset records in the visitor's IndexedDB. */
export async function storedCounts(page: Page): Promise<{ pieces: number; assets: number }> {
  return page.evaluate(async () => {
    const dbs = await indexedDB.databases();
    if (!dbs.some((d) => d.name === 'peer-connect')) return { pieces: 0, assets: 0 };
    const db = await new Promise<IDBDatabase>((res, rej) => {
      const r = indexedDB.open('peer-connect');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    try {
      const keys = await new Promise<IDBValidKey[]>((res, rej) => {
        const r = db.transaction('pieces', 'readonly').objectStore('pieces').getAllKeys();
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      const str = keys.filter((k): k is string => typeof k === 'string');
      return { pieces: str.filter((k) => k.startsWith('p:')).length, assets: str.filter((k) => k.startsWith('a:')).length };
    } finally {
      db.close();
    }
  });
}

/**
 * Waits until the worker of build `build` controls `page` (its bridge's `workerBuild`). Chromium
 * activates a worker that skipped waiting once the old one is idle, and otherwise at the next
 * navigation of the origin (measured: an idle tab could wait over 120 s); so if it has not taken
 * over within `quietMs`, the visitor opens another page of the site in a second tab, as a real one
 * soon would, and the new worker then claims every tab.
 */
export async function waitForTakeover(
  visitor: Visitor,
  site: TestSite,
  page: Page,
  build: string,
  quietMs = 8_000,
): Promise<'idle' | 'navigation'> {
  const taken = async (): Promise<true | undefined> => ((await stats(page).catch(() => null))?.workerBuild === build ? true : undefined);
  try {
    await waitUntil('the new worker took over', quietMs, taken);
    return 'idle';
  } catch {
    const other = await visitor.context.newPage();
    try {
      await other.goto(site.url('index.html'), { waitUntil: 'load' });
      await waitUntil('the new worker took over after a navigation', 30_000, taken);
    } finally {
      await other.close();
    }
    return 'navigation';
  }
}

/**
 * Every key in the visitor's piece store, with the SHA-256 of each stored piece's bytes
 * (`p:<hash>:<index>` → hex; `a:<hash>` and other records → ''). Computed in the page.
 */
/**
 * Until the signaling server's own index lists a holder for every one of `paths` (site paths of
 * assets): a visitor has stored and announced them, so a newcomer arriving now can be served by it.
 */
export async function waitUntilSeeding(site: TestSite, paths: readonly string[], ms = 20_000): Promise<void> {
  const swarm = new URL(site.origin.url).host;
  for (const path of paths) {
    const hash = site.manifest.assets[path]?.hash;
    if (!hash) throw new Error(`${path} is not an asset of the site`);
    await waitUntil(`${path} announced`, ms, async () => ((await holdersOf(site.signalUrl, swarm, hash)).length > 0 ? true : undefined));
  }
}

export async function storedDigests(page: Page): Promise<Record<string, string>> {
  return page.evaluate(async () => {
    const dbs = await indexedDB.databases();
    if (!dbs.some((d) => d.name === 'peer-connect')) return {};
    const db = await new Promise<IDBDatabase>((res, rej) => {
      const r = indexedDB.open('peer-connect');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    try {
      const [keys, values] = await new Promise<[IDBValidKey[], unknown[]]>((res, rej) => {
        const store = db.transaction('pieces', 'readonly').objectStore('pieces');
        const k = store.getAllKeys();
        const v = store.getAll();
        v.onsuccess = () => res([k.result, v.result]);
        v.onerror = () => rej(v.error);
      });
      const out: Record<string, string> = {};
      for (const [i, key] of keys.entries()) {
        const value = values[i];
        const hex =
          value instanceof ArrayBuffer
            ? Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', value)), (b) => b.toString(16).padStart(2, '0')).join('')
            : '';
        out[String(key)] = hex;
      }
      return out;
    } finally {
      db.close();
    }
  });
}

/**
 * Each asset's piece hashes (by asset hash) as a build wrote them: its list file under `outDir`
 * (protocol/piece-list.ts), or its file hash for a one-piece asset. Read while that build is the
 * one in `outDir` (a redeploy replaces the lists).
 */
export async function readPieceHashes(outDir: string, manifest: Manifest): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const a of Object.values(manifest.assets)) {
    const count = pieceCount(a.size, manifest.pieceSize);
    if (count <= 1) {
      out.set(a.hash, count === 1 ? [a.hash] : []);
      continue;
    }
    const bytes = await readFile(join(outDir, pieceListPath(a.piecesRoot ?? '')));
    out.set(
      a.hash,
      Array.from({ length: count }, (_, i) => bytes.subarray(i * PIECE_HASH_BYTES, (i + 1) * PIECE_HASH_BYTES).toString('hex')),
    );
  }
  return out;
}

/** Stored pieces whose bytes are not the piece the given builds' lists (readPieceHashes) name under that key. */
export function wrongStoredPieces(digests: Record<string, string>, builds: ReadonlyArray<Map<string, string[]>>): string[] {
  const expected = new Map<string, string>();
  for (const hashes of builds)
    for (const [hash, pieces] of hashes) for (const [i, h] of pieces.entries()) expected.set(`p:${hash}:${i}`, h);
  return Object.entries(digests)
    .filter(([key, digest]) => key.startsWith('p:') && expected.get(key) !== digest)
    .map(([key]) => key);
}

/** Percent with one decimal, for the printed notes. */
export const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

// ---------------------------------------------------------------------------------------------
// A visitor's session

export interface Session {
  /** Union of manifest assets the pages used. */
  keys: string[];
  /** Bridge counters of each page as it was left (counters are per page). */
  pageStats: Array<{ path: string; stats: PeerConnectStats; ms: number }>;
}

/** The visitor views each page in turn in its main tab, each until complete. */
export async function viewPages(visitor: Visitor, site: TestSite, paths: string[], perPageMs = 30_000): Promise<Session> {
  const keys = new Set<string>();
  const pageStats: Session['pageStats'] = [];
  for (const path of paths) {
    const t0 = Date.now();
    if (visitor.page.isClosed()) visitor.page = await visitor.context.newPage();
    try {
      await viewPage(visitor.page, site, path, perPageMs);
    } catch (err) {
      throw new Error(`${visitor.name} viewing ${path}: ${(err as Error).message}\n${visitor.dump()}`);
    }
    const ms = Date.now() - t0;
    for (const k of await loadedAssets(visitor.page, site)) keys.add(k);
    pageStats.push({ path, stats: await settledStats(visitor.page), ms });
  }
  return { keys: [...keys].sort(), pageStats };
}

/**
 * Lets in-flight work finish before counting: the origin must have no response in flight, twice,
 * some time apart (a worker may start an origin fallback right after a page looks complete).
 */
export async function settle(site: TestSite, quietMs = 500): Promise<void> {
  await site.origin.idle(15_000);
  await new Promise((r) => setTimeout(r, quietMs));
  await site.origin.idle(15_000);
}

/** Sums one counter over a session's pages. */
export const sumStats = (
  s: Session,
  key: 'bytesFromPeers' | 'bytesFromOrigin' | 'bytesFromCache' | 'bytesUploaded' | 'failures' | 'badPieces' | 'bytesPrefetchedUsed',
): number => s.pageStats.reduce((n, p) => n + p.stats[key], 0);
