/**
 * The site's scripts as find-registrations.ts reads them: each page's inline `<script>`s (not
 * ours) and the site's `.js`/`.mjs` files, each with the pages it runs in (a `<script src>` that
 * names it), since `register()` resolves against the including page's document base. A file no
 * page names (a bundler's lazy chunk) is read as if it ran in a page at the site's root. Pure.
 */
import type { DefaultTreeAdapterMap } from 'parse5';
import { html, parse } from 'parse5';
import { PAGE_SCRIPT_ATTRIBUTE } from '../../protocol/first-visit.ts';
import { documentBase } from '../page-base.ts';
import type { ScriptContext, ScriptSource } from './find-registrations.ts';

type Node = DefaultTreeAdapterMap['node'];
type Element = DefaultTreeAdapterMap['element'];

export interface SiteText {
  /** Site-relative path (`posts/a.html`, `js/app.js`). */
  path: string;
  text: string;
}

/** Classic and module script types (HTML §4.12.1.1: an empty or JavaScript MIME type, or `module`). */
const CLASSIC_TYPES = new Set(['', 'text/javascript', 'application/javascript', 'application/ecmascript', 'text/ecmascript', 'module']);

export function siteScripts(pages: readonly SiteText[], files: readonly SiteText[], siteOrigin: string): ScriptSource[] {
  const sources: ScriptSource[] = [];
  const contextsOf = new Map<string, ScriptContext[]>();
  for (const page of pages) {
    const pageUrl = new URL(encodeURI(page.path), siteOrigin);
    const document = parse(page.text);
    const base = documentBase(document, pageUrl);
    let n = 0;
    for (const script of scriptsIn(document)) {
      const type = (attr(script, 'type') ?? '').trim().toLowerCase();
      if (!CLASSIC_TYPES.has(type)) continue;
      const src = attr(script, 'src');
      if (src !== null) {
        let url: URL;
        try {
          url = new URL(src, base);
        } catch {
          continue;
        }
        if (url.origin !== pageUrl.origin) continue;
        const key = decodeURIComponent(url.pathname.slice(1));
        contextsOf.set(key, [...(contextsOf.get(key) ?? []), { pageUrl, base }]);
        continue;
      }
      n++;
      if (script.attrs.some((a) => a.name === PAGE_SCRIPT_ATTRIBUTE)) continue;
      const text = script.childNodes.map((c) => ('value' in c ? c.value : '')).join('');
      if (text.trim() === '') continue;
      sources.push({
        text,
        where: `${page.path} (inline script ${n})`,
        scriptUrl: pageUrl,
        module: type === 'module',
        contexts: [{ pageUrl, base }],
      });
    }
  }
  const rootPage = new URL('/', siteOrigin);
  for (const file of files) {
    const scriptUrl = new URL(encodeURI(file.path), siteOrigin);
    sources.push({
      text: file.text,
      where: file.path,
      scriptUrl,
      module: null,
      contexts: dedupe(contextsOf.get(file.path) ?? [{ pageUrl: rootPage, base: rootPage }]),
    });
  }
  return sources;
}

/** One context per distinct (page URL, base) pair: every page of a site including app.js often resolves alike. */
function dedupe(contexts: ScriptContext[]): ScriptContext[] {
  const seen = new Map<string, ScriptContext>();
  for (const c of contexts) {
    // The same base resolves the same way, whatever the page (only `new URL(x, location)` differs).
    seen.set(`${new URL('./', c.pageUrl).href} ${c.base.href}`, c);
  }
  return [...seen.values()];
}

function attr(el: Element, name: string): string | null {
  return el.attrs.find((a) => a.name === name)?.value ?? null;
}

function scriptsIn(node: Node, found: Element[] = []): Element[] {
  if ('tagName' in node && node.tagName === 'script' && node.namespaceURI === html.NS.HTML) found.push(node);
  if ('childNodes' in node) for (const child of node.childNodes) scriptsIn(child, found);
  return found;
}
