/**
 * First-visit markup (`--first-visit swap`): which elements are wrapped in
 * `<noscript data-peer-connect>`, and a check that each wrapper comes back as it went in.
 *
 * The bridge later re-creates each wrapped element from the noscript's text through a
 * `<template>` (page-bridge/first-visit.ts), so an element is wrapped only when that re-creation
 * gives the same thing: never one holding a script (HTML's fragment parsing marks scripts
 * "already started", so they never run: https://html.spec.whatwg.org/multipage/scripting.html#script-processing-model),
 * nor an `<iframe>`, `<object>` or `<embed>` (skipped conservatively), nor anything in SVG or
 * MathML (a `<noscript>` there is a foreign element, not raw text:
 * https://html.spec.whatwg.org/multipage/parsing.html#parsing-main-inforeign).
 */

import type { DefaultTreeAdapterMap } from 'parse5';
import { html, parse } from 'parse5';

type Node = DefaultTreeAdapterMap['node'];
type Element = DefaultTreeAdapterMap['element'];
type Document = DefaultTreeAdapterMap['document'];

/** Marker the bridge looks for; the original markup is the noscript's text, shown as-is without JS. */
export const SWAP_ATTRIBUTE = 'data-peer-connect';

const SWAPPABLE = new Set(['img', 'picture', 'video', 'audio']);
/** Elements that would not behave the same when re-created from a template (any namespace: an SVG `<script>` too). */
const NOT_RECREATABLE = new Set(['script', 'iframe', 'object', 'embed', 'frame', 'noscript']);

export interface Wrap {
  /** Source span of the element, and the wrapper that replaces it. */
  at: number;
  end: number;
  text: string;
  /** The element's ancestors (namespace and tag, innermost first): where its wrapper must end up. */
  ancestors: string[];
}

/**
 * Wraps for every swappable element that `refersToAsset` and may be re-created; a skipped one's
 * children are not looked at (what is inside a skipped element stays as written).
 */
export function findWraps(document: Document, source: string, refersToAsset: (el: Element) => boolean): Wrap[] {
  const wraps: Wrap[] = [];
  const visit = (node: Node, foreign: boolean): void => {
    if (!isElement(node)) return;
    const inForeign = foreign || node.namespaceURI !== html.NS.HTML;
    const loc = node.sourceCodeLocation;
    if (!inForeign && SWAPPABLE.has(node.tagName) && loc && refersToAsset(node)) {
      const original = source.slice(loc.startOffset, loc.endOffset);
      // A `</noscript` in the text would close our wrapper early.
      if (!/<\/noscript/i.test(original) && !holds(node, NOT_RECREATABLE)) {
        wraps.push({
          at: loc.startOffset,
          end: loc.endOffset,
          text: `<noscript ${SWAP_ATTRIBUTE}>${original}</noscript>`,
          ancestors: ancestorsOf(node),
        });
      }
      return;
    }
    // <template> content is inert and not among childNodes; noscript content is text: neither is visited.
    for (const child of node.childNodes) visit(child, inForeign);
  };
  for (const child of document.childNodes) visit(child, false);
  return wraps;
}

/**
 * The wraps that did not come back as they went in, given the page with every wrap applied
 * (`offsets`: where each wrap starts in `output`). Where a wrapper lands depends on the parser's
 * state at that point, not on the element it replaces: after `<svg>` an `<img>` breaks out to
 * HTML but a `<noscript>` stays an SVG element, and before `<body>` opens a `<noscript>` goes into
 * `<head>` (not rendered) where an `<img>` would have opened the body. So each wrapper must parse
 * as an HTML noscript holding exactly its text, with the element's own ancestors.
 */
export function misplacedWraps(output: string, wraps: readonly Wrap[], offsets: { get(wrap: Wrap): number | undefined }): Set<Wrap> {
  const found = new Map<number, Element>();
  const collect = (node: Node): void => {
    if (!isElement(node)) return;
    const loc = node.sourceCodeLocation;
    if (node.tagName === 'noscript' && loc) found.set(loc.startOffset, node);
    for (const child of node.childNodes) collect(child);
  };
  for (const child of parse(output, { sourceCodeLocationInfo: true }).childNodes) collect(child);
  const bad = new Set<Wrap>();
  for (const wrap of wraps) {
    const noscript = found.get(offsets.get(wrap) ?? -1);
    const ok =
      noscript !== undefined &&
      noscript.namespaceURI === html.NS.HTML &&
      noscript.sourceCodeLocation?.endOffset === (offsets.get(wrap) ?? -1) + wrap.text.length &&
      ancestorsOf(noscript).join('|') === wrap.ancestors.join('|');
    if (!ok) bad.add(wrap);
  }
  return bad;
}

const isElement = (node: Node): node is Element => 'tagName' in node;

function holds(el: Element, tags: ReadonlySet<string>): boolean {
  return el.childNodes.some((c) => isElement(c) && (tags.has(c.tagName) || holds(c, tags)));
}

function ancestorsOf(el: Element): string[] {
  const out: string[] = [];
  for (let p = el.parentNode; p && isElement(p); p = p.parentNode) out.push(`${p.namespaceURI} ${p.tagName}`);
  return out;
}
