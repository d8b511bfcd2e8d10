/**
 * The build's step for a site's own service worker: reads the site's pages and scripts, finds
 * their registrations and decides which worker to compose with (or stops the build with a
 * message saying what to do). The reading is here; every rule is in the pure modules beside it.
 */
import { readFile } from 'node:fs/promises';
import type { SiteFile } from '../walk-site.ts';
import { type ChooseInput, chooseSiteWorker, type SiteWorkerCode, type SiteWorkerPlan } from './choose-worker.ts';
import { workerTypeOf } from './compose.ts';
import { findRegistrations, mayRegister } from './find-registrations.ts';
import { type SiteText, siteScripts } from './site-scripts.ts';

export type { SiteWorkerPlan } from './choose-worker.ts';

const SCRIPT_FILE = /\.(m?js)$/i;

export interface PlanInput {
  files: readonly SiteFile[];
  /** Files the build writes itself (never the site's worker). */
  isOurs(path: string): boolean;
  isHtml(path: string): boolean;
  /** `--site-worker`, or null. */
  named: string | null;
  siteOrigin: string;
}

/** Why the build stopped: the message says what to do (choose-worker.ts lists each code). */
export class SiteWorkerError extends Error {
  constructor(
    message: string,
    readonly code: SiteWorkerCode,
  ) {
    super(message);
    this.name = 'SiteWorkerError';
  }
}

/** The site worker to compose with, or null for a site without one. Throws SiteWorkerError. */
export async function planSiteWorker(input: PlanInput): Promise<SiteWorkerPlan | null> {
  const pages: SiteText[] = [];
  const scripts: SiteText[] = [];
  const byPath = new Map(input.files.map((f) => [f.path, f.absolute]));
  let allowed = false;
  for (const file of input.files) {
    if (input.isOurs(file.path)) continue;
    const name = file.path.split('/').at(-1) ?? '';
    if (name === '_headers' || name === '.htaccess') {
      allowed ||= /service-worker-allowed/i.test(await readFile(file.absolute, 'utf8'));
      continue;
    }
    if (!input.isHtml(file.path) && !SCRIPT_FILE.test(file.path)) continue;
    const text = await readFile(file.absolute, 'utf8');
    if (input.isHtml(file.path)) pages.push({ path: file.path, text });
    else if (mayRegister(text)) scripts.push({ path: file.path, text });
  }
  const found = siteScripts(pages, scripts, input.siteOrigin)
    .filter((s) => mayRegister(s.text))
    .flatMap((s) => findRegistrations(s).found);
  const typeCache = new Map<string, ReturnType<typeof workerTypeOf>>();
  const choose: ChooseInput = {
    found,
    named: input.named,
    siteOrigin: input.siteOrigin,
    hasFile: (path) => byPath.has(path) && !input.isOurs(path),
    typeOf: (path) => typeCache.get(path) ?? 'classic',
    sendsServiceWorkerAllowed: allowed,
  };
  // The named file's type is read before choosing (the pure rules take it as a fact).
  for (const path of [input.named?.replace(/^\.?\//, '')].filter((p): p is string => typeof p === 'string')) {
    const file = byPath.get(path);
    if (file) typeCache.set(path, workerTypeOf(await readFile(file, 'utf8')));
  }
  const plan = chooseSiteWorker(choose);
  if (!plan.ok) throw new SiteWorkerError(`site service worker: ${plan.error}`, plan.code);
  return plan.value;
}
