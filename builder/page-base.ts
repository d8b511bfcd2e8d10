/**
 * A page's document base URL (HTML §4.2.3: the first `<base>` with an `href`, in tree order,
 * resolved against the page's URL) and how to write a URL so that it resolves to a given target
 * against that base. Pages are resolved in a stand-in origin whose root is the site's root.
 */
import type { DefaultTreeAdapterMap } from 'parse5';
import { html } from 'parse5';

type Node = DefaultTreeAdapterMap['node'];
type Element = DefaultTreeAdapterMap['element'];

export function documentBase(document: DefaultTreeAdapterMap['document'], pageUrl: URL): URL {
  const base = firstBase(document);
  const href = base?.attrs.find((a) => a.name === 'href')?.value;
  if (href === undefined) return pageUrl;
  try {
    return new URL(href.trim(), pageUrl);
  } catch {
    return pageUrl; // an unparsable href sets no base (HTML: "fallback base URL")
  }
}

/**
 * `target` written relative to `base` (`../peer-connect.js?v=…`), or null when the base is on
 * another origin (then no relative URL reaches the site). Keeps `target`'s query.
 */
export function relativeToBase(target: URL, base: URL): string | null {
  if (target.origin !== base.origin) return null;
  const from = base.pathname.split('/').slice(0, -1); // the base's folder
  const to = target.pathname.split('/');
  let common = 0;
  while (common < from.length && common < to.length - 1 && from[common] === to[common]) common++;
  const up = '../'.repeat(from.length - common);
  return `${up}${to.slice(common).join('/')}${target.search}`;
}

function firstBase(node: Node): Element | null {
  if ('tagName' in node && node.tagName === 'base' && node.namespaceURI === html.NS.HTML && node.attrs.some((a) => a.name === 'href')) {
    return node;
  }
  if (!('childNodes' in node)) return null;
  for (const child of node.childNodes) {
    const found = firstBase(child);
    if (found) return found;
  }
  return null;
}
