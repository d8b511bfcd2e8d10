/**
 * The manifest assets a page's markup names, to weigh whether a first-visit reload is worth it:
 * `src`, `poster`, `data`, `srcset`/`imagesrcset`, `href` of `<link>` that fetches (stylesheet,
 * preload, modulepreload, icon), and `url()`/`@import` in `<style>` and `style` attributes. What
 * stylesheets and scripts request in turn is not followed: a reload sends it through peers too,
 * but the choice is made on what the page itself names.
 */
import type { DefaultTreeAdapterMap } from 'parse5';

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
