/**
 * A page view as a visitor sees it: open the page, wait until the bridge is ready and every image
 * is complete and decoded, and list which manifest assets the page used.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DefaultTreeAdapterMap } from 'parse5';
import { parse } from 'parse5';
import type { Page } from 'playwright-core';
import { manifestKeyFor } from '../../../protocol/manifest.ts';
import type { PcWindow } from './page-api.ts';
import type { TestSite } from './site.ts';
import { waitUntil } from './wait.ts';

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

type P5Node = DefaultTreeAdapterMap['node'];

type P5Element = DefaultTreeAdapterMap['element'];

const imageCountCache = new Map<string, number>();

/** Forgets the image counts remembered per path: they describe the version that was deployed. */
export const forgetPageFacts = (): void => imageCountCache.clear();

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
  const n = authoredImageCount(html);
  imageCountCache.set(path, n);
  return n;
}

/** `<img>` elements in `html` outside `<noscript>`/`<template>` (parse5; also the benchmarks' count). */
export function authoredImageCount(html: string): number {
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
