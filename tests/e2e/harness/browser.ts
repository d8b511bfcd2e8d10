/**
 * One Chromium process per visitor, each with its own fresh profile, as real visitors are
 * separate browsers: separate IndexedDB, service-worker registration, HTTP cache and WebRTC
 * stack. Flags are the ones measured in /work/shared/ENVIRONMENT.md.
 */

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { VISITOR_UA_TAG } from './origin-server.ts';

export const CHROMIUM = '/usr/bin/chromium';

export const BASE_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // WebRTC between browser processes on loopback needs both of these, or there are no ICE candidates.
  '--allow-loopback-in-peer-connection',
  '--use-fake-ui-for-media-stream',
  // Media elements must be able to play without a user gesture in the range/media test.
  '--autoplay-policy=no-user-gesture-required',
];

/** A fixed Chrome-like UA plus our tag; the origin attributes requests by the tag (see origin-server.ts). */
const userAgentFor = (name: string): string =>
  `Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome Safari/537.36 ${VISITOR_UA_TAG}/${name}`;

export interface LogLine {
  at: number;
  source: string;
  type: string;
  text: string;
}

export interface Visitor {
  name: string;
  userDataDir: string;
  context: BrowserContext;
  /** The visitor's main tab (the last one opened by `open`). */
  page: Page;
  /** Console errors, page errors and failed worker starts, from every tab and worker, ever. */
  errors: LogLine[];
  /** Every console line (for failure reports). */
  log: LogLine[];
  /** Navigates the main tab (opening one if needed). */
  open(url: string): Promise<Page>;
  /** Opens a new tab in the same browser. */
  newTab(url: string): Promise<Page>;
  /** Reloads the main tab: same profile, same process. */
  reload(): Promise<void>;
  /**
   * Closes the browser process and starts a new one on the same profile: only what the browser
   * stored on disk (IndexedDB, the worker registration) survives, nothing in memory.
   */
  restart(): Promise<void>;
  /** Closes the process (keeps the profile on disk for `restart`). */
  closeBrowser(): Promise<void>;
  /** Closes the process and deletes the profile. Safe to call twice. */
  close(): Promise<void>;
  /** Recent log lines, for an assertion message. */
  dump(lines?: number): string;
}

export interface LaunchOptions {
  /** Reuse an existing profile directory instead of a fresh one. */
  userDataDir?: string;
  extraFlags?: string[];
}

/** Playwright's own default timeouts are 30 s; a test file must finish in under 2 min. */
const ACTION_TIMEOUT_MS = 20_000;

export async function launchVisitor(name: string, options: LaunchOptions = {}): Promise<Visitor> {
  const userDataDir = options.userDataDir ?? (await mkdtemp(join(tmpdir(), `pc-e2e-${name}-`)));
  const errors: LogLine[] = [];
  const log: LogLine[] = [];
  let closed = false;
  let browserOpen = false;

  const record = (source: string, type: string, text: string): void => {
    const line = { at: Date.now(), source, type, text };
    log.push(line);
    if (type === 'error' || type === 'pageerror') errors.push(line);
  };

  const watchPage = (page: Page): void => {
    page.on('pageerror', (e) => record(page.url(), 'pageerror', e.stack ?? e.message));
    page.on('crash', () => record(page.url(), 'error', 'page crashed'));
    page.setDefaultTimeout(ACTION_TIMEOUT_MS);
    page.setDefaultNavigationTimeout(ACTION_TIMEOUT_MS);
  };

  const start = async (): Promise<BrowserContext> => {
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      // The UA flag (not Playwright's per-page override) so the service worker's fetches carry it too.
      args: [...BASE_FLAGS, `--user-agent=${userAgentFor(name)}`, ...(options.extraFlags ?? [])],
      viewport: { width: 1280, height: 900 },
      timeout: ACTION_TIMEOUT_MS,
    });
    browserOpen = true;
    // tsx (esbuild keepNames) wraps named inner functions of our page.evaluate callbacks in
    // `__name(fn, "name")`, a helper that exists only in Node; give pages a no-op one.
    await context.addInitScript({ content: 'globalThis.__name = globalThis.__name || ((f) => f);' });
    // Context-level console covers every page and every worker, the service worker included.
    context.on('console', (m) => {
      const where = m.page()?.url() ?? m.worker()?.url() ?? 'worker';
      record(where, m.type(), m.text());
    });
    context.on('weberror', (e) => record(e.page()?.url() ?? 'context', 'pageerror', e.error().stack ?? e.error().message));
    context.on('page', watchPage);
    for (const p of context.pages()) watchPage(p);
    context.on('close', () => {
      browserOpen = false;
    });
    return context;
  };

  const context = await start();
  const visitor: Visitor = {
    name,
    userDataDir,
    context,
    page: context.pages()[0] ?? (await context.newPage()),
    errors,
    log,
    async open(url) {
      if (visitor.page.isClosed()) visitor.page = await visitor.context.newPage();
      await visitor.page.goto(url, { waitUntil: 'load' });
      return visitor.page;
    },
    async newTab(url) {
      const page = await visitor.context.newPage();
      await page.goto(url, { waitUntil: 'load' });
      visitor.page = page;
      return page;
    },
    async reload() {
      await visitor.page.reload({ waitUntil: 'load' });
    },
    async restart() {
      await visitor.closeBrowser();
      visitor.context = await start();
      visitor.page = visitor.context.pages()[0] ?? (await visitor.context.newPage());
    },
    async closeBrowser() {
      if (!browserOpen) return;
      // Bounded: a wedged browser must not hang the suite; Playwright kills the process on timeout.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        visitor.context.close().catch(() => undefined),
        new Promise((r) => {
          timer = setTimeout(r, 10_000);
        }),
      ]);
      clearTimeout(timer);
      browserOpen = false;
    },
    async close() {
      if (closed) return;
      closed = true;
      // PEER_CONNECT_E2E_LOG=1 prints every console line of every visitor, for debugging the product.
      if (process.env.PEER_CONNECT_E2E_LOG === '1') console.log(visitor.dump(Infinity));
      await visitor.closeBrowser();
      await rm(userDataDir, { recursive: true, force: true }).catch(() => undefined);
    },
    dump(lines = 40) {
      return log
        .slice(-lines)
        .map((l) => `  [${name} ${l.type}] ${l.text.slice(0, 400)} (${l.source})`)
        .join('\n');
    },
  };
  return visitor;
}
