/**
 * rewriteHtml on pages given as strings: where the bridge tag goes, how an existing one is
 * re-versioned in place, and which elements first-visit `swap` wraps (and which it must leave).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DefaultTreeAdapterMap } from 'parse5';
import { parse, parseFragment, serialize } from 'parse5';
import { type RewriteOptions, rewriteHtml } from '../../builder/rewrite-html.ts';
import { scriptTag, WRAP_CLOSE, WRAP_OPEN } from './build-helpers.ts';

type Element = DefaultTreeAdapterMap['element'];
type ParentNode = DefaultTreeAdapterMap['parentNode'];

function findAll(node: ParentNode, tag: string, found: Element[] = []): Element[] {
  for (const child of node.childNodes) {
    if ('tagName' in child) {
      if (child.tagName === tag) found.push(child);
      findAll(child, tag, found);
    }
  }
  return found;
}

/** The build's inline page script (builder/page-script.ts): its text has no `<`. */
const PAGE_SCRIPT = /<script data-peer-connect-page>[^<]*<\/script>/;

describe('rewriteHtml', { timeout: 30_000 }, () => {
  const VERSIONED = 'peer-connect.js?v=0123456789abcdef0123';
  const assets = new Set(['img/a.png', 'img/b.png', 'img/café terrace.jpg', 'v.mp4']);
  const options = (over: Partial<RewriteOptions> = {}): RewriteOptions => ({
    pagePath: 'index.html',
    bridgeSrc: 'peer-connect.js',
    isAsset: (p) => assets.has(p),
    firstVisit: 'swap',
    build: '0123456789abcdef0123',
    ...over,
  });
  const rewrite = (
    html: string,
    over: Partial<RewriteOptions> = {},
  ): { html: string; swapped: number; scriptAdded: boolean; scriptsUpdated: number } => {
    const r = rewriteHtml(Buffer.from(html, 'utf8'), options(over));
    // Every page gets the page script at the top of <head> (first-visit-build.test.ts): these cases are about the rest.
    const text = r.html.toString('utf8').replace(PAGE_SCRIPT, '');
    return { html: text, swapped: r.swapped, scriptAdded: r.scriptAdded, scriptsUpdated: r.scriptsUpdated };
  };
  /** The bridge script as a browser would parse the output: one element, in <head>. */
  const assertScriptInHead = (html: string): void => {
    const doc = parse(html);
    const scripts = findAll(doc, 'script').filter((s) => s.attrs.some((a) => a.name === 'src' && a.value === 'peer-connect.js'));
    assert.equal(scripts.length, 1);
    assert.equal(scripts[0]!.parentNode && 'tagName' in scripts[0]!.parentNode ? scripts[0]!.parentNode.tagName : '', 'head');
    assert.ok(scripts[0]!.attrs.some((a) => a.name === 'async'));
  };

  it('a page with no <head> (but <html>): script right after <html>', () => {
    const src = '<html><body><p>x</p></body></html>';
    const r = rewrite(src);
    assert.equal(r.html, `<html>${scriptTag('peer-connect.js')}<body><p>x</p></body></html>`);
    assert.ok(r.scriptAdded);
    assertScriptInHead(r.html);
  });

  it('a page with no <html> and no <head>: script at the start', () => {
    const r = rewrite('<p>hello</p>');
    assert.equal(r.html, `${scriptTag('peer-connect.js')}<p>hello</p>`);
    assertScriptInHead(r.html);
  });

  it('a <head> start tag without </head>: script right after <head>', () => {
    const r = rewrite('<html><head><title>t</title><body>b</body></html>');
    assert.equal(r.html, `<html><head>${scriptTag('peer-connect.js')}<title>t</title><body>b</body></html>`);
    assertScriptInHead(r.html);
  });

  it('only a doctype: script right after it', () => {
    const r = rewrite('<!DOCTYPE html>\n');
    assert.equal(r.html, `<!DOCTYPE html>${scriptTag('peer-connect.js')}\n`);
    assertScriptInHead(r.html);
  });

  it('an empty file still gets the script', () => {
    const r = rewrite('');
    assert.equal(r.html, scriptTag('peer-connect.js'));
  });

  // A UTF-8 byte order mark must stay the first bytes of the file (the browser uses it to pick the
  // charset), and the doctype must stay the first token (anything before it means quirks mode).
  it('a page starting with a UTF-8 BOM keeps the BOM and doctype first; the script goes before </head>', () => {
    const bom = Buffer.from([0xef, 0xbb, 0xbf]);
    const page = '<!DOCTYPE html><html><head><title>t</title></head><body><p>x</p></body></html>';
    const r = rewriteHtml(Buffer.concat([bom, Buffer.from(page)]), options());
    assert.ok(r.html.subarray(0, 3).equals(bom), `starts with ${JSON.stringify(r.html.subarray(0, 20).toString('latin1'))}`);
    assert.equal(
      r.html.subarray(3).toString('utf8').replace(PAGE_SCRIPT, ''),
      page.replace('</head>', `${scriptTag('peer-connect.js')}</head>`),
    );
  });

  it('a page that already has the bridge script does not get a second one: its src becomes ours', () => {
    const src = '<html><head><script src="/peer-connect.js" async></script></head><body></body></html>';
    const r = rewrite(src, { bridgeSrc: VERSIONED });
    assert.equal(r.html, src.replace('/peer-connect.js', VERSIONED));
    assert.equal(r.scriptAdded, false);
    assert.equal(r.scriptsUpdated, 1);
  });

  it('an existing bridge src is replaced inside its own quotes, whatever its form; every other byte stays', () => {
    const cases: Array<[string, string]> = [
      [`<script async src='peer-connect.js?v=0123456789abcdef'></script>`, `<script async src='${VERSIONED}'></script>`],
      ['<script src=../peer-connect.js defer></script>', `<script src=${VERSIONED} defer></script>`],
      ['<SCRIPT type="module" SRC = "js/peer-connect.js?x=1#y"></SCRIPT>', `<SCRIPT type="module" SRC = "${VERSIONED}"></SCRIPT>`],
      ['<script src="peer&#45;connect.js"></script>', `<script src="${VERSIONED}"></script>`],
      ['<script src="https://example.com/blog/peer-connect.js?v=1"></script>', `<script src="${VERSIONED}"></script>`],
    ];
    for (const [input, expected] of cases) {
      const r = rewrite(`<head>${input}</head>`, { bridgeSrc: VERSIONED });
      assert.equal(r.html, `<head>${expected}</head>`, input);
      assert.equal(r.scriptAdded, false, input);
    }
  });

  it('a script whose path only looks like the bridge is left alone and ours is added', () => {
    for (const other of [
      'my-peer-connect.js',
      'peer-connect.js.map',
      'peer-connect.json',
      'x.js?peer-connect.js',
      'x.js#/peer-connect.js',
    ]) {
      const input = `<head><script src="${other}"></script></head>`;
      const r = rewrite(input, { bridgeSrc: VERSIONED });
      // Ours before the first element of <head> that fetches, which that script is.
      assert.equal(r.html, input.replace('<head>', `<head>${scriptTag(VERSIONED)}`), other);
      assert.equal(r.scriptAdded, true, other);
    }
  });

  it('an SVG <script> naming peer-connect.js is not our bridge', () => {
    const input = '<head></head><body><svg><script href="peer-connect.js"></script></svg></body>';
    const r = rewrite(input, { bridgeSrc: VERSIONED });
    assert.equal(r.html, input.replace('</head>', `${scriptTag(VERSIONED)}</head>`));
  });

  it('an <img> inside an existing <noscript> is not wrapped', () => {
    const src = '<html><head></head><body><noscript><img src="img/a.png"></noscript></body></html>';
    const r = rewrite(src);
    assert.equal(r.swapped, 0);
    assert.ok(!r.html.includes('data-peer-connect'));
    assert.equal(r.html.replace(scriptTag('peer-connect.js'), ''), src);
  });

  it('a srcset-only image is wrapped', () => {
    const r = rewrite('<html><head></head><body><img srcset="img/a.png 1x, img/b.png 2x"></body></html>');
    assert.equal(r.swapped, 1);
    assert.ok(r.html.includes(`${WRAP_OPEN}<img srcset="img/a.png 1x, img/b.png 2x">${WRAP_CLOSE}`));
  });

  it('a srcset whose only asset is the second candidate is wrapped', () => {
    const r = rewrite('<body><img srcset="https://cdn.example/x.png 1x, img/b.png 2x">');
    assert.equal(r.swapped, 1);
  });

  it('<picture> is wrapped as a whole, once', () => {
    const pic = '<picture><source srcset="img/b.png"><img src="img/a.png"></picture>';
    const r = rewrite(`<body>${pic}</body>`);
    assert.equal(r.swapped, 1);
    assert.equal(r.html.split(WRAP_OPEN).length - 1, 1);
    assert.ok(r.html.includes(WRAP_OPEN + pic + WRAP_CLOSE));
  });

  it('<video> with an asset <source> is wrapped', () => {
    const v = '<video controls><source src="v.mp4"></video>';
    const r = rewrite(`<body>${v}`);
    assert.ok(r.html.includes(WRAP_OPEN + v + WRAP_CLOSE));
  });

  it('external, non-asset, data: and query URLs are not wrapped', () => {
    const src =
      '<img src="https://other.example/img/a.png"><img src="//other.example/img/a.png"><img src="img/zzz.png"><img src="data:image/png;base64,AAAA"><img src="img/a.png?x=1"><img>';
    const r = rewrite(src);
    assert.equal(r.swapped, 0);
    assert.equal(r.html, scriptTag('peer-connect.js') + src);
  });

  it('resolves relative URLs against the page path', () => {
    const r = rewrite('<body><img src="../img/a.png"><img src="img/a.png">', {
      pagePath: 'blog/post.html',
      bridgeSrc: '../peer-connect.js',
    });
    // ../img/a.png from blog/ is img/a.png (an asset); img/a.png from blog/ is blog/img/a.png (not one).
    assert.equal(r.swapped, 1);
    assert.ok(r.html.includes(`${WRAP_OPEN}<img src="../img/a.png">${WRAP_CLOSE}<img src="img/a.png">`));
    assert.ok(r.html.startsWith('<script src="../peer-connect.js" async fetchpriority="high"></script>'));
  });

  it("firstVisit 'off' and 'reload' wrap nothing; 'reload' adds the first-visit script before the bridge", () => {
    const src = '<img src="img/a.png"><picture><img src="img/b.png"></picture>';
    const off = rewrite(src, { firstVisit: 'off' });
    assert.equal(off.swapped, 0);
    assert.equal(off.html, scriptTag('peer-connect.js') + src);
    const reload = rewrite(src, { firstVisit: 'reload' });
    assert.equal(reload.swapped, 0);
    assert.equal(reload.html, scriptTag('peer-connect.js') + src);
  });

  /** The page as a browser builds it after the swap: each wrapper's text re-parsed through a <template>, as page-bridge/first-visit.ts does. */
  const afterSwap = (html: string): string => {
    const doc = parse(html);
    for (const noscript of findAll(doc, 'noscript').filter((n) => n.attrs.some((a) => a.name === 'data-peer-connect'))) {
      const text = noscript.childNodes.map((c) => ('value' in c ? c.value : '')).join('');
      const parent = noscript.parentNode!;
      const fragment = parseFragment(text);
      const at = parent.childNodes.indexOf(noscript);
      for (const child of fragment.childNodes) child.parentNode = parent;
      parent.childNodes.splice(at, 1, ...fragment.childNodes);
    }
    return serialize(doc);
  };

  /** Each of `bodies`, put in a `<body>`, comes out with the bridge tag added and nothing wrapped. */
  const assertNothingWrapped = (bodies: string[]): void => {
    for (const body of bodies) {
      const r = rewrite(`<body>${body}</body>`);
      assert.equal(r.swapped, 0, body);
      assert.equal(r.html, `${scriptTag('peer-connect.js')}<body>${body}</body>`, body);
    }
  };

  it('a <video> whose fallback holds a <script> is not wrapped (a script re-created from a template never runs)', () => {
    assertNothingWrapped([
      '<video src="v.mp4">Your browser cannot play this. <script>document.write("x")</script></video>',
      '<video src="v.mp4"><p>fallback <span><script src="fallback.js"></script></span></p></video>',
      '<audio src="v.mp4"><svg><script>alert(1)</script></svg></audio>',
    ]);
  });

  it('elements holding an <iframe>, <object> or <embed> are not wrapped either', () => {
    for (const inner of ['<iframe src="x.html"></iframe>', '<object data="x.swf"></object>', '<embed src="x.swf">']) {
      const r = rewrite(`<body><video src="v.mp4">${inner}</video><picture><img src="img/a.png">${inner}</picture></body>`);
      assert.equal(r.swapped, 0, inner);
    }
  });

  it('nothing in SVG or MathML is wrapped: <video> there is a foreign element, and HTML inside foreignObject/mtext is left too', () => {
    assertNothingWrapped([
      '<svg><video src="v.mp4"></video></svg>',
      '<svg><g><audio src="v.mp4"></audio></g></svg>',
      '<math><video src="v.mp4"></video></math>',
      '<math><mi><img src="img/a.png"></mi></math>',
      '<math><mtext><picture><img src="img/a.png"></picture></mtext></math>',
      '<svg><foreignObject><img src="img/a.png"></foreignObject></svg>',
      '<svg><foreignObject><div><video src="v.mp4"></video></div></foreignObject></svg>',
    ]);
  });

  it('an element whose wrapper would be parsed elsewhere (an <img> breaking out of <svg>, one before <body> opens) is not wrapped', () => {
    for (const src of ['<body><svg><img src="img/a.png"></svg></body>', '<!doctype html><title>t</title><img src="img/a.png">']) {
      const r = rewrite(src);
      assert.equal(r.swapped, 0, src);
      assert.equal(r.html.replace(scriptTag('peer-connect.js'), ''), src);
    }
  });

  it('nested and mixed cases: the safe elements are wrapped, and after the swap the page is the original page', () => {
    const src = [
      '<body>',
      '<div><p><img src="img/a.png"></p></div>',
      '<video src="v.mp4"><img src="img/b.png"><script>x()</script></video>',
      '<svg><image href="img/a.png"/></svg>',
      '<table><tr><td><picture><source srcset="img/b.png"><img src="img/a.png"></picture></td></tr></table>',
      '<math><mi>x</mi></math><audio src="v.mp4"></audio>',
      '</body>',
    ].join('');
    const r = rewrite(src);
    assert.equal(r.swapped, 3);
    assert.ok(r.html.includes(`${WRAP_OPEN}<img src="img/a.png">${WRAP_CLOSE}`));
    assert.ok(
      r.html.includes('<video src="v.mp4"><img src="img/b.png"><script>x()</script></video>'),
      'nothing inside a skipped element is wrapped',
    );
    assert.ok(r.html.includes(`${WRAP_OPEN}<audio src="v.mp4"></audio>${WRAP_CLOSE}`));
    assert.equal(afterSwap(r.html), afterSwap(scriptTag('peer-connect.js') + src));
  });

  it('a raw UTF-8 file name in src is matched', () => {
    const r = rewrite('<body><img src="img/café terrace.jpg">');
    assert.equal(r.swapped, 1);
  });

  // Browsers decode character references in attribute values before resolving the URL, so
  // `caf&eacute;` and `caf&#233;` request /img/caf%C3%A9%20terrace.jpg, the asset.
  it('a file name written with character references in src is matched (as a browser resolves it)', () => {
    const r = rewrite('<body><img src="img/caf&eacute;%20terrace.jpg"><img src="img/caf&#233; terrace.jpg">');
    assert.equal(r.swapped, 2);
  });

  it("with --lcp-from-origin, swap leaves the page's LCP candidates as written (they load at once, from the origin) and wraps the rest", () => {
    const src =
      '<body><img src="img/a.png" width="64" height="64"><picture><source srcset="img/b.png"><img src="v.mp4" width="1600" height="900"></picture><img src="img/café terrace.jpg" width="1800" height="1200"></body>';
    const plain = rewriteHtml(Buffer.from(src, 'utf8'), options());
    assert.deepEqual(plain.critical, [], 'nothing marked without --lcp-from-origin');
    assert.equal(plain.swapped, 3, 'and everything wrapped');
    const r = rewriteHtml(Buffer.from(src, 'utf8'), options({ markLcp: true }));
    assert.deepEqual(r.critical, ['v.mp4', 'img/b.png'], 'the first large image, with its <picture> source');
    const html = r.html.toString('utf8');
    assert.equal(r.swapped, 2, 'the small logo and the later large image are wrapped');
    assert.ok(html.includes('<picture><source srcset="img/b.png"><img src="v.mp4" width="1600" height="900"></picture>'), html);
    assert.ok(!/<noscript[^>]*><picture/.test(html), html);
  });
});
