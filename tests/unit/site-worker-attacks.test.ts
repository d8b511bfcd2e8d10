/**
 * Hard sites for the site-worker composition (issue 16 review), at the build and in the worker's
 * dispatch: what a browser does with the site alone is what must still happen, or the build says
 * precisely why not.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type BuildResult, buildSite } from '../../build.ts';
import { SiteWorkerError } from '../../builder/site-worker/plan.ts';
import { WORKER_FILE } from '../../protocol/bridge-config.ts';
import { installSiteFetchDispatch } from '../../sw/site-fetch-listeners.ts';
import { writeFiles } from './build-helpers.ts';

async function build(files: Array<[string, string]>): Promise<{ result: BuildResult; sw: string; index: string }> {
  const root = await mkdtemp(join(tmpdir(), 'pc-sw-attack-'));
  await writeFiles(join(root, 'site'), files);
  try {
    const result = await buildSite({ siteDir: join(root, 'site'), outDir: join(root, 'out'), minify: false, firstVisit: 'reload' });
    const read = (p: string): Promise<string> => readFile(join(root, 'out', p), 'utf8');
    return { result, sw: await read('sw.js'), index: await read('index.html') };
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

describe('site-worker attacks at the build', () => {
  it("a relative register('sw.js') in a script shared by pages in two folders: refused as the missing blog/sw.js, not as two workers", async () => {
    // In a browser the call on blog/post.html fails (no blog/sw.js) and /sw.js keeps controlling
    // the folder: there are not two workers replacing each other, as an 'overlapping' refusal says.
    const error = await build([
      ['index.html', '<script src="/js/app.js"></script>'],
      ['blog/post.html', '<script src="/js/app.js"></script>'],
      ['js/app.js', "navigator.serviceWorker.register('sw.js');\n"],
      ['sw.js', '// the worker\n'],
    ]).then(
      () => null,
      (e: unknown) => e,
    );
    assert.ok(error instanceof SiteWorkerError, `the build stops: ${String(error)}`);
    assert.equal(error.code, 'missing', error.message);
    assert.match(error.message, /blog\/sw\.js/);
  });

  it('the worker file is never an asset a peer could serve, whatever names it; files it imports are ordinary assets', async () => {
    const { result, sw } = await build([
      [
        'index.html',
        '<link rel="preload" href="sw.js" as="script"><script src="sw.js?x"></script><a href="sw.js">w</a>' +
          '<script>navigator.serviceWorker.register(\'/sw.js?v=2\')</script><img src="a.png">',
      ],
      ['sw.js', "importScripts('lib.js');\n"],
      ['lib.js', "// imported by the worker (a worker's own imports never pass through a fetch handler)\n"],
      ['a.png', 'png'],
    ]);
    assert.equal(result.siteWorker?.registration.url, 'sw.js?v=2');
    assert.ok(!('sw.js' in result.manifest.assets), Object.keys(result.manifest.assets).join(' '));
    assert.ok(!(WORKER_FILE in result.manifest.assets));
    assert.ok(sw.startsWith(`importScripts("./${WORKER_FILE}?v=${result.manifest.build}");`), sw);
  });
  it('register() in an inline script a CSP allows by its hash: the script is kept byte for byte, its hash kept, ours added', async () => {
    const inline = "navigator.serviceWorker.register('/sw.js')";
    const hash = (text: string): string => `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
    const { result, index } = await build([
      [
        'index.html',
        `<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="script-src 'self' ${hash(inline)}">` +
          `<script>${inline}</script></head><body><img src="a.png"></body></html>`,
      ],
      ['sw.js', '// the worker\n'],
      ['a.png', 'x'.repeat(70_000)],
    ]);
    assert.equal(result.siteWorker?.path, 'sw.js');
    assert.deepEqual(result.warnings, []);
    assert.ok(index.includes(`<script>${inline}</script>`), 'the site inline script as written');
    const policy = index.match(/Content-Security-Policy" content="([^"]*)"/)?.[1] ?? '';
    const ours = index.match(/<script data-peer-connect-page>([^<]*)<\/script>/)?.[1] ?? '';
    assert.ok(policy.includes(hash(inline)), policy);
    assert.ok(ours !== '' && policy.includes(hash(ours)), `our page script's hash in ${policy}`);
  });
});

describe('site-worker attacks in the dispatch', () => {
  class FakeFetchEvent extends Event {
    responded: Array<Promise<Response> | Response> = [];
    constructor(readonly request: Request) {
      super('fetch', { cancelable: true });
    }
    respondWith(response: Promise<Response> | Response): void {
      // As a browser: once answered, or once the dispatch is over, respondWith throws.
      if (this.responded.length > 0 || this.over) throw new Error('InvalidStateError');
      this.responded.push(response);
    }
    over = false;
  }

  it('respondWith called from a microtask (too late for a browser): ours answers, and the late call throws as it would without us', async () => {
    const target = new EventTarget();
    const log: string[] = [];
    installSiteFetchDispatch<FakeFetchEvent>(target, {
      observe: () => undefined,
      ours: (event) => {
        log.push('ours');
        event.respondWith(new Response('ours'));
      },
      report: () => undefined,
    });
    let late: unknown = null;
    target.addEventListener('fetch', (e) => {
      const event = e as FakeFetchEvent;
      void Promise.resolve().then(() => {
        try {
          event.respondWith(new Response('site, late'));
        } catch (error) {
          late = error;
        }
      });
    });
    const event = new FakeFetchEvent(new Request('http://site.test/img/a.jpg'));
    target.dispatchEvent(event);
    event.over = true;
    await new Promise((r) => setTimeout(r, 0));
    assert.deepEqual(log, ['ours']);
    assert.equal(event.responded.length, 1);
    assert.match(String(late), /InvalidStateError/);
  });

  it('self.onfetch and addEventListener together: both run, in the order set, before ours', () => {
    const target = new EventTarget() as EventTarget & { onfetch?: unknown };
    const log: string[] = [];
    installSiteFetchDispatch<FakeFetchEvent>(target, {
      observe: () => undefined,
      ours: () => log.push('ours'),
      report: () => undefined,
    });
    target.addEventListener('fetch', () => log.push('listener 1'));
    target.onfetch = () => log.push('onfetch');
    target.addEventListener('fetch', () => log.push('listener 2'));
    target.dispatchEvent(new FakeFetchEvent(new Request('http://site.test/a.css')));
    assert.deepEqual(log, ['listener 1', 'onfetch', 'listener 2', 'ours']);
  });
});
