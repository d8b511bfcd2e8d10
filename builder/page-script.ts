/**
 * The inline script every built page gets at the top of `<head>` (before anything it requests):
 * - on a page the worker controls, it names the page's build to the worker at once (a
 *   `page` message, protocol/bridge-messages.ts), so the worker need not hold the head's
 *   requests until the bridge script is requested (Chromium requests an async script in `<head>`
 *   only after the parser-blocking ones, which would be waiting for it);
 * - on a `swap` page the worker controls, it also puts the wrapped images and media back once
 *   the document is parsed: the worker knows the page from that message, so they need not wait for
 *   the bridge script (which loads after the page's own scripts: ~200 ms of a video's start), and
 *   a bridge that never loads (blocked, failed) no longer leaves them hidden;
 * - on a `reload` page's first visit (no controlling worker, never done before on this origin,
 *   no stored opt-out) it holds the document before it requests more, registers the worker,
 *   starts the bridge in the held document, and once the worker controls the tab and the bridge
 *   is ready, fetches the page's named assets through the worker (peers first, the origin for
 *   what they cannot give in time, every piece verified and stored); then it loads the page again,
 *   which finds them in the worker's store. So the page renders once, as written, with its
 *   stylesheets, scripts and fonts from peers: a controlled page's own head requests would reach
 *   the worker before its bridge could (the bridge starts after them), and go to the origin.
 *   The page's own scripts run once, in the second load.
 *
 * How it holds the page: `document.write('<plaintext hidden>')` makes the parser read the rest of
 * the document as inert text, and `window.stop()` cancels what the preload scanner already asked
 * for. A bare `window.stop()` is too late in Chromium: the preload scanner has usually requested
 * the first chunk's stylesheets, scripts and images by then; with the `<plaintext>` write, only
 * what it scanned before the script ran is requested, and that is cancelled (on a real network,
 * before its body comes; on loopback it may already have arrived).
 *
 * Content never depends on this script: if it cannot run (CSP, an error, no service workers,
 * storage off) the page loads as written; if the worker or the bridge fails, or all of it takes
 * longer than `timeoutMs`, the page loads again as written (the done key stops a second hold).
 */
import { createHash } from 'node:crypto';
import { FIRST_VISIT_DONE_KEY, OPT_OUT_KEY, PAGE_SCRIPT_ATTRIBUTE } from '../protocol/first-visit.ts';
import { SWAP_ATTRIBUTE } from './swap-markup.ts';

export interface HoldOptions {
  /** The worker script's URL relative to the page (`../peer-connect-sw.js`), resolved against the page's own URL, not `<base>`. */
  workerUrl: string;
  /** The worker's scope relative to the page (`../`). */
  scopeUrl: string;
  /** The registration's other options, exactly as the site's own `register()` gives them (protocol/bridge-config.ts WorkerRegistration). */
  type?: 'classic' | 'module';
  updateViaCache?: 'imports' | 'all' | 'none' | null;
  /** The bridge script's URL relative to the page (`../peer-connect.js?v=<build>`). */
  bridgeUrl: string;
  /** The page's named assets to fetch while held, relative to the page's URL, render-blocking first. */
  prefetch: string[];
  /** The nonce for the bridge script the hold inserts, when the page's CSP uses one. */
  nonce: string | null;
  /** How long the hold may last in all, ms; then the page loads as written. */
  timeoutMs: number;
}

export interface PageScriptOptions {
  /** The build id the page belongs to. */
  build: string;
  /** Present on `reload` pages: hold the first visit (see above). */
  hold: HoldOptions | null;
  /** A `swap` page: on a controlled view, put the wrapped elements back at once (see above). */
  swap?: boolean;
}

/**
 * ES5, no `<`: each `noscript[data-peer-connect]` replaced by its text parsed as live elements,
 * as page-bridge/first-visit.ts swapInMarkedElements does, once the document is parsed: at
 * `readyState` "interactive", which comes before the page's deferred scripts run, where
 * `DOMContentLoaded` waits for them (HTML §13.2.7 "the end"); they may be fetched by then, as
 * the parser met them. The listener runs outside the script's own try: it has one of its own, so
 * an element that cannot be parsed back (a page enforcing Trusted Types refuses a string's
 * `innerHTML`) throws nothing into the page and stays for the bridge.
 */
const SWAP_NOW =
  `var sd=document,sw=function(){try{var m=sd.querySelectorAll("noscript[${SWAP_ATTRIBUTE}]");` +
  'for(var i=0;i!==m.length;i++){var t=sd.createElement("template");t.innerHTML=m[i].textContent||"";m[i].parentNode.replaceChild(t.content,m[i])}}catch(e){}};' +
  'if(sd.readyState!=="loading")sw();else sd.addEventListener("readystatechange",function(){sd.readyState==="interactive"&&sw()});';

/** The script's text (ES5, no `<` at all); the same options give the same text, so its hash is stable. */
export function pageScriptText(options: PageScriptOptions): string {
  const q = (s: string): string => JSON.stringify(s).replace(/</g, '\\u003c');
  const controlled = `c.postMessage({pc:"page",build:${q(options.build)}});${options.swap === true ? SWAP_NOW : ''}return`;
  const name = `var n=navigator,c=n.serviceWorker&&n.serviceWorker.controller;if(c){${controlled}}`;
  const hold = options.hold;
  if (hold === null) return `(function(){try{${name}}catch(e){}})()`;
  const extra = (hold.type === 'module' ? ',type:"module"' : '') + (hold.updateViaCache ? `,updateViaCache:${q(hold.updateViaCache)}` : '');
  const register = `n.serviceWorker.register(at(${q(hold.workerUrl)}),{scope:new URL(${q(hold.scopeUrl)},l.href).pathname${extra}})`;
  const start =
    `(function(){try{${name}` +
    `var w=window,d=document,l=location,s=localStorage,k=${q(FIRST_VISIT_DONE_KEY)};` +
    `if(!n.serviceWorker||s.getItem(k)||s.getItem(${q(OPT_OUT_KEY)}))return;s.setItem(k,"1");` +
    'd.write("\\u003cplaintext hidden>");w.stop();' +
    `var x=0,go=function(){if(!x){x=1;l.reload()}},at=function(u){return new URL(u,l.href).href};setTimeout(go,${Math.round(hold.timeoutMs)});`;
  if (hold.prefetch.length === 0) {
    // Nothing worth fetching while held: load again as soon as the worker controls the tab.
    return `${start}n.serviceWorker.addEventListener("controllerchange",go);${register}${READY_OR_FAIL.replace('FILL', '')}`;
  }
  const urls = `[${hold.prefetch.map(q).join(',')}]`;
  return (
    start +
    // The bridge, in the held document: it says hello once the worker controls the tab.
    `var b=d.createElement("script");b.src=at(${q(hold.bridgeUrl)});b.async=true;` +
    (hold.nonce === null ? '' : `b.nonce=${q(hold.nonce)};`) +
    'b.onerror=go;(d.head||d.documentElement).appendChild(b);' +
    // Once controlled and the bridge is ready: the page's assets through the worker, then the page.
    'var fill=function(){var p=w.peerConnect;if(!p||!n.serviceWorker.controller)return void setTimeout(fill,50);' +
    `p.ready.then(function(){return Promise.all(${urls}.map(function(u){return fetch(at(u)).then(function(r){return r.arrayBuffer()})["catch"](function(){})}))}).then(go,go)};` +
    register +
    READY_OR_FAIL.replace('FILL', 'fill()')
  );
}

/** After `register(...)`: an already active worker cannot take this page (reload now); a redundant one failed. */
const READY_OR_FAIL =
  '.then(function(r){var y=r.installing||r.waiting;if(!y)return go();' +
  'y.addEventListener("statechange",function(){if(y.state==="redundant")go()});FILL},go)}catch(e){}})()';

/** The whole element, as the build writes it. `nonce` when the page's CSP names one. */
export function pageScriptElement(text: string, nonce: string | null): string {
  const nonceAttr = nonce === null ? '' : ` nonce="${nonce.replace(/"/g, '&quot;')}"`;
  return `<script ${PAGE_SCRIPT_ATTRIBUTE}${nonceAttr}>${text}</script>`;
}

/** The CSP source expression that allows exactly this script: `'sha256-<base64>'` (CSP3 §8.4). */
export function scriptHashSource(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}
