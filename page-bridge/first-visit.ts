/**
 * First visits. The worker does not control the page that registers it. A `reload` page holds
 * itself before requesting anything and loads again once controlled: that is the build's inline
 * script (builder/first-visit/restart-script.ts), not the bridge, which on such a page simply
 * finds the worker in control. A `swap` page has its images and media wrapped in
 * `<noscript data-peer-connect>`: without JavaScript they show as written; with it, we put them
 * back once the worker controls the page, and their bytes come through the worker (from peers).
 */
import type { WorkerRegistration } from '../protocol/bridge-config.ts';
import { FIRST_VISIT_SWAP_TIMEOUT_MS, WELCOME_TIMEOUT_MS } from '../protocol/limits.ts';

export type WorkerStatus = 'controlled' | 'bypassed' | 'unsupported' | 'failed' | 'timeout';

/**
 * Registers the site's one worker (`worker`, relative to `root`, the bridge's folder) with
 * exactly the options the build found, so that a site's own `register()` of the same worker
 * names the same registration instead of replacing it.
 */
export async function registerWorker(worker: WorkerRegistration, root: URL): Promise<WorkerStatus> {
  if (!('serviceWorker' in navigator)) return 'unsupported';
  const options: RegistrationOptions = { scope: new URL(worker.scope, root).pathname, type: worker.type };
  if (worker.updateViaCache !== null) options.updateViaCache = worker.updateViaCache;
  let registration: ServiceWorkerRegistration;
  try {
    registration = await navigator.serviceWorker.register(new URL(worker.url, root).href, options);
  } catch (error) {
    console.warn('[peer-connect] service worker registration failed:', error);
    return 'failed';
  }
  if (navigator.serviceWorker.controller) return 'controlled';
  // An active worker and nothing installing, yet no controller: the user bypassed the worker
  // (a hard reload). Nothing will take control of this page, so do not wait for it.
  if (registration.active && !registration.installing && !registration.waiting) return 'bypassed';
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), FIRST_VISIT_SWAP_TIMEOUT_MS);
    navigator.serviceWorker.addEventListener(
      'controllerchange',
      () => {
        clearTimeout(timer);
        resolve('controlled');
      },
      { once: true },
    );
  });
}

/** Puts the wrapped elements back as live elements (their markup is the noscript's text). */
export function swapInMarkedElements(): number {
  const marked = document.querySelectorAll('noscript[data-peer-connect]');
  for (const noscript of marked) {
    const template = document.createElement('template');
    template.innerHTML = noscript.textContent ?? '';
    noscript.replaceWith(template.content);
  }
  return marked.length;
}

export function domReady(): Promise<void> {
  if (document.readyState !== 'loading') return Promise.resolve();
  return new Promise((resolve) => document.addEventListener('DOMContentLoaded', () => resolve(), { once: true }));
}

export interface FirstVisitOptions {
  worker: WorkerRegistration;
  /** The site's root: the bridge script's folder. */
  root: URL;
  /** Resolves when the worker answered the page's hello, or after `ms` (worker-hello.ts). */
  welcomedWithin(ms: number): Promise<void>;
  /** How the registration settled (shown in `stats().worker`). */
  onStatus(status: WorkerStatus): void;
}

/**
 * Registers the worker and makes the page P2P: resolves once the worker controls it (or cannot)
 * and the marked elements (a `swap` page's; none elsewhere) are back.
 */
export async function readyForFirstVisit(options: FirstVisitOptions): Promise<void> {
  const status = await registerWorker(options.worker, options.root);
  options.onStatus(status);
  // The elements put back next are fetched through the worker: it must know this page first,
  // or they go to the origin (it serves only pages whose build it knows).
  if (status === 'controlled') await options.welcomedWithin(WELCOME_TIMEOUT_MS);
  await domReady();
  swapInMarkedElements();
}
