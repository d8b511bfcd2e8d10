/**
 * The inline script `reload` pages get at the top of `<head>`: on a first visit (no controlling
 * worker, never done before on this origin) it holds the document before it requests anything,
 * registers the worker, and loads the page again once the worker controls the tab, so every
 * subresource of the page (stylesheets, scripts, fonts, images, what CSS and scripts request)
 * comes through the worker, from peers. The page's own scripts run once, in the second load.
 *
 * How it holds the page: `document.write('<plaintext hidden>')` makes the parser read the rest of
 * the document as inert text, and `window.stop()` cancels what the preload scanner already asked
 * for. In Chromium a bare `window.stop()` here is too late: the preload scanner has already
 * requested every stylesheet, script and image of the first chunk (measured: all 5 of a test
 * page's subresources reached the origin); with the `<plaintext>` write only what was scanned
 * before the script ran does (a stylesheet at most), and it is cancelled.
 *
 * Content never depends on this script: if it cannot run (CSP, an error, no service workers,
 * storage off) the page loads as written; if the worker does not take control within
 * `timeoutMs`, or fails, the page loads again as written (the done key stops a second hold).
 */
import { createHash } from 'node:crypto';
import { FIRST_VISIT_DONE_KEY, FIRST_VISIT_SCRIPT_ATTRIBUTE } from '../../protocol/first-visit.ts';

export interface RestartScriptOptions {
  /** The worker script's URL relative to the page (`../peer-connect-sw.js`), resolved against the page's own URL, not `<base>`. */
  workerUrl: string;
  /** The worker's scope relative to the page (`../`). */
  scopeUrl: string;
  /** How long to wait for the worker to take control before loading the page as written, ms. */
  timeoutMs: number;
}

/** The script's text (ES5, no `<` at all); the same options give the same text, so its hash is stable. */
export function restartScriptText(options: RestartScriptOptions): string {
  const q = (s: string): string => JSON.stringify(s).replace(/</g, '\\u003c');
  return (
    '(function(){try{var n=navigator,w=window,l=location,s=localStorage,k=' +
    q(FIRST_VISIT_DONE_KEY) +
    ';if(!n.serviceWorker||n.serviceWorker.controller||s.getItem(k))return;s.setItem(k,"1");' +
    'document.write("\\u003cplaintext hidden>");w.stop();' +
    'var d=0,go=function(){if(!d){d=1;l.reload()}};setTimeout(go,' +
    String(Math.round(options.timeoutMs)) +
    ');n.serviceWorker.addEventListener("controllerchange",go);' +
    'n.serviceWorker.register(new URL(' +
    q(options.workerUrl) +
    ',l.href).href,{scope:new URL(' +
    q(options.scopeUrl) +
    ',l.href).pathname}).then(function(r){var x=r.installing||r.waiting;if(!x)return go();' +
    'x.addEventListener("statechange",function(){if(x.state==="redundant")go()})},go)}catch(e){}})()'
  );
}

/** The whole element, as the build writes it. `nonce` when the page's CSP names one. */
export function restartScriptElement(text: string, nonce: string | null): string {
  const nonceAttr = nonce === null ? '' : ` nonce="${nonce.replace(/"/g, '&quot;')}"`;
  return `<script ${FIRST_VISIT_SCRIPT_ATTRIBUTE}${nonceAttr}>${text}</script>`;
}

/** The CSP source expression that allows exactly this script: `'sha256-<base64>'` (CSP3 §8.4). */
export function scriptHashSource(text: string): string {
  return `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;
}
