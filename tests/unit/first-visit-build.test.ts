/**
 * The build's first-visit decisions, page by page: which mode `auto` picks and why, where the
 * first-visit script goes, what a page's CSP meta needs (a nonce, our hash, or no first-visit
 * change at all), and `<base href>` for our tag and for the URLs the build resolves.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'parse5';
import { buildSite } from '../../build.ts';
import { chooseFirstVisit } from '../../builder/first-visit/choose-mode.ts';
import { planForCsp } from '../../builder/first-visit/page-csp.ts';
import { cssUrls, scriptUrls } from '../../builder/first-visit/page-facts.ts';
import { documentBase, relativeToBase } from '../../builder/page-base.ts';
import { pageScriptText, scriptHashSource } from '../../builder/page-script.ts';
import { type RewriteOptions, rewriteHtml } from '../../builder/rewrite-html.ts';
import { FIRST_VISIT_MIN_ASSET_BYTES } from '../../protocol/limits.ts';

const SIZES: Record<string, number> = {
  'js/bundle.js': 300_000,
  'css/a.css': 40_000,
  'css/b.css': 20_000,
  'fonts/f.woff2': 30_000,
  'img/a.png': 50_000,
  'static/img/a.png': 50_000,
  'img/tiny.png': 1_000,
};
const options = (over: Partial<RewriteOptions> = {}): RewriteOptions => ({
  pagePath: 'index.html',
  bridgeSrc: 'peer-connect.js?v=b',
  isAsset: (p) => p in SIZES,
  assetSize: (p) => SIZES[p] ?? 0,
  firstVisit: 'auto',
  build: '0123456789abcdef0123',
  ...over,
});
const rewrite = (html: string, over: Partial<RewriteOptions> = {}) => {
  const r = rewriteHtml(Buffer.from(html, 'utf8'), options(over));
  return { ...r, text: r.html.toString('utf8') };
};

describe('first visit: auto picks per page', () => {
  it('reload for a page naming enough asset bytes, off for one naming little or none, never swap', () => {
    const heavy = chooseFirstVisit('auto', { assetCount: 4, assetBytes: 400_000, htmlBytes: 2_000, cspRefusal: null });
    assert.equal(heavy.mode, 'reload');
    assert.match(heavy.reason, /4 assets, 391 KiB/);
    assert.equal(chooseFirstVisit('auto', { assetCount: 0, assetBytes: 0, htmlBytes: 900, cspRefusal: null }).mode, 'off');
    const light = chooseFirstVisit('auto', {
      assetCount: 1,
      assetBytes: FIRST_VISIT_MIN_ASSET_BYTES - 1,
      htmlBytes: 900,
      cspRefusal: null,
    });
    assert.equal(light.mode, 'off');
    assert.match(light.reason, /not worth loading the page twice/);
    // A page as large as its assets: loading it twice costs what peers could save.
    assert.equal(chooseFirstVisit('auto', { assetCount: 1, assetBytes: 100_000, htmlBytes: 60_000, cspRefusal: null }).mode, 'off');
  });

  it('--start manual: auto holds no first visit (P2P waits for consent)', () => {
    const r = chooseFirstVisit('auto', { assetCount: 4, assetBytes: 400_000, htmlBytes: 2_000, cspRefusal: null, startsManually: true });
    assert.equal(r.mode, 'off');
    assert.match(r.reason, /--start manual/);
    assert.equal(rewrite('<head><script src="js/bundle.js"></script></head>', { startsManually: true }).firstVisit.mode, 'off');
  });

  it("the owner's mode applies to every page, unless the page's CSP rules it out", () => {
    assert.equal(chooseFirstVisit('swap', { assetCount: 0, assetBytes: 0, htmlBytes: 1, cspRefusal: null }).mode, 'swap');
    const refused = chooseFirstVisit('swap', { assetCount: 3, assetBytes: 1e6, htmlBytes: 1, cspRefusal: 'csp says no' });
    assert.deepEqual(refused, { mode: 'off', reason: 'csp says no' });
  });

  it('counts what the markup names: scripts, stylesheets, preloads, srcset, CSS url() and @import in the page', () => {
    const r = rewrite(
      `<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="css/a.css"><link rel=preload as=font href="fonts/f.woff2" crossorigin>
      <style>@import "css/b.css"; body { background: url(img/a.png) }</style><script src="js/bundle.js"></script></head>
      <body><a href="img/tiny.png">not fetched</a><img srcset="img/tiny.png 1x"></body></html>`,
    );
    assert.equal(r.firstVisit.mode, 'reload');
    assert.match(r.firstVisit.reason, /^6 assets/);
    assert.deepEqual(cssUrls(`a{b:url( "x.png" )} @import 'y.css'; c{d:url(z.svg)}`), ['x.png', 'y.css', 'z.svg']);
  });

  it('follows the named stylesheets: their @import, fonts (blocking) and backgrounds, resolved against the stylesheet', () => {
    const sheets: Record<string, string> = {
      'css/a.css': '@import "b.css"; @font-face { src: url(../fonts/f.woff2) } body { background: url("../img/a.png") }',
      'css/b.css': 'h1 { background: url(/img/tiny.png) }',
    };
    const r = rewrite('<head><link rel="stylesheet" href="css/a.css"></head><body></body>', {
      isAsset: (p) => p in SIZES || p in sheets,
      cssOf: (p) => sheets[p] ?? null,
      firstVisit: 'reload',
    });
    const list = /\[("[^\]]*")\]\.map/.exec(r.text)?.[1];
    // Held, the page fetches its render-blocking assets (stylesheets, fonts); the backgrounds count
    // towards the choice but load with the page.
    assert.equal(list, '"css/a.css","css/b.css","fonts/f.woff2"', r.text);
    assert.match(r.firstVisit.reason, /\(5 assets/);
  });
  it('follows the named scripts: the assets their string literals name, relative to the script or the page, chunk by chunk', () => {
    // A Vite app: the markup is a shell (one small module script); its images come from the bundle.
    const sizes: Record<string, number> = {
      'assets/index-3f2a.js': 6_000,
      'assets/chunk-b1.js': 2_000,
      'assets/hero-9c.jpg': 500_000,
      'assets/map-41.png': 200_000,
      'img/logo.svg': 3_000,
      'assets/unused.png': 90_000,
    };
    const scripts: Record<string, string> = {
      'assets/index-3f2a.js':
        'import"./chunk-b1.js";const h="/assets/hero-9c.jpg",l=new URL("map-41.png",import.meta.url).href;el.src=`img/logo.svg`;x="not/a/file.txt";y="https://cdn.example.com/a.jpg"',
      'assets/chunk-b1.js': 'export const u="assets/unused.png#frag"',
    };
    const page =
      '<!doctype html><html><head><script type="module" src="/assets/index-3f2a.js"></script></head><body><div id="app"></div></body></html>';
    const withScripts = rewrite(page, {
      isAsset: (p) => p in sizes,
      assetSize: (p) => sizes[p] ?? 0,
      scriptOf: (p) => scripts[p] ?? null,
    });
    assert.equal(withScripts.firstVisit.mode, 'reload', withScripts.firstVisit.reason);
    assert.match(withScripts.firstVisit.reason, /^6 assets/);
    // Read as the shell alone, the page names 6 KB: not worth a reload (before the scripts were followed).
    const shellOnly = rewrite(page, { isAsset: (p) => p in sizes, assetSize: (p) => sizes[p] ?? 0 });
    assert.equal(shellOnly.firstVisit.mode, 'off');
    assert.deepEqual(scriptUrls('a="x.png",b=\'y/z.woff2?v=1\',c=`w.js`,d="no ext",e="a b.png"'), ['x.png', 'y/z.woff2', 'w.js']);
  });

  it('the build reads a page script that also names a stylesheet-like path (each asset read as what it is)', async () => {
    // followCss asks every named asset for stylesheet text first; the script must still be read as a script.
    const root = await mkdtemp(join(tmpdir(), 'pc-fv-script-'));
    try {
      const site = join(root, 'site');
      await mkdir(join(site, 'assets'), { recursive: true });
      await writeFile(
        join(site, 'index.html'),
        '<!doctype html><html><head><script type="module" src="/assets/app.js"></script><link rel="stylesheet" href="/assets/app.css"></head><body></body></html>',
      );
      await writeFile(join(site, 'assets', 'app.js'), "const a=`/assets/photo.jpg`;document.body.innerHTML='<img src=\"'+a+'\">'");
      await writeFile(join(site, 'assets', 'app.css'), 'body{margin:0}');
      await writeFile(join(site, 'assets', 'photo.jpg'), randomBytes(200_000));
      const result = await buildSite({ siteDir: site, outDir: join(root, 'out') });
      const page = result.firstVisits.find((f) => f.page === 'index.html');
      assert.equal(page?.mode, 'reload', page?.reason);
      assert.match(page?.reason ?? '', /^3 assets/);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});

describe('first visit: the reload script', () => {
  const page = `<!doctype html><html><head><meta charset="utf-8"><title>t</title><link rel="stylesheet" href="css/a.css"><script src="js/bundle.js"></script></head><body><p>x</p></body></html>`;

  it('goes before the first element of <head> that can fetch, after the charset and title; the bridge tag right after it', () => {
    const r = rewrite(page);
    const first = r.text.indexOf('<script data-peer-connect-page>');
    assert.ok(first > 0, r.text);
    assert.ok(first > r.text.indexOf('<title>t</title>') && first < r.text.indexOf('<link'), r.text);
    assert.ok(r.text.indexOf('</script><script src="peer-connect.js?v=b" async fetchpriority="high"></script><link') > first, r.text);
    // The page itself is otherwise byte for byte as written.
    const stripped = r.text
      .replace(/<script data-peer-connect-page>[^<]*<\/script>/, '')
      .replace('<script src="peer-connect.js?v=b" async fetchpriority="high"></script>', '');
    assert.equal(stripped, page);
  });

  it('registers the worker next to the bridge, relative to the page URL, and a rebuild replaces it rather than adding one', () => {
    const post = page.replace('href="css/', 'href="../css/').replace('src="js/', 'src="../js/');
    const r = rewrite(post, { pagePath: 'blog/post.html', bridgeSrc: '../peer-connect.js?v=b' });
    assert.ok(r.text.includes('register(at("../peer-connect-sw.js")'), r.text);
    assert.ok(r.text.includes('b.src=at("../peer-connect.js?v=b")'), 'the hold starts the bridge');
    assert.ok(
      r.text.includes('["../css/a.css","../js/bundle.js"]'),
      'and fetches the named assets, relative to the page, in document order, blocking ones first',
    );
    assert.ok(r.text.includes('{scope:new URL("../",l.href).pathname}'));
    const again = rewriteHtml(r.html, options({ pagePath: 'blog/post.html', bridgeSrc: '../peer-connect.js?v=c' })).html.toString('utf8');
    assert.equal(again.match(/data-peer-connect-page/g)?.length, 1);
    assert.ok(again.includes('peer-connect.js?v=c'));
  });

  it('fetches nothing while held when the render-blocking assets are light: it only waits for the worker, without the bridge', () => {
    const light = rewrite(
      '<head><link rel="stylesheet" href="css/b.css"></head><body><img src="img/a.png"><img src="static/img/a.png"></body>',
    );
    assert.equal(light.firstVisit.mode, 'reload', light.firstVisit.reason);
    const script = /<script data-peer-connect-page>([^<]*)<\/script>/.exec(light.text)?.[1] ?? '';
    assert.ok(script.includes('plaintext hidden') && script.includes('addEventListener("controllerchange",go)'), script);
    assert.ok(!script.includes('createElement("script")') && !script.includes('fetch('), 'no bridge, no fetch while held');
  });

  it('is a fixed text for fixed options (its hash can be given to a CSP header), with no < in it', () => {
    const hold = {
      workerUrl: 'peer-connect-sw.js',
      scopeUrl: './',
      bridgeUrl: 'peer-connect.js?v=b1',
      prefetch: ['css/a.css'],
      nonce: null,
      timeoutMs: 4000,
    };
    const a = pageScriptText({ build: 'b1', hold });
    assert.equal(a, pageScriptText({ build: 'b1', hold }));
    assert.match(scriptHashSource(a), /^'sha256-[A-Za-z0-9+/]+=*'$/);
    assert.ok(!pageScriptText({ build: '</script>', hold: { ...hold, workerUrl: '</script><x>' } }).includes('<'));
  });

  it('every page gets it (it names the build to a controlling worker); only reload pages hold a first visit', () => {
    const off = rewrite('<head><title>t</title></head><body><p>text only</p></body>');
    assert.equal(off.firstVisit.mode, 'off');
    const script = /<script data-peer-connect-page>([^<]*)<\/script>/.exec(off.text)?.[1] ?? '';
    assert.ok(script.includes('postMessage({pc:"page",build:"0123456789abcdef0123"})'), script);
    assert.ok(!script.includes('plaintext'), 'no hold on an off page');
    const reload = rewrite(page);
    assert.ok(/<script data-peer-connect-page>[^<]*plaintext hidden[^<]*<\/script>/.test(reload.text.replace(/\\u003c/g, '')));
  });
});

describe('first visit: Content-Security-Policy in a meta', () => {
  const HASH = "'sha256-abc='";

  it('a nonce the page uses goes on our tags; the policy is left alone', () => {
    const policy = "default-src 'self'; script-src 'nonce-r4nd0m' 'strict-dynamic'; worker-src 'self'";
    const plan = planForCsp([policy], HASH);
    assert.ok(plan.ok);
    assert.equal(plan.value.nonce, 'r4nd0m');
    assert.deepEqual(plan.value.policies, [policy]);
    // Without worker-src the worker falls back to script-src, where 'strict-dynamic' voids 'self'.
    const noWorker = planForCsp(["default-src 'self'; script-src 'nonce-r4nd0m' 'strict-dynamic'"], HASH);
    assert.ok(!noWorker.ok && noWorker.code === 'csp-blocks-worker' && /worker-src 'self'/.test(noWorker.error));
  });

  it("without a nonce our hash is added to script-src, or to a script-src copied from default-src (styles keep 'unsafe-inline')", () => {
    const a = planForCsp(["script-src 'self'; img-src *"], HASH);
    assert.ok(a.ok);
    assert.deepEqual(a.value.policies, [`script-src 'self' ${HASH}; img-src *`]);
    const b = planForCsp(["default-src 'self' 'unsafe-inline' 'sha256-theirs='"], HASH);
    assert.ok(b.ok);
    assert.deepEqual(b.value.policies, [
      `default-src 'self' 'unsafe-inline' 'sha256-theirs='; script-src 'self' 'unsafe-inline' 'sha256-theirs=' ${HASH}`,
    ]);
  });

  it("'unsafe-inline' that no hash or nonce voids already allows us: nothing is added (adding a hash would void it for the page's own scripts)", () => {
    const plan = planForCsp(["script-src 'self' 'unsafe-inline'"], HASH);
    assert.ok(plan.ok);
    assert.deepEqual(plan.value.policies, ["script-src 'self' 'unsafe-inline'"]);
  });

  it("connect-src (or default-src) must allow the signaling server: same origin by 'self', another by host or scheme", () => {
    assert.ok(planForCsp(["default-src 'self'"], HASH, null).ok);
    const other = planForCsp(["default-src 'self'"], HASH, 'wss://signal.example/peer-connect/signal');
    assert.ok(!other.ok && other.code === 'csp-blocks-signaling' && /add wss:\/\/signal\.example/.test(other.error));
    for (const allowed of ['wss://signal.example', '*.example', 'wss:', 'https:', 'ws://signal.example:*']) {
      assert.ok(planForCsp([`default-src 'self'; connect-src ${allowed}`], HASH, 'wss://signal.example/s').ok, allowed);
    }
    assert.ok(!planForCsp(['connect-src https://other.example'], HASH, 'wss://signal.example/s').ok);
  });

  it('a policy that allows no same-origin script, or no worker, rules first-visit changes out with a code', () => {
    const bridge = planForCsp(["script-src 'sha256-only='"], HASH);
    assert.ok(!bridge.ok && bridge.code === 'csp-blocks-bridge');
    const worker = planForCsp(["script-src 'self'; worker-src 'none'"], HASH);
    assert.ok(!worker.ok && worker.code === 'csp-blocks-worker');
  });

  it('in a page: the nonce page gets it on both our tags; a hash page gets its meta rewritten; a refusing page gets off and a warning', () => {
    const body = '<body><img src="img/a.png"><script src="js/bundle.js"></script></body>';
    const nonced = rewrite(
      `<head><meta http-equiv="Content-Security-Policy" content="script-src 'nonce-n1'; worker-src 'self'"></head>${body}`,
    );
    assert.equal(nonced.firstVisit.mode, 'reload');
    assert.equal(nonced.text.match(/ nonce="n1"/g)?.length, 2, nonced.text);
    assert.ok(nonced.text.includes('b.nonce="n1"'), 'the bridge the hold inserts carries it too');
    const hashed = rewrite(`<head><meta http-equiv="content-security-policy" content='script-src &apos;self&apos;'></head>${body}`);
    const content = parse(hashed.text).childNodes.flatMap(function all(n): string[] {
      const here = 'attrs' in n && n.nodeName === 'meta' ? [n.attrs.find((a) => a.name === 'content')?.value ?? ''] : [];
      return [...here, ...('childNodes' in n ? n.childNodes.flatMap(all) : [])];
    });
    const script = /<script data-peer-connect-page>([^<]*)<\/script>/.exec(hashed.text)?.[1] ?? '';
    assert.deepEqual(content, [`script-src 'self' ${scriptHashSource(script)}`]);
    const refused = rewrite(`<head><meta http-equiv="Content-Security-Policy" content="script-src 'sha256-x='"></head>${body}`, {
      firstVisit: 'swap',
    });
    assert.equal(refused.firstVisit.mode, 'off');
    assert.equal(refused.swapped, 0, 'a swap our script may not undo would hide the images');
    assert.match(refused.warnings.join(), /allows no same-origin script/);
  });
});

describe('first visit: <base href>', () => {
  it('resolves the page URLs and our tag against the base', () => {
    const base = documentBase(parse('<head><base href="/static/"></head>'), new URL('http://site.invalid/index.html'));
    assert.equal(base.href, 'http://site.invalid/static/');
    assert.equal(relativeToBase(new URL('http://site.invalid/peer-connect.js?v=b'), base), '../peer-connect.js?v=b');
    assert.equal(relativeToBase(new URL('http://site.invalid/peer-connect.js'), new URL('https://cdn.example/x/')), null);
    const r = rewrite('<head><base href="/static/"></head><body><img src="img/a.png"><script src="app.js"></script></body>', {
      firstVisit: 'swap',
    });
    assert.ok(r.text.includes('<script src="../peer-connect.js?v=b" async fetchpriority="high">'), r.text);
    assert.equal(r.swapped, 1, 'img/a.png against the base is static/img/a.png, an asset');
    const auto = rewrite('<head><base href="/static/"></head><body><img src="img/a.png"><img src="img/a.png"></body>');
    assert.match(auto.firstVisit.reason, /^1 assets/);
  });

  it('a base on another origin: the tag is written as if there were none, with a warning', () => {
    const r = rewrite('<head><base href="https://cdn.example/"></head><body></body>');
    assert.ok(r.text.includes('<script src="peer-connect.js?v=b" async fetchpriority="high">'));
    assert.match(r.warnings.join(), /<base href> leaves the site/);
  });
});
