/**
 * Edits an HTML page by splicing at parse5's source offsets, so every byte we do not mean to
 * change stays as it was (no re-serialisation). A page that is valid UTF-8 is edited as UTF-8
 * text (valid UTF-8 round-trips exactly); any other page as latin1, one char per byte, which
 * round-trips every byte of any ASCII-compatible charset. A BOM is kept first.
 */
import { parse } from 'parse5';
import type { DefaultTreeAdapterMap } from 'parse5';

type Node = DefaultTreeAdapterMap['node'];
type Element = DefaultTreeAdapterMap['element'];

export type FirstVisitMode = 'swap' | 'reload' | 'off';

export interface RewriteOptions {
  /** Site-relative path of this page (`posts/a.html`), to resolve relative URLs. */
  pagePath: string;
  /** `src` of the bridge script as written into the page (relative, so a site can live under a sub-path). */
  bridgeSrc: string;
  /** True when a site-relative decoded path is a manifest asset. */
  isAsset: (path: string) => boolean;
  firstVisit: FirstVisitMode;
}

export interface RewriteResult {
  html: Buffer;
  /** Elements wrapped for first-visit swapping. */
  swapped: number;
  scriptAdded: boolean;
}

/** Marker the bridge looks for; the original markup is the noscript's text, shown as-is without JS. */
export const SWAP_ATTRIBUTE = 'data-peer-connect';

const SWAPPABLE = new Set(['img', 'picture', 'video', 'audio']);
const URL_ATTRIBUTES = ['src', 'poster'];

interface Splice {
  at: number;
  end: number;
  text: string;
}

export function rewriteHtml(input: Buffer, options: RewriteOptions): RewriteResult {
  const asUtf8 = input.toString('utf8');
  const encoding: BufferEncoding = Buffer.from(asUtf8, 'utf8').equals(input) ? 'utf8' : 'latin1';
  const whole = encoding === 'utf8' ? asUtf8 : input.toString('latin1');
  // The parser would see a BOM as text before the doctype; parse after it, splice with its offset.
  const bom = encoding === 'utf8' ? (whole.startsWith('\uFEFF') ? 1 : 0) : whole.startsWith('\u00EF\u00BB\u00BF') ? 3 : 0;
  const source = whole.slice(bom);
  const document = parse(source, { sourceCodeLocationInfo: true });
  const splices: Splice[] = [];
  const base = new URL(options.pagePath, 'http://site.invalid/');

  const referencesAsset = (el: Element): boolean => {
    const urls: string[] = [];
    for (const attr of el.attrs) {
      // parse5 has already decoded character references; URL paths are UTF-8 whatever the page's charset.
      const value = attr.value;
      if (URL_ATTRIBUTES.includes(attr.name)) urls.push(value);
      if (attr.name === 'srcset') urls.push(...value.split(',').map((c) => c.trim().split(/\s+/)[0] ?? ''));
    }
    return urls.some((u) => u !== '' && options.isAsset(sitePath(u, base) ?? '')) || childElements(el).some(referencesAsset);
  };

  let hasBridge = false;
  const visit = (node: Node): void => {
    if (!('tagName' in node)) return;
    const el = node as Element;
    if (el.tagName === 'script' && el.attrs.some((a) => a.name === 'src' && /(^|\/)peer-connect\.js(\?|#|$)/.test(a.value))) hasBridge = true;
    const loc = el.sourceCodeLocation;
    if (options.firstVisit === 'swap' && SWAPPABLE.has(el.tagName) && loc && referencesAsset(el)) {
      const original = source.slice(loc.startOffset, loc.endOffset);
      if (!/<\/noscript/i.test(original)) {
        splices.push({ at: loc.startOffset, end: loc.endOffset, text: `<noscript ${SWAP_ATTRIBUTE}>${original}</noscript>` });
        return; // the whole element is wrapped: its children go with it
      }
    }
    // <template> content is inert; noscript content is parsed as text, so nothing inside is visited.
    for (const child of el.childNodes) visit(child);
  };
  for (const child of document.childNodes) visit(child);

  const scriptAt = hasBridge ? -1 : scriptInsertionOffset(document, source);
  if (scriptAt >= 0) {
    splices.push({ at: scriptAt, end: scriptAt, text: `<script src="${options.bridgeSrc}" async></script>` });
  }
  splices.sort((a, b) => b.at - a.at);
  let out = source;
  for (const s of splices) out = out.slice(0, s.at) + s.text + out.slice(s.end);
  return { html: Buffer.from(whole.slice(0, bom) + out, encoding), swapped: splices.length - (scriptAt >= 0 ? 1 : 0), scriptAdded: scriptAt >= 0 };
}

function childElements(el: Element): Element[] {
  return el.childNodes.filter((n): n is Element => 'tagName' in n);
}

/** The site-relative decoded path a URL points to, or null if it leaves the site or has a query. */
function sitePath(url: string, base: URL): string | null {
  try {
    const resolved = new URL(url, base);
    if (resolved.origin !== base.origin || resolved.search !== '') return null;
    return decodeURIComponent(resolved.pathname.slice(1));
  } catch {
    return null;
  }
}

function findElement(node: Node, tag: string): Element | null {
  if ('tagName' in node && node.tagName === tag) return node as Element;
  if (!('childNodes' in node)) return null;
  for (const child of node.childNodes) {
    const found = findElement(child, tag);
    if (found) return found;
  }
  return null;
}

/** Before `</head>`; else after `<head>`, `<html>` or the doctype as written; else at the very start. */
function scriptInsertionOffset(document: DefaultTreeAdapterMap['document'], source: string): number {
  const head = findElement(document, 'head');
  const headLoc = head?.sourceCodeLocation;
  if (headLoc?.endTag) return headLoc.endTag.startOffset;
  if (headLoc?.startTag) return headLoc.startTag.endOffset;
  const htmlLoc = findElement(document, 'html')?.sourceCodeLocation;
  if (htmlLoc?.startTag) return htmlLoc.startTag.endOffset;
  const doctype = /^\s*<!doctype[^>]*>/i.exec(source);
  return doctype ? doctype[0].length : 0;
}
