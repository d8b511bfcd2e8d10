/**
 * The manifest assets a page's markup names, to weigh whether a first-visit reload is worth it:
 * `src`, `poster`, `data`, `srcset`/`imagesrcset`, `href` of `<link>` that fetches (stylesheet,
 * preload, modulepreload, icon), and `url()`/`@import` in `<style>` and `style` attributes. What
 * stylesheets request in turn is followed (followCss), and what scripts name in string literals
 * (followScripts): an app's markup is often a shell for what its bundle loads.
 */
import type { DefaultTreeAdapterMap } from 'parse5';
import { LCP_MIN_IMAGE_BYTES, LCP_MIN_IMAGE_PIXELS } from '../../protocol/limits.ts';

type Node = DefaultTreeAdapterMap['node'];
type Element = DefaultTreeAdapterMap['element'];

const URL_ATTRIBUTES = new Set(['src', 'poster', 'data']);
const SRCSET_ATTRIBUTES = new Set(['srcset', 'imagesrcset']);
const FETCHING_RELS = new Set(['stylesheet', 'preload', 'modulepreload', 'icon', 'apple-touch-icon', 'manifest']);
/** CSS `url(…)` (quoted or not) and `@import "…"` (CSS Values 4 §4.5, CSS Cascade 4 §2). */
const CSS_URL = /url\(\s*(?:"([^"]*)"|'([^']*)'|([^)'"\s]*))\s*\)|@import\s+(?:"([^"]*)"|'([^']*)')/gi;

/**
 * `blocking`: what the page needs before it renders or runs (stylesheets, scripts, preloads, CSS
 * in the page); `media`: the rest (images, video posters, objects).
 */
export type AssetRole = 'blocking' | 'media';

/**
 * Site paths of the assets named, each once, with its role (blocking wins); in document order.
 * `assetOf` maps a URL as written to an asset path, or null.
 */
export function namedAssets(document: DefaultTreeAdapterMap['document'], assetOf: (url: string) => string | null): Map<string, AssetRole> {
  const found = new Map<string, AssetRole>();
  const add = (url: string | undefined, role: AssetRole): void => {
    if (!url) return;
    const path = assetOf(url.trim());
    if (path !== null && found.get(path) !== 'blocking') found.set(path, role);
  };
  const visit = (node: Node): void => {
    if ('tagName' in node) collect(node, add);
    if (
      node.nodeName === '#text' &&
      'value' in node &&
      node.parentNode &&
      'tagName' in node.parentNode &&
      node.parentNode.tagName === 'style'
    ) {
      for (const url of cssUrls(node.value)) add(url, 'blocking');
    }
    if ('childNodes' in node) for (const child of node.childNodes) visit(child);
    // <template> content is inert until a script clones it: not counted.
  };
  visit(document);
  return found;
}

function collect(el: Element, add: (url: string | undefined, role: AssetRole) => void): void {
  const rel =
    el.attrs
      .find((a) => a.name === 'rel')
      ?.value.toLowerCase()
      .split(/\s+/) ?? [];
  const role: AssetRole = el.tagName === 'script' || el.tagName === 'link' ? 'blocking' : 'media';
  for (const attr of el.attrs) {
    if (URL_ATTRIBUTES.has(attr.name)) add(attr.value, role);
    else if (SRCSET_ATTRIBUTES.has(attr.name)) for (const candidate of attr.value.split(',')) add(candidate.trim().split(/\s+/)[0], role);
    else if (attr.name === 'href' && el.tagName === 'link' && rel.some((r) => FETCHING_RELS.has(r))) add(attr.value, role);
    else if (attr.name === 'style') for (const url of cssUrls(attr.value)) add(url, 'media');
  }
}

export function cssUrls(css: string): string[] {
  const urls: string[] = [];
  for (const m of css.matchAll(CSS_URL)) {
    const url = m[1] ?? m[2] ?? m[3] ?? m[4] ?? m[5];
    if (url) urls.push(url);
  }
  return urls;
}

/** Fonts a stylesheet asks for are needed to render text: fetched with the blocking ones. */
const FONT = /\.(woff2?|ttf|otf|eot)$/i;

/**
 * Adds what the named stylesheets request, to `depth` levels of `@import`. `cssOf` gives an
 * asset's text when it is a stylesheet (else null); `resolve` maps a URL written in the
 * stylesheet at `path` to an asset path, or null.
 */
export function followCss(
  found: Map<string, AssetRole>,
  cssOf: (path: string) => string | null,
  resolve: (url: string, stylesheetPath: string) => string | null,
  depth = 3,
): void {
  let frontier = [...found.keys()];
  const seen = new Set(frontier);
  for (let level = 0; level < depth && frontier.length > 0; level++) {
    const next: string[] = [];
    for (const sheet of frontier) {
      const css = cssOf(sheet);
      if (css === null) continue;
      for (const url of cssUrls(css)) {
        const path = resolve(url.trim(), sheet);
        if (path === null || seen.has(path)) continue;
        seen.add(path);
        const role: AssetRole = FONT.test(path) || path.endsWith('.css') ? 'blocking' : 'media';
        if (found.get(path) !== 'blocking') found.set(path, role);
        next.push(path);
      }
    }
    frontier = next;
  }
}

/**
 * A string literal in a script that looks like a URL of a file: quoted with `"`, `'` or a
 * backquote, no white space, ending in `.ext` (before any query or fragment). Bundlers write asset
 * URLs this way (Vite `"/assets/hero-3f2a.jpg"`, `new URL("hero.jpg", import.meta.url)`; webpack,
 * Rollup, esbuild the same), and so do hand-written `img.src = 'img/a.jpg'`.
 */
const SCRIPT_URL = /["'`]([^"'`\s<>\\]{1,512}?\.[A-Za-z0-9]{1,8})(?:[?#][^"'`\s<>\\]*)?["'`]/g;
const SCRIPT_PATH = /\.m?js$/i;

/** The URL-like string literals of a script's text (SCRIPT_URL), each once, in order. */
export function scriptUrls(js: string): string[] {
  const urls = new Set<string>();
  for (const m of js.matchAll(SCRIPT_URL)) if (m[1]) urls.add(m[1]);
  return [...urls];
}

/**
 * Adds the assets the named scripts name in string literals (their images, fonts, chunks), to
 * `depth` levels of script naming script: a page whose markup is a shell and whose content comes
 * from its bundle (a Vite or React app) is weighed by what it will load, not by its 18 KiB of
 * HTML. A string that names no asset is ignored, so what a literal happens to look like costs
 * nothing. Found assets are `media` (fetched after render): the page's own script tags already
 * carry `blocking`. `scriptOf` gives an asset's text when it is a script (else null); `resolve`
 * maps a URL written in the script at `path` to an asset path, or null.
 */
export function followScripts(
  found: Map<string, AssetRole>,
  scriptOf: (path: string) => string | null,
  resolve: (url: string, scriptPath: string) => string | null,
  depth = 3,
): void {
  let frontier = [...found.keys()].filter((p) => SCRIPT_PATH.test(p));
  const seen = new Set(found.keys());
  for (let level = 0; level < depth && frontier.length > 0; level++) {
    const next: string[] = [];
    for (const script of frontier) {
      const js = scriptOf(script);
      if (js === null) continue;
      for (const url of scriptUrls(js)) {
        const path = resolve(url, script);
        if (path === null || seen.has(path)) continue;
        seen.add(path);
        found.set(path, 'media');
        if (SCRIPT_PATH.test(path)) next.push(path);
      }
    }
    frontier = next;
  }
}

const attr = (el: Element, name: string): string | undefined => el.attrs.find((a) => a.name === name)?.value;

/** An image element's URLs: `src`, each `srcset` candidate, and a parent `<picture>`'s `<source srcset>`s. */
function imageUrls(el: Element): string[] {
  const urls: string[] = [];
  const srcset = (value: string | undefined): void => {
    for (const candidate of (value ?? '').split(',')) {
      const url = candidate.trim().split(/\s+/)[0];
      if (url) urls.push(url);
    }
  };
  if (el.tagName === 'link') {
    const href = attr(el, 'href');
    if (href) urls.push(href);
    srcset(attr(el, 'imagesrcset'));
    return urls;
  }
  const src = attr(el, 'src');
  if (src) urls.push(src);
  srcset(attr(el, 'srcset'));
  const parent = el.parentNode;
  if (parent && 'tagName' in parent && parent.tagName === 'picture') {
    for (const sibling of parent.childNodes) if ('tagName' in sibling && sibling.tagName === 'source') srcset(attr(sibling, 'srcset'));
  }
  return urls;
}

/** A whole number of CSS px as an HTML dimension attribute writes it (`800`, `800px` is not valid HTML but common), or null. */
function dimension(value: string | undefined): number | null {
  const m = /^\s*(\d+)(?:\.\d*)?(?:px)?\s*$/i.exec(value ?? '');
  return m ? Number(m[1]) : null;
}

/**
 * The page's LCP candidates (issue 14): the assets of every image the page marks
 * `fetchpriority="high"` (an `<img>`, or a `<link rel="preload" as="image">`), and of the first
 * `<img>` in document order that is large and not `loading="lazy"` (nor `fetchpriority="low"`):
 * declared `width` × `height` ≥ LCP_MIN_IMAGE_PIXELS when both are given, else its file (the
 * largest of its candidates) ≥ LCP_MIN_IMAGE_BYTES. The rule follows Chrome's LCP guidance
 * (web.dev "Optimize LCP": the hero is the first large image, lazy-loading it is a mistake).
 * `assetOf` maps a URL as written to an asset path or null; `sizeOf` gives an asset's bytes.
 * Each path once, in document order; `<template>` content is not the document's.
 */
export function lcpCandidates(
  document: DefaultTreeAdapterMap['document'],
  assetOf: (url: string) => string | null,
  sizeOf: (path: string) => number,
): string[] {
  const found = new Set<string>();
  let firstLargeFound = false;
  const assetsOf = (el: Element): string[] =>
    imageUrls(el)
      .map((u) => assetOf(u.trim()))
      .filter((p): p is string => p !== null);
  const visit = (node: Node): void => {
    if ('tagName' in node) {
      const priority = attr(node, 'fetchpriority')?.trim().toLowerCase();
      const rel = attr(node, 'rel')?.toLowerCase().split(/\s+/) ?? [];
      const preloadImage = node.tagName === 'link' && rel.includes('preload') && attr(node, 'as')?.trim().toLowerCase() === 'image';
      if ((node.tagName === 'img' || preloadImage) && priority === 'high') for (const p of assetsOf(node)) found.add(p);
      else if (node.tagName === 'img' && !firstLargeFound && priority !== 'low' && attr(node, 'loading')?.trim().toLowerCase() !== 'lazy') {
        const paths = assetsOf(node);
        const w = dimension(attr(node, 'width'));
        const h = dimension(attr(node, 'height'));
        const large = w !== null && h !== null ? w * h >= LCP_MIN_IMAGE_PIXELS : paths.some((p) => sizeOf(p) >= LCP_MIN_IMAGE_BYTES);
        if (large && paths.length > 0) {
          firstLargeFound = true;
          for (const p of paths) found.add(p);
        }
      }
    }
    if ('childNodes' in node) for (const child of node.childNodes) visit(child);
  };
  visit(document);
  return [...found];
}
