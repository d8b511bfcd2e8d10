/**
 * A site's own service worker at build time (builder/site-worker/): finding its `register()`
 * calls, choosing the worker or refusing with a message saying what to do, composing ours into
 * it, and the build's output for such a site.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'acorn';
import { buildSite } from '../../build.ts';
import { type ChooseInput, chooseSiteWorker } from '../../builder/site-worker/choose-worker.ts';
import { COMPOSED_MARK, composeWorker, workerTypeOf } from '../../builder/site-worker/compose.ts';
import { type FoundRegistration, findRegistrations, type ScriptSource } from '../../builder/site-worker/find-registrations.ts';
import { SiteWorkerError } from '../../builder/site-worker/plan.ts';
import { refreshPrecacheRevisions } from '../../builder/site-worker/precache-revisions.ts';
import { siteScripts } from '../../builder/site-worker/site-scripts.ts';
import { BRIDGE_FILE, OWN_WORKER, WORKER_FILE } from '../../protocol/bridge-config.ts';
import { writeFiles } from './build-helpers.ts';

const ORIGIN = 'http://site.invalid/';
const at = (path: string): URL => new URL(path, ORIGIN);

/** The calls in `text`, run in a page at `page` with document base `base`. */
function calls(text: string, page = 'index.html', base = page, module: boolean | null = false): FoundRegistration[] {
  const source: ScriptSource = {
    text,
    where: 'test.js',
    scriptUrl: at('js/test.js'),
    module,
    contexts: [{ pageUrl: at(page), base: at(base) }],
  };
  const { found, parseError } = findRegistrations(source);
  assert.equal(parseError, null);
  return found;
}

const one = (text: string, page?: string, base?: string): FoundRegistration => {
  const found = calls(text, page, base);
  assert.equal(found.length, 1, `one call in ${text}`);
  return found[0] as FoundRegistration;
};

describe('finding register() calls', () => {
  it('a string literal resolves against the page, and the options are read', () => {
    const f = one("navigator.serviceWorker.register('sw.js', { scope: './', type: 'module', updateViaCache: 'none' })", 'blog/post.html');
    assert.equal(f.unresolved, null);
    assert.equal(f.script?.href, `${ORIGIN}blog/sw.js`);
    assert.equal(f.scope?.href, `${ORIGIN}blog/`);
    assert.equal(f.type, 'module');
    assert.equal(f.updateViaCache, 'none');
  });

  it("resolves against the document's <base href>, not the page", () => {
    const f = one("navigator.serviceWorker.register('sw.js')", 'posts/a.html', 'static/');
    assert.equal(f.script?.href, `${ORIGIN}static/sw.js`);
    assert.equal(f.scope, null, 'no scope given: the default is the script folder');
  });

  it('finds the call in every spelling the parser sees: window., optional chaining, computed, a template literal, in a then()', () => {
    const text = `
      window.navigator.serviceWorker.register('/a.js');
      navigator.serviceWorker?.register(\`/a.js\`);
      navigator['serviceWorker']['register']("/a.js");
      if ('serviceWorker' in navigator) window.addEventListener('load', () => { navigator.serviceWorker.register('/a.js').then(() => {}); });`;
    const found = calls(text);
    assert.equal(found.length, 4);
    for (const f of found) assert.equal(f.script?.href, `${ORIGIN}a.js`);
  });

  it('new URL(literal, import.meta.url | location | document.baseURI), and .href of it', () => {
    const meta = calls("navigator.serviceWorker.register(new URL('./sw.js', import.meta.url))", 'p/x.html', 'p/x.html', true)[0];
    assert.equal(meta?.script?.href, `${ORIGIN}js/sw.js`, 'import.meta.url is the script file');
    const loc = one("navigator.serviceWorker.register(new URL('sw.js', location.href).href)", 'p/x.html', 'static/');
    assert.equal(loc.script?.href, `${ORIGIN}p/sw.js`, 'location is the page');
    const base = one("navigator.serviceWorker.register(new URL('sw.js', document.baseURI))", 'p/x.html', 'static/');
    assert.equal(base.script?.href, `${ORIGIN}static/sw.js`);
  });

  it("workbox-window's new Workbox(url, options)", () => {
    const f = one("const wb = new Workbox('/sw.js', { scope: '/' }); wb.register();");
    assert.equal(f.script?.href, `${ORIGIN}sw.js`);
    assert.equal(f.scope?.href, ORIGIN);
  });

  it('a computed argument, or options, are reported unresolved with their text', () => {
    const v = one('const url = "/sw.js?v=" + Date.now(); navigator.serviceWorker.register(url);');
    assert.equal(v.script, null);
    assert.match(v.unresolved ?? '', /`url`/);
    const t = one(`navigator.serviceWorker.register(\`/sw-$\{version}.js\`)`);
    assert.match(t.unresolved ?? '', /sw-\$\{version\}/);
    const o = one("navigator.serviceWorker.register('/sw.js', opts)");
    assert.equal(o.script?.href, `${ORIGIN}sw.js`);
    assert.match(o.unresolved ?? '', /options `opts`/);
  });

  it('parses as a script, then as a module; other register() calls are not ours', () => {
    assert.equal(calls("import x from './x.js'; navigator.serviceWorker.register('/sw.js');", 'index.html', 'index.html', null).length, 1);
    assert.equal(calls("customElements.register('x'); app.register('/sw.js'); serviceWorkerRegister('/a.js');").length, 0);
  });

  it("reads a page's inline scripts and the files its <script src> names, in each page's context; skips our page script", () => {
    const pages = [
      {
        path: 'a/index.html',
        text: `<base href="/b/"><script data-peer-connect-page>n.serviceWorker.register(at("x"))</script>
<script>navigator.serviceWorker.register('inline.js')</script><script src="app.js"></script><script type="text/x-template">navigator.serviceWorker.register(1)</script>`,
      },
    ];
    const files = [
      { path: 'b/app.js', text: "navigator.serviceWorker.register('sw.js')" },
      { path: 'lazy.js', text: "navigator.serviceWorker.register('lazy-sw.js')" },
    ];
    const found = siteScripts(pages, files, ORIGIN).flatMap((s) => findRegistrations(s).found);
    assert.deepEqual(
      found.map((f) => f.script?.pathname),
      ['/b/inline.js', '/b/sw.js', '/lazy-sw.js'],
    );
  });
});

/** chooseSiteWorker with a site holding `files`. */
function choose(found: FoundRegistration[], named: string | null = null, files = ['sw.js'], allowed = false) {
  const input: ChooseInput = {
    found,
    named,
    siteOrigin: ORIGIN,
    hasFile: (p) => files.includes(p),
    typeOf: () => 'classic',
    sendsServiceWorkerAllowed: allowed,
  };
  return chooseSiteWorker(input);
}

describe('choosing the site worker, or refusing', () => {
  it('no call and no --site-worker: none (our own worker)', () => {
    assert.deepEqual(choose([]), { ok: true, value: null });
  });

  it("one worker: its path and the site's registration, relative to the root", () => {
    const r = choose(calls("navigator.serviceWorker.register('/sw.js', { scope: '/' })"));
    assert.ok(r.ok && r.value);
    assert.equal(r.value.path, 'sw.js');
    assert.deepEqual(r.value.registration, { url: 'sw.js', scope: './', type: 'classic', updateViaCache: null });
    assert.deepEqual(r.value.warnings, []);
  });

  it('keeps the query of the worker URL the site registers', () => {
    const r = choose(calls("navigator.serviceWorker.register('/sw.js?v=3')"));
    assert.ok(r.ok && r.value);
    assert.equal(r.value.registration.url, 'sw.js?v=3');
    assert.equal(r.value.path, 'sw.js');
  });

  it('an unresolvable call without --site-worker stops the build and says to pass it', () => {
    const r = choose(calls('navigator.serviceWorker.register(url)'));
    assert.ok(!r.ok);
    assert.equal(r.code, 'unresolved');
    assert.match(r.error, /--site-worker/);
    assert.match(r.error, /test\.js:1/);
  });

  it('with --site-worker: the named file, its folder as the scope', () => {
    const r = choose(calls('navigator.serviceWorker.register(url)'), 'app/sw.js', ['app/sw.js']);
    assert.ok(r.ok && r.value);
    assert.deepEqual(r.value.registration, { url: 'app/sw.js', scope: 'app/', type: 'classic', updateViaCache: null });
  });

  it('two workers for overlapping scopes, or for two scopes: refused', () => {
    const overlap = choose(calls("navigator.serviceWorker.register('/sw.js'); navigator.serviceWorker.register('/app/other.js')"), null, [
      'sw.js',
      'app/other.js',
    ]);
    assert.ok(!overlap.ok);
    assert.equal(overlap.code, 'overlapping');
    assert.match(overlap.error, /overlapping scopes/);
    const apart = choose(calls("navigator.serviceWorker.register('/a/sw.js'); navigator.serviceWorker.register('/b/sw.js')"), null, [
      'a/sw.js',
      'b/sw.js',
    ]);
    assert.ok(!apart.ok);
    assert.equal(apart.code, 'several');
  });

  it('one worker registered with two scopes or types: refused', () => {
    const r = choose(calls("navigator.serviceWorker.register('/sw.js'); navigator.serviceWorker.register('/sw.js', { type: 'module' })"));
    assert.ok(!r.ok);
    assert.equal(r.code, 'mixed-options');
  });

  it('a worker the site does not have, named or registered: refused', () => {
    const registered = choose(calls("navigator.serviceWorker.register('/gone.js')"));
    assert.ok(!registered.ok);
    assert.equal(registered.code, 'missing');
    assert.match(registered.error, /gone\.js/);
    const named = choose([], 'nope.js');
    assert.ok(!named.ok);
    assert.equal(named.code, 'missing');
  });

  it('--site-worker naming another file than the one registered: refused', () => {
    const r = choose(calls("navigator.serviceWorker.register('/sw.js')"), 'other.js', ['sw.js', 'other.js']);
    assert.ok(!r.ok);
    assert.equal(r.code, 'not-registered');
  });

  it('a worker on another origin: refused', () => {
    const r = choose(calls("navigator.serviceWorker.register('https://cdn.example/sw.js')"));
    assert.ok(!r.ok);
    assert.equal(r.code, 'cross-origin');
  });

  it('a scope above the worker folder: a warning naming Service-Worker-Allowed, unless the host config sets it', () => {
    const found = calls("navigator.serviceWorker.register('/js/sw.js', { scope: '/' })");
    const warned = choose(found, null, ['js/sw.js']);
    assert.ok(warned.ok && warned.value);
    assert.match(warned.value.warnings[0] ?? '', /Service-Worker-Allowed: \//);
    const allowed = choose(found, null, ['js/sw.js'], true);
    assert.ok(allowed.ok && allowed.value);
    assert.deepEqual(allowed.value.warnings, []);
  });

  it('an earlier build registering our own worker is not a site worker', () => {
    assert.deepEqual(choose(calls(`navigator.serviceWorker.register('/${WORKER_FILE}')`)), { ok: true, value: null });
  });
});

describe('composing ours into the site worker', () => {
  it('a classic worker: importScripts first, after its directive prologue', () => {
    const out = composeWorker("'use strict';\nself.addEventListener('fetch', () => {});\n", './peer-connect-sw.js?v=1', 'classic');
    const lines = out.split('\n');
    // On the prologue's line: the site's line numbers (and source map) hold.
    assert.equal(lines[0], `'use strict'; importScripts("./peer-connect-sw.js?v=1"); ${COMPOSED_MARK} `);
    assert.equal(lines[1], "self.addEventListener('fetch', () => {});");
    assert.equal(lines.length, 3);
  });

  it('a module worker: a static import first', () => {
    const out = composeWorker("import { x } from './x.js';\n", '../peer-connect-sw.js?v=1', 'module');
    assert.equal(out, `import "../peer-connect-sw.js?v=1"; ${COMPOSED_MARK} import { x } from './x.js';\n`);
  });

  it('composing an already composed worker adds our line once', () => {
    const once = composeWorker('self.x = 1;\n', './peer-connect-sw.js?v=1', 'classic');
    const twice = composeWorker(once, './peer-connect-sw.js?v=2', 'classic');
    assert.equal(twice, `importScripts("./peer-connect-sw.js?v=2"); ${COMPOSED_MARK} self.x = 1;\n`);
    const strict = composeWorker("'use strict';\nx();\n", './a.js', 'classic');
    assert.equal(composeWorker(strict, './a.js', 'classic'), strict);
  });

  it("a worker's type when no call says: module only when it parses only as one", () => {
    assert.equal(workerTypeOf("import './x.js';"), 'module');
    assert.equal(workerTypeOf('self.onfetch = null;'), 'classic');
  });
});

describe("a precache manifest's revisions of the pages we rewrite", () => {
  // As generateSW writes it (minified: unquoted keys), and as injectManifest leaves it.
  const sw = `define(["./workbox-1"],(function(e){e.precacheAndRoute([{url:"index.html",revision:"aaa"},{url:"css/a.css",revision:"bbb"},{"url":"blog/p.html","revision":null}],{})}));`;
  const revisions = new Map([
    ['index.html', 'new-index'],
    ['blog/p.html', 'new-post'],
  ]);

  it('each entry naming a rewritten page gets the revision of the page as written; the rest is untouched', () => {
    const { text, updated } = refreshPrecacheRevisions(sw, at('sw.js'), (p) => revisions.get(p) ?? null);
    assert.deepEqual(updated.sort(), ['blog/p.html', 'index.html']);
    assert.equal(text, sw.replace('revision:"aaa"', 'revision:"new-index"').replace('"revision":null', '"revision":"new-post"'));
  });

  it("urls resolve against the worker's own URL", () => {
    const { updated } = refreshPrecacheRevisions(sw, at('blog/sw.js'), (p) => (p === 'blog/index.html' ? 'x' : null));
    assert.deepEqual(updated, ['blog/index.html']);
  });
});

describe('the build of a site with its own worker', () => {
  const build = async (files: Array<[string, string]>, siteWorker: string | null = null) => {
    const root = await mkdtemp(join(tmpdir(), 'pc-site-worker-'));
    await writeFiles(join(root, 'site'), files);
    try {
      const result = await buildSite({
        siteDir: join(root, 'site'),
        outDir: join(root, 'out'),
        siteWorker,
        minify: false,
        firstVisit: 'reload',
      });
      const read = (p: string): Promise<string> => readFile(join(root, 'out', p), 'utf8');
      return {
        result,
        sw: await read('sw.js').catch(() => null),
        bridge: await read(BRIDGE_FILE),
        ours: await read(WORKER_FILE),
        index: await read('index.html'),
      };
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  };
  const page = (script: string): string =>
    `<!doctype html><html><head><script>${script}</script></head><body><img src="a.png"></body></html>`;

  it('composes: sw.js imports ours, is not an asset, and the bridge and the first visit register sw.js', async () => {
    const { result, sw, bridge, ours, index } = await build([
      ['index.html', page("navigator.serviceWorker.register('sw.js')")],
      ['sw.js', "self.addEventListener('fetch', () => {});\n"],
      ['a.png', 'png'],
    ]);
    assert.deepEqual(result.siteWorker, {
      path: 'sw.js',
      registration: { url: 'sw.js', scope: './', type: 'classic', updateViaCache: null },
    });
    assert.ok(!('sw.js' in result.manifest.assets));
    assert.ok(sw?.startsWith(`importScripts("./${WORKER_FILE}?v=${result.manifest.build}");`));
    assert.match(bridge, /worker: \{ url: "sw\.js", scope: "\.\/", type: "classic", updateViaCache: null \}/);
    assert.match(ours, /composed: true/);
    // The first-visit script registers the same worker for the same scope.
    assert.match(index, /register\(at\("sw\.js"\),\{scope:new URL\("\.\/",l\.href\)\.pathname\}\)/);
    // A module site worker imports ours statically: the bundle must be valid as a module too.
    assert.doesNotThrow(() => parse(ours, { ecmaVersion: 'latest', sourceType: 'module' }));
  });

  it('a computed registration stops the build unless --site-worker names the file', async () => {
    const files: Array<[string, string]> = [
      ['index.html', page("var url = '/sw.js'; navigator.serviceWorker.register(url)")],
      ['sw.js', '// worker\n'],
    ];
    await assert.rejects(
      build(files),
      (e: unknown) => e instanceof SiteWorkerError && e.code === 'unresolved' && /--site-worker/.test(e.message),
    );
    const { result, sw } = await build(files, 'sw.js');
    assert.equal(result.siteWorker?.path, 'sw.js');
    assert.ok(sw?.includes(WORKER_FILE));
  });

  it('a site without a worker: our own worker, as before', async () => {
    const { result, sw, bridge, ours } = await build([['index.html', page('var x = 1;')]]);
    assert.equal(result.siteWorker, null);
    assert.equal(sw, null);
    assert.match(bridge, new RegExp(`url: "${OWN_WORKER.url}"`));
    assert.doesNotMatch(ours, /composed: true/);
  });
});
