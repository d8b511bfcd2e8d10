/**
 * Edits an HTML page by splicing at parse5's source offsets, so every byte we do not mean to
 * change stays as it was (no re-serialisation). A page that is valid UTF-8 is edited as UTF-8
 * text (valid UTF-8 round-trips exactly); any other page as latin1, one char per byte, which
 * round-trips every byte of any ASCII-compatible charset. A BOM is kept first.
 */

import type { DefaultTreeAdapterMap } from 'parse5';
import { html, parse } from 'parse5';
import { BRIDGE_FILE } from '../protocol/bridge-config.ts';
import { findWraps, misplacedWraps } from './swap-markup.ts';

type Node = DefaultTreeAdapterMap['node'];
type Element = DefaultTreeAdapterMap['element'];

export type FirstVisitMode = 'swap' | 'reload' | 'off';

export interface RewriteOptions {
  /** Site-relative path of this page (`posts/a.html`), to resolve relative URLs. */
  pagePath: string;
  /**
   * `src` of the bridge script as written into the page (relative, so a site can live under a
   * sub-path; versioned with the build id). Replaces the src of a bridge script the page already has.
   */
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
  /** Bridge scripts the page already had (an earlier build's, or the owner's) whose src was set to `bridgeSrc`. */
  scriptsUpdated: number;
}

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
  const base = new URL(options.pagePath, 'http://site.invalid/');

  const bridgeSrcs: Splice[] = findElements(document, (el) => isBridgeScript(el, base))
    .map((el) => srcValueSpan(el, source))
    .filter((span) => span !== null)
    .map((span) => ({ ...span, text: options.bridgeSrc }));
  const scriptAt = bridgeSrcs.length > 0 ? -1 : scriptInsertionOffset(document, source);
  const fixed = scriptAt < 0 ? bridgeSrcs : [{ at: scriptAt, end: scriptAt, text: `<script src="${options.bridgeSrc}" async></script>` }];

  const refersToAsset = (el: Element): boolean => referencesAsset(el, (url) => options.isAsset(sitePath(url, base) ?? ''));
  let wraps = options.firstVisit === 'swap' ? findWraps(document, source, refersToAsset) : [];
  let applied = applySplices(source, [...fixed, ...wraps]);
  // A wrapper the parser would put elsewhere is dropped, and the page spliced again without it.
  for (
    let bad = misplacedWraps(applied.text, wraps, applied.offsets);
    bad.size > 0;
    bad = misplacedWraps(applied.text, wraps, applied.offsets)
  ) {
    wraps = wraps.filter((w) => !bad.has(w));
    applied = applySplices(source, [...fixed, ...wraps]);
  }
  return {
    html: Buffer.from(whole.slice(0, bom) + applied.text, encoding),
    swapped: wraps.length,
    scriptAdded: scriptAt >= 0,
    scriptsUpdated: bridgeSrcs.length,
  };
}

/** The spliced text, and where each splice's text starts in it. Splices must not overlap. */
function applySplices<S extends Splice>(source: string, splices: readonly S[]): { text: string; offsets: Map<S, number> } {
  const sorted = [...splices].sort((a, b) => a.at - b.at || a.end - b.end);
  const offsets = new Map<S, number>();
  let text = '';
  let from = 0;
  for (const s of sorted) {
    text += source.slice(from, s.at);
    offsets.set(s, text.length);
    text += s.text;
    from = s.end;
  }
  return { text: text + source.slice(from), offsets };
}

/** True when the element, or anything inside it, names an asset in `src`, `poster` or `srcset`. */
function referencesAsset(el: Element, isAssetUrl: (url: string) => boolean): boolean {
  const urls: string[] = [];
  for (const attr of el.attrs) {
    // parse5 has already decoded character references; URL paths are UTF-8 whatever the page's charset.
    const value = attr.value;
    if (URL_ATTRIBUTES.includes(attr.name)) urls.push(value);
    if (attr.name === 'srcset') urls.push(...value.split(',').map((c) => c.trim().split(/\s+/)[0] ?? ''));
  }
  return urls.some((u) => u !== '' && isAssetUrl(u)) || childElements(el).some((c) => referencesAsset(c, isAssetUrl));
}

/**
 * An HTML `<script>` whose URL path ends in `/peer-connect.js`, whatever its query: our bridge,
 * left by an earlier build (a site rebuilt from its output) or written by the owner.
 */
function isBridgeScript(el: Element, base: URL): boolean {
  if (el.tagName !== 'script' || el.namespaceURI !== html.NS.HTML) return false;
  const src = el.attrs.find((a) => a.name === 'src')?.value;
  if (src === undefined) return false;
  try {
    return new URL(src, base).pathname.endsWith(`/${BRIDGE_FILE}`);
  } catch {
    return false;
  }
}

/**
 * Where the `src` value is in the source, inside its quotes if it has any: parse5 gives the span
 * of the whole attribute (`src = 'x'`), and only the value is replaced, so the attribute's
 * spelling (case, spaces, quotes) stays as written.
 */
function srcValueSpan(el: Element, source: string): { at: number; end: number } | null {
  const loc = el.sourceCodeLocation?.attrs?.src;
  if (!loc) return null;
  const attr = source.slice(loc.startOffset, loc.endOffset);
  const before = /^[^=]*=\s*(["']?)/.exec(attr);
  if (!before) return null;
  const quote = before[1] ?? '';
  const closed = quote !== '' && attr.length > before[0].length && attr.endsWith(quote);
  return { at: loc.startOffset + before[0].length, end: loc.endOffset - (closed ? 1 : 0) };
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

/** Every element `test` accepts, in document order (not inside `<template>` content or `<noscript>` text). */
function findElements(node: Node, test: (el: Element) => boolean, found: Element[] = []): Element[] {
  if ('tagName' in node && test(node)) found.push(node);
  if ('childNodes' in node) for (const child of node.childNodes) findElements(child, test, found);
  return found;
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
