/**
 * Edits an HTML page by splicing at parse5's source offsets, so every byte we do not mean to
 * change stays as it was (no re-serialisation). A page that is valid UTF-8 is edited as UTF-8
 * text (valid UTF-8 round-trips exactly); any other page as latin1, one char per byte, which
 * round-trips every byte of any ASCII-compatible charset. A BOM is kept first.
 */

import type { DefaultTreeAdapterMap } from 'parse5';
import { html, parse } from 'parse5';
import { BRIDGE_FILE, OWN_WORKER, type WorkerRegistration } from '../protocol/bridge-config.ts';
import { type FirstVisitOption, PAGE_SCRIPT_ATTRIBUTE } from '../protocol/first-visit.ts';
import { FIRST_VISIT_MIN_ASSET_BYTES, FIRST_VISIT_SWAP_TIMEOUT_MS } from '../protocol/limits.ts';
import { chooseFirstVisit, type FirstVisitChoice } from './first-visit/choose-mode.ts';
import { planForCsp } from './first-visit/page-csp.ts';
import { type AssetRole, followCss, followScripts, lcpCandidates, namedAssets } from './first-visit/page-facts.ts';
import { documentBase, relativeToBase } from './page-base.ts';
import { type HoldOptions, pageScriptElement, pageScriptText, scriptHashSource } from './page-script.ts';
import { findWraps, misplacedWraps } from './swap-markup.ts';

type Node = DefaultTreeAdapterMap['node'];
type Element = DefaultTreeAdapterMap['element'];
type Document = DefaultTreeAdapterMap['document'];

export interface RewriteOptions {
  /** Site-relative path of this page (`posts/a.html`), to resolve relative URLs. */
  pagePath: string;
  /**
   * `src` of the bridge script as written into the page (relative, so a site can live under a
   * sub-path; versioned with the build id). Replaces the src of a bridge script the page already has.
   */
  bridgeSrc: string;
  /**
   * The site's one worker registration (relative to the site's root), for the first-visit
   * script's `register()`. Default: ours, `peer-connect-sw.js` at the root.
   */
  worker?: WorkerRegistration;
  /** The signaling server's `ws(s):` URL; null or absent: the page's own origin. Checked against a CSP meta's connect-src. */
  signalUrl?: string | null;
  /** The build id, named to the worker by the page script. */
  build: string;
  /** True when a site-relative decoded path is a manifest asset. */
  isAsset: (path: string) => boolean;
  /** `--start manual`: `auto` gives every page `off` (see choose-mode.ts). */
  startsManually?: boolean;
  /** An asset's text when it is a stylesheet, else null: what it requests is named by the page too. */
  cssOf?: (path: string) => string | null;
  /** An asset's text when it is a script (JavaScript), else null: the assets it names weigh the first-visit choice. */
  scriptOf?: (path: string) => string | null;
  /** An asset's size in bytes (weighs the first-visit choice); default 0. */
  assetSize?: (path: string) => number;
  /** `--lcp-from-origin`: find the page's LCP candidates (RewriteResult.critical) and leave them unwrapped under `swap`. */
  markLcp?: boolean;
  firstVisit: FirstVisitOption;
}

export interface RewriteResult {
  html: Buffer;
  /** Elements wrapped for first-visit swapping. */
  swapped: number;
  scriptAdded: boolean;
  /** Bridge scripts the page already had (an earlier build's, or the owner's) whose src was set to `bridgeSrc`. */
  scriptsUpdated: number;
  /** The first visit this page got, and why. */
  firstVisit: FirstVisitChoice;
  /** What the owner should know about this page (a CSP that rules us out, a `<base>` we cannot follow). */
  warnings: string[];
  /**
   * The manifest assets the page names (page-facts.ts: its markup, what its stylesheets and
   * scripts name in turn), render-blocking ones first, each in document order: its prefetch list
   * (protocol/page-assets.ts).
   */
  assets: string[];
  /** The page's LCP candidates (page-facts.ts lcpCandidates) with `markLcp`, else none: asset paths the worker asks the origin for at once. */
  critical: string[];
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
  const pageUrl = new URL(encodeURI(options.pagePath), SITE_ORIGIN);
  // Every URL of the page resolves against its <base href> (HTML §4.2.3), ours included.
  const base = documentBase(document, pageUrl);
  const warnings: string[] = [];
  const bridgeSrc = relativeToBase(new URL(options.bridgeSrc, pageUrl), base);
  if (bridgeSrc === null) warnings.push(`its <base href> leaves the site, so the bridge script is written without it`);
  const writtenSrc = bridgeSrc ?? options.bridgeSrc;

  const isAssetUrl = (url: string): boolean => options.isAsset(sitePath(url, base) ?? '');
  // The page's LCP candidates: the worker asks the origin for them at once (protocol/critical-set.ts).
  const critical = !options.markLcp
    ? []
    : lcpCandidates(
        document,
        (url) => {
          const path = sitePath(url, base);
          return path !== null && options.isAsset(path) ? path : null;
        },
        (p) => options.assetSize?.(p) ?? 0,
      );
  const facts = namedAssets(document, (url) => {
    const path = sitePath(url, base);
    return path !== null && options.isAsset(path) ? path : null;
  });
  if (options.cssOf) {
    const cssOf = options.cssOf;
    followCss(facts, cssOf, (url, sheet) => {
      const path = sitePath(url, new URL(encodeURI(sheet), SITE_ORIGIN));
      return path !== null && options.isAsset(path) ? path : null;
    });
  }
  if (options.scriptOf) {
    const asset = (path: string | null): string | null => (path !== null && options.isAsset(path) ? path : null);
    // A URL in a script is relative to the script (`new URL(u, import.meta.url)`, module imports)
    // or to the page (a DOM `src` it sets): either one that names an asset counts.
    followScripts(
      facts,
      options.scriptOf,
      (url, script) => asset(sitePath(url, new URL(encodeURI(script), SITE_ORIGIN))) ?? asset(sitePath(url, base)),
    );
  }
  const assetBytes = [...facts.keys()].reduce((sum, p) => sum + (options.assetSize?.(p) ?? 0), 0);

  const worker = options.worker ?? OWN_WORKER;
  // Relative to the page's own URL (the first-visit script resolves them against location, not <base>).
  const fromRoot = (rel: string): string => relativeToBase(new URL(rel, SITE_ORIGIN), pageUrl) ?? rel;
  const metas = cspMetas(document, source);
  const wanted = chooseFirstVisit(options.firstVisit, {
    assetCount: facts.size,
    assetBytes,
    htmlBytes: input.length,
    cspRefusal: null,
    startsManually: options.startsManually === true,
  });
  const prefetch = holdPrefetch(facts, (p) => options.assetSize?.(p) ?? 0).map(
    (path) => relativeToBase(new URL(encodeURI(path), SITE_ORIGIN), pageUrl) ?? path,
  );
  const holdFor = (nonce: string | null): HoldOptions => ({
    workerUrl: fromRoot(worker.url),
    scopeUrl: fromRoot(worker.scope) || './',
    type: worker.type,
    updateViaCache: worker.updateViaCache,
    bridgeUrl: options.bridgeSrc,
    prefetch,
    nonce,
    timeoutMs: FIRST_VISIT_SWAP_TIMEOUT_MS,
  });
  const scriptFor = (nonce: string | null): string =>
    pageScriptText({ build: options.build, hold: wanted.mode === 'reload' ? holdFor(nonce) : null, swap: wanted.mode === 'swap' });
  // The nonce (if any) is in the script text, so the CSP plan is made on the text it will have.
  const plan = planForCsp(
    metas.map((m) => m.policy),
    (nonce) => scriptHashSource(scriptFor(nonce)),
    options.signalUrl ?? null,
  );
  const choice = plan.ok
    ? wanted
    : chooseFirstVisit(options.firstVisit, { assetCount: 0, assetBytes: 0, htmlBytes: 0, cspRefusal: plan.error });
  if (!plan.ok) warnings.push(plan.error);
  const nonce = plan.ok ? plan.value.nonce : null;
  const scriptText = scriptFor(nonce);

  const bridgeSrcs: Splice[] = findElements(document, (el) => isBridgeScript(el, base))
    .map((el) => attributeValueSpan(el, 'src', source))
    .filter((span) => span !== null)
    .map((span) => ({ ...span, text: escapeAttribute(writtenSrc, span.quote) }));
  // Both our tags go before the first element of <head> that can fetch: a parser-blocking script
  // after them waits for the stylesheets before it, and a stylesheet the worker serves waits for
  // this page's bridge; a bridge tag after that script ran only once the worker's wait for it
  // had expired (~1 s added to first paint on a page's first controlled view). Async, it runs as
  // soon as it arrives, even while the parser is blocked.
  const headAt = pageScriptInsertionOffset(document, source, (el) => isPageScript(el) || isBridgeScript(el, base));
  const scriptAt = bridgeSrcs.length > 0 ? -1 : headAt;
  const nonceAttr = nonce === null ? '' : ` nonce="${escapeAttribute(nonce, '"')}"`;
  const fixed: Splice[] =
    scriptAt < 0
      ? [...bridgeSrcs]
      : [
          {
            at: scriptAt,
            end: scriptAt,
            text: `<script src="${escapeAttribute(writtenSrc, '"')}"${nonceAttr} async fetchpriority="high"></script>`,
          },
        ];
  // An earlier build's page script (a site rebuilt from its output) goes; this build writes its own.
  for (const old of findElements(document, isPageScript)) {
    const loc = old.sourceCodeLocation;
    if (loc) fixed.push({ at: loc.startOffset, end: loc.endOffset, text: '' });
  }
  // A page whose CSP rules us out gets no page script: it would only be refused.
  if (plan.ok) {
    // First in the list: at the bridge tag's offset, the page script must come before it.
    fixed.unshift({ at: headAt, end: headAt, text: pageScriptElement(scriptText, nonce) });
    for (const [i, meta] of metas.entries()) {
      const policy = plan.value.policies[i];
      if (policy === undefined || policy === meta.policy || !meta.span) continue;
      fixed.push({
        at: meta.span.at,
        end: meta.span.end,
        text: meta.span.quote === '' ? `"${escapeAttribute(policy, '"')}"` : escapeAttribute(policy, meta.span.quote),
      });
    }
  }

  // An LCP candidate is not swapped: it would come from the origin once the worker controls the
  // page anyway, so it loads at once, as written, instead of after the worker's install.
  const isCritical = (url: string): boolean => critical.includes(sitePath(url, base) ?? '');
  const refersToAsset = (el: Element): boolean => referencesAsset(el, isAssetUrl) && !referencesAsset(el, isCritical);
  let wraps = choice.mode === 'swap' ? findWraps(document, source, refersToAsset) : [];
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
    firstVisit: choice,
    warnings,
    assets: [...[...facts].filter(([, r]) => r === 'blocking'), ...[...facts].filter(([, r]) => r !== 'blocking')].map(([p]) => p),
    critical,
  };
}

/** At most this many assets are fetched while a first visit is held (the script carries their URLs). */
const MAX_PREFETCH = 64;

/**
 * What a held first visit fetches through peers before the page loads: its render-blocking assets
 * (stylesheets, scripts, fonts), in document order, when they weigh at least
 * FIRST_VISIT_MIN_ASSET_BYTES; else nothing. Starting P2P in the held page costs a signaling and
 * WebRTC start-up before the page renders, worth it only for that much render-blocking weight.
 * Media are not fetched while held: the page loads them itself, through the worker, choosing
 * among `srcset` candidates as the browser does (the build cannot know which it would take).
 */
function holdPrefetch(facts: ReadonlyMap<string, AssetRole>, sizeOf: (path: string) => number): string[] {
  const blocking = [...facts].filter(([, role]) => role === 'blocking').map(([path]) => path);
  const bytes = blocking.reduce((n, p) => n + sizeOf(p), 0);
  return bytes >= FIRST_VISIT_MIN_ASSET_BYTES ? blocking.slice(0, MAX_PREFETCH) : [];
}

/** The origin pages are resolved in: the site's root is its root. */
const SITE_ORIGIN = 'http://site.invalid/';

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
 * Where an attribute's value is in the source, inside its quotes if it has any (`quote` says
 * which): parse5 gives the span of the whole attribute (`src = 'x'`), and only the value is
 * replaced, so the attribute's spelling (case, spaces, quotes) stays as written.
 */
function attributeValueSpan(el: Element, name: string, source: string): { at: number; end: number; quote: string } | null {
  const loc = el.sourceCodeLocation?.attrs?.[name];
  if (!loc) return null;
  const attr = source.slice(loc.startOffset, loc.endOffset);
  const before = /^[^=]*=\s*(["']?)/.exec(attr);
  if (!before) return null;
  const quote = before[1] ?? '';
  const closed = quote !== '' && attr.length > before[0].length && attr.endsWith(quote);
  return { at: loc.startOffset + before[0].length, end: loc.endOffset - (closed ? 1 : 0), quote };
}

/** A value written between `quote`s (or unquoted: then it must hold no space, which ours never do). */
function escapeAttribute(value: string, quote: string): string {
  const amp = value.replace(/&/g, '&amp;');
  if (quote === "'") return amp.replace(/'/g, '&#39;');
  return amp.replace(/"/g, '&quot;');
}

/** The page's CSP metas (only those in `<head>` are enforced, HTML §4.2.5.3), with where their content is. */
function cspMetas(document: Document, source: string): Array<{ policy: string; span: { at: number; end: number; quote: string } | null }> {
  const head = findElement(document, 'head');
  if (!head) return [];
  return childElements(head)
    .filter(
      (el) =>
        el.tagName === 'meta' &&
        el.attrs.some((a) => a.name === 'http-equiv' && a.value.trim().toLowerCase() === 'content-security-policy'),
    )
    .map((el) => ({ policy: el.attrs.find((a) => a.name === 'content')?.value ?? '', span: attributeValueSpan(el, 'content', source) }));
}

function isPageScript(el: Element): boolean {
  return el.tagName === 'script' && el.namespaceURI === html.NS.HTML && el.attrs.some((a) => a.name === PAGE_SCRIPT_ATTRIBUTE);
}

function childElements(el: Element): Element[] {
  return el.childNodes.filter((n): n is Element => 'tagName' in n);
}

/** The site-relative decoded path a URL points to, or null if it leaves the site or has a query. */
function sitePath(url: string, base: URL): string | null {
  try {
    const resolved = new URL(url, base);
    if (resolved.origin !== new URL(SITE_ORIGIN).origin || resolved.search !== '') return null;
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

/**
 * Where the page script and the bridge tag go: before the first element of `<head>` that can fetch
 * anything (after its leading `<meta>`, `<title>` and `<base>`, so a charset declaration stays in
 * the first 1024 bytes, a CSP meta applies to them and `<base>` to the bridge's URL); in a page
 * whose head fetches nothing, before `</head>`.
 */
function pageScriptInsertionOffset(document: Document, source: string, ours: (el: Element) => boolean): number {
  const head = findElement(document, 'head');
  // Our own tags (a rebuild of an earlier output) are passed over, so a rebuild writes the same
  // page: the first build put the page script before the next fetching element, or else just
  // before the bridge tag.
  let oursAt: number | null = null;
  for (const el of head ? childElements(head) : []) {
    if (ours(el)) {
      oursAt ??= el.sourceCodeLocation?.startOffset ?? null;
      continue;
    }
    if (['meta', 'title', 'base'].includes(el.tagName)) continue;
    // Where our tags already are, when they are before this element: a rebuild keeps their order.
    if (el.sourceCodeLocation) return oursAt ?? el.sourceCodeLocation.startOffset;
    break;
  }
  if (oursAt !== null) return oursAt;
  const headLoc = head?.sourceCodeLocation;
  if (headLoc?.endTag) return headLoc.endTag.startOffset;
  return scriptInsertionOffset(document, source);
}

/** Before `</head>`; else after `<head>`, `<html>` or the doctype as written; else at the very start. */
function scriptInsertionOffset(document: Document, source: string): number {
  const head = findElement(document, 'head');
  const headLoc = head?.sourceCodeLocation;
  if (headLoc?.endTag) return headLoc.endTag.startOffset;
  if (headLoc?.startTag) return headLoc.startTag.endOffset;
  const htmlLoc = findElement(document, 'html')?.sourceCodeLocation;
  if (htmlLoc?.startTag) return htmlLoc.startTag.endOffset;
  const doctype = /^\s*<!doctype[^>]*>/i.exec(source);
  return doctype ? doctype[0].length : 0;
}
