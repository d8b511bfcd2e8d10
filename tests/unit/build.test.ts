/**
 * The build on a real (temporary) site folder: the manifest's hashes are checked against hashes
 * computed here independently, every non-HTML file is copied byte for byte, and every HTML page
 * differs from its source only by the inserted script tag and the first-visit wrappers.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse, parseFragment, serialize } from 'parse5';
import type { DefaultTreeAdapterMap } from 'parse5';
import { buildSite, type BuildResult } from '../../build.ts';
import { BUILD_MARKER_FILE, buildMarkerText } from '../../build/check-out-dir.ts';
import { rewriteHtml, type RewriteOptions } from '../../build/rewrite-html.ts';
import { BRIDGE_FILE, WORKER_FILE } from '../../protocol/bridge-config.ts';
import { PIECE_SIZE } from '../../protocol/limits.ts';
import { validateManifest, type Manifest } from '../../protocol/manifest.ts';

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

const WRAP_OPEN = '<noscript data-peer-connect>';
const WRAP_CLOSE = '</noscript>';
const scriptTag = (src: string): string => `<script src="${src}" async></script>`;

/**
 * Removes the one inserted script tag and every first-visit wrapper (keeping what it wraps).
 * Works on latin1 text so any byte sequence survives unchanged.
 */
function stripInserted(output: Buffer, bridgeSrc: string): { bytes: Buffer; wrapped: string[] } {
  let s = output.toString('latin1');
  const tag = scriptTag(bridgeSrc);
  assert.equal(s.split(tag).length - 1, 1, `exactly one ${tag}`);
  s = s.replace(tag, '');
  const wrapped: string[] = [];
  for (let i = s.indexOf(WRAP_OPEN); i >= 0; i = s.indexOf(WRAP_OPEN, i)) {
    const close = s.indexOf(WRAP_CLOSE, i + WRAP_OPEN.length);
    assert.ok(close > i, 'wrapper is closed');
    const inner = s.slice(i + WRAP_OPEN.length, close);
    wrapped.push(Buffer.from(inner, 'latin1').toString('utf8'));
    s = s.slice(0, i) + inner + s.slice(close + WRAP_CLOSE.length);
  }
  return { bytes: Buffer.from(s, 'latin1'), wrapped };
}

/** Every `<script>` whose src ends with peer-connect.js, in any form. */
const bridgeScriptCount = (html: string): number => (html.match(/<script\b[^>]*peer-connect\.js/gi) ?? []).length;

// ---------------------------------------------------------------- the site

const INDEX_HTML = `<!DOCTYPE html>
<html lang="de">
<head>
<meta charset="utf-8">
<title>Grüße – 日本語 ✓</title>
<link rel="stylesheet" href="css/style.css">
<script src="js/app.js" defer></script>
</head>
<body>
<h1>Café «terrace» — naïve 🚀</h1>
<img src="img/caf%C3%A9%20terrace.jpg" alt="café">
<img src="https://cdn.example.com/img/logo.png" alt="external">
<img src="img/not-there.png" alt="missing">
<img src="img/logo.png?v=2" alt="query">
<picture><source srcset="img/logo.webp" type="image/webp"><img src="img/logo.png" alt="logo"></picture>
<noscript><img src="img/logo.png" alt="already"></noscript>
<img srcset="img/logo.png 1x, img/logo@2x.png 2x" alt="srcset only">
<video controls poster="img/logo.png"><source src="media/big.bin" type="video/mp4"></video>
<p>Ende.</p>
</body>
</html>
`;

const POST_HTML = `<html><head><title>Post</title></head><body><p>Deep</p><img src="../img/logo.png" alt="rel"><img src="/img/café terrace.jpg" alt="abs"></body></html>`;

const DEEP_HTML = `<!doctype html><title>deep</title><img src="../../fonts/nested/deep/not-an-image.woff2">`;

/** windows-1252 bytes: é ï € “ ” © are single non-ASCII bytes, invalid as UTF-8. */
const LATIN1_HTML = Buffer.concat([
  Buffer.from('<!DOCTYPE html><html><head><meta charset="windows-1252"><title>Caf'),
  Buffer.from([0xe9]),
  Buffer.from('</title></head><body><p>Na'),
  Buffer.from([0xef]),
  Buffer.from('ve '),
  Buffer.from([0x80, 0x20, 0x93]),
  Buffer.from('quoted'),
  Buffer.from([0x94, 0x20, 0xa9]),
  Buffer.from('</p><img src="img/logo.png" alt="x"></body></html>'),
]);

const BIG_SIZE = 5 * 1024 * 1024 + 12_345; // several pieces, partial last piece

interface Site {
  dir: string;
  files: Map<string, Buffer>;
}

/** Writes `files` (site-relative path → content) under `dir`, making folders as needed. */
async function writeFiles(dir: string, files: Iterable<[string, string | Buffer]>): Promise<void> {
  for (const [path, data] of files) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), data);
  }
}

async function makeSite(root: string): Promise<Site> {
  const dir = join(root, 'site');
  const files = new Map<string, Buffer>([
    ['index.html', Buffer.from(INDEX_HTML, 'utf8')],
    ['blog/post.html', Buffer.from(POST_HTML, 'utf8')],
    ['blog/2024/deep.HTM', Buffer.from(DEEP_HTML, 'utf8')],
    ['latin1.html', LATIN1_HTML],
    ['css/style.css', Buffer.from('body { font-family: "Grüße"; }\n')],
    ['js/app.js', Buffer.from('console.log("app");\n')],
    ['img/café terrace.jpg', randomBytes(30_000)],
    ['img/logo.png', randomBytes(1000)],
    ['img/logo.webp', randomBytes(800)],
    ['img/logo@2x.png', randomBytes(2000)],
    ['empty.txt', Buffer.alloc(0)],
    ['exact.bin', randomBytes(PIECE_SIZE * 2)],
    ['media/big.bin', randomBytes(BIG_SIZE)],
    ['fonts/nested/deep/not-an-image.woff2', randomBytes(3000)],
  ]);
  await writeFiles(dir, files);
  // Version control is not part of the site; other hidden files are copied but never assets.
  await mkdir(join(dir, '.git'), { recursive: true });
  await writeFile(join(dir, '.git', 'config'), '[core]\n');
  await writeFile(join(dir, '.DS_Store'), 'junk');
  return { dir, files };
}

const isHtmlPath = (p: string): boolean => /\.html?$/i.test(p);
/** The bridge script's src in a built page: relative to the page, versioned with the build id. */
const bridgeSrcFor = (page: string, build: string): string => `${'../'.repeat(page.split('/').length - 1)}${BRIDGE_FILE}?v=${build}`;

describe('buildSite', { timeout: 120_000 }, () => {
  let root = '';
  let site: Site;
  let out = '';
  let result: BuildResult;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'pc-build-'));
    site = await makeSite(root);
    out = join(root, 'out');
    result = await buildSite({ siteDir: site.dir, outDir: out });
  });
  after(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('the manifest is valid and keyed by decoded site-relative paths of non-HTML files only', () => {
    const m: Manifest = result.manifest;
    assert.ok(validateManifest(m).ok);
    assert.equal(m.pieceSize, PIECE_SIZE);
    const expected = [...site.files.keys()].filter((p) => !isHtmlPath(p)).sort();
    assert.deepEqual(Object.keys(m.assets).sort(), expected);
    assert.ok('img/café terrace.jpg' in m.assets);
    for (const key of Object.keys(m.assets)) {
      assert.ok(!key.startsWith('/') && !key.includes('%') && !key.includes('\\'), key);
      assert.ok(!key.startsWith('.'), `hidden file ${key} must not be an asset`);
    }
    assert.ok(!(WORKER_FILE in m.assets) && !(BRIDGE_FILE in m.assets));
  });

  it('lists the HTML pages it rewrote', () => {
    assert.deepEqual([...result.htmlPages].sort(), [...site.files.keys()].filter(isHtmlPath).sort());
  });

  it('each asset hash and each piece hash equal SHA-256 computed independently', () => {
    for (const [path, data] of site.files) {
      if (isHtmlPath(path)) continue;
      const asset = result.manifest.assets[path];
      assert.ok(asset, path);
      assert.equal(asset.size, data.length, path);
      assert.equal(asset.hash, sha256(data), path);
      const expectedPieces: string[] = [];
      for (let off = 0; off < data.length; off += PIECE_SIZE) expectedPieces.push(sha256(data.subarray(off, off + PIECE_SIZE)));
      assert.deepEqual(asset.pieces, expectedPieces, path);
    }
  });

  it('piece counts: empty file 0, exact multiple, large file with a partial last piece', () => {
    assert.equal(result.manifest.assets['empty.txt']?.pieces.length, 0);
    assert.equal(result.manifest.assets['empty.txt']?.size, 0);
    assert.equal(result.manifest.assets['exact.bin']?.pieces.length, 2);
    const big = result.manifest.assets['media/big.bin'];
    assert.ok(big);
    assert.equal(big.pieces.length, Math.ceil(BIG_SIZE / PIECE_SIZE));
    assert.ok(BIG_SIZE % PIECE_SIZE !== 0 && big.pieces.length > 50);
    const bigData = site.files.get('media/big.bin')!;
    assert.equal(big.pieces.at(-1), sha256(bigData.subarray((big.pieces.length - 1) * PIECE_SIZE)));
  });

  it('content types', () => {
    const a = result.manifest.assets;
    assert.match(a['css/style.css']?.type ?? '', /^text\/css/);
    assert.match(a['js/app.js']?.type ?? '', /javascript/);
    assert.equal(a['img/café terrace.jpg']?.type, 'image/jpeg');
    assert.equal(a['img/logo.png']?.type, 'image/png');
    for (const asset of Object.values(a)) assert.ok(asset.type.length > 0);
  });

  it('writes the worker and bridge, non-empty; the worker inlines every manifest hash', async () => {
    const worker = await readFile(join(out, WORKER_FILE), 'utf8');
    const bridge = await readFile(join(out, BRIDGE_FILE), 'utf8');
    assert.ok(worker.length > 100 && bridge.length > 100);
    for (const [path, asset] of Object.entries(result.manifest.assets)) {
      assert.ok(worker.includes(asset.hash), `worker has hash of ${path}`);
      for (const p of asset.pieces) assert.ok(worker.includes(p), `worker has piece hashes of ${path}`);
    }
    assert.ok(worker.includes(result.manifest.builtAt));
  });

  it('the build id is the first 20 hex chars of SHA-256 over {version, pieceSize, assets}, baked into worker and bridge', async () => {
    const { version, pieceSize, assets } = result.manifest;
    assert.equal(result.manifest.build, sha256(Buffer.from(JSON.stringify({ version, pieceSize, assets }))).slice(0, 20));
    assert.ok(Object.keys(assets).every((k, i, keys) => i === 0 || keys[i - 1]! < k), 'assets in sorted order');
    assert.ok((await readFile(join(out, WORKER_FILE), 'utf8')).includes(result.manifest.build));
    const bridge = await readFile(join(out, BRIDGE_FILE), 'utf8');
    assert.ok(bridge.includes(`"${result.manifest.build}"`), 'bridge config carries the build id');
  });

  it('copies every non-HTML file byte for byte, hidden ones too, but not version control', async () => {
    for (const [path, data] of site.files) {
      if (isHtmlPath(path)) continue;
      const copied = await readFile(join(out, path));
      assert.ok(copied.equals(data), `${path} copied exactly`);
    }
    assert.equal(await readFile(join(out, '.DS_Store'), 'utf8'), 'junk');
    await assert.rejects(readFile(join(out, '.git', 'config')));
  });

  it('every page gets exactly one bridge script with the right relative src, and nothing else changes', async () => {
    for (const page of result.htmlPages) {
      const source = site.files.get(page)!;
      const output = await readFile(join(out, page));
      const src = bridgeSrcFor(page, result.manifest.build);
      assert.equal(bridgeScriptCount(output.toString('latin1')), 1, page);
      const { bytes } = stripInserted(output, src);
      assert.ok(bytes.equals(source), `${page}: only the script and wrappers were inserted`);
    }
    const v = result.manifest.build;
    assert.equal(bridgeSrcFor('blog/post.html', v), `../peer-connect.js?v=${v}`);
    const post = await readFile(join(out, 'blog/post.html'), 'utf8');
    assert.ok(post.includes(`<script src="../peer-connect.js?v=${v}" async></script>`));
    const deep = await readFile(join(out, 'blog/2024/deep.HTM'), 'utf8');
    assert.ok(deep.includes(`<script src="../../peer-connect.js?v=${v}" async></script>`));
  });

  it('the script goes inside <head> (before </head> when there is one)', async () => {
    const index = await readFile(join(out, 'index.html'), 'utf8');
    const tag = scriptTag(bridgeSrcFor('index.html', result.manifest.build));
    assert.ok(index.includes(`${tag}</head>`));
    const latin1 = (await readFile(join(out, 'latin1.html'))).toString('latin1');
    assert.ok(latin1.includes(`${tag}</head>`));
  });

  it('the windows-1252 page keeps its non-UTF-8 bytes', async () => {
    const output = await readFile(join(out, 'latin1.html'));
    for (const b of [0xe9, 0xef, 0x80, 0x93, 0x94, 0xa9]) assert.ok(output.includes(b), `byte ${b.toString(16)}`);
    assert.ok(!output.includes(Buffer.from([0xef, 0xbf, 0xbd])), 'no U+FFFD replacement characters');
    const { bytes, wrapped } = stripInserted(output, bridgeSrcFor('latin1.html', result.manifest.build));
    assert.ok(bytes.equals(LATIN1_HTML));
    assert.deepEqual(wrapped, ['<img src="img/logo.png" alt="x">']);
  });

  it('wraps exactly the elements that reference manifest assets (swap)', async () => {
    const src = (page: string): string => bridgeSrcFor(page, result.manifest.build);
    const { wrapped } = stripInserted(await readFile(join(out, 'index.html')), src('index.html'));
    assert.deepEqual(wrapped, [
      '<img src="img/caf%C3%A9%20terrace.jpg" alt="café">',
      '<picture><source srcset="img/logo.webp" type="image/webp"><img src="img/logo.png" alt="logo"></picture>',
      '<img srcset="img/logo.png 1x, img/logo@2x.png 2x" alt="srcset only">',
      '<video controls poster="img/logo.png"><source src="media/big.bin" type="video/mp4"></video>',
    ]);
    const post = stripInserted(await readFile(join(out, 'blog/post.html')), src('blog/post.html'));
    assert.deepEqual(post.wrapped, ['<img src="../img/logo.png" alt="rel">', '<img src="/img/café terrace.jpg" alt="abs">']);
    // deep.HTM has no <body> tag and its image follows <title>: a <noscript> there would be parsed
    // into <head>, and the image swapped into an unrendered <head>. So it is left as written.
    const deep = stripInserted(await readFile(join(out, 'blog/2024/deep.HTM')), src('blog/2024/deep.HTM'));
    assert.deepEqual(deep.wrapped, []);
    assert.equal(result.swapped, 4 + 2 + 1);
  });

  it('does not wrap external URLs, non-assets, query URLs, or images already in a <noscript>', async () => {
    const index = await readFile(join(out, 'index.html'), 'utf8');
    for (const el of [
      '<img src="https://cdn.example.com/img/logo.png" alt="external">',
      '<img src="img/not-there.png" alt="missing">',
      '<img src="img/logo.png?v=2" alt="query">',
    ]) {
      assert.ok(index.includes(el), el);
      assert.ok(!index.includes(WRAP_OPEN + el), `${el} must not be wrapped`);
    }
    assert.ok(index.includes('<noscript><img src="img/logo.png" alt="already"></noscript>'));
    assert.ok(!index.includes(`${WRAP_OPEN}<img src="img/logo.png" alt="logo">`), 'an <img> inside a wrapped <picture> is not wrapped again');
  });

  it("firstVisit 'off': no wrappers, the script only", async () => {
    const offOut = join(root, 'out-off');
    const off = await buildSite({ siteDir: site.dir, outDir: offOut, firstVisit: 'off' });
    assert.equal(off.swapped, 0);
    for (const page of off.htmlPages) {
      const output = await readFile(join(offOut, page));
      assert.ok(!output.includes('data-peer-connect'), page);
      const { bytes, wrapped } = stripInserted(output, bridgeSrcFor(page, off.manifest.build));
      assert.equal(wrapped.length, 0);
      assert.ok(bytes.equals(site.files.get(page)!), page);
    }
  });

  it('two builds give identical manifests apart from builtAt', async () => {
    const again = await buildSite({ siteDir: site.dir, outDir: join(root, 'out-again') });
    assert.deepEqual({ ...again.manifest, builtAt: '' }, { ...result.manifest, builtAt: '' });
    assert.equal(JSON.stringify({ ...again.manifest, builtAt: '' }), JSON.stringify({ ...result.manifest, builtAt: '' }), 'same key order');
    assert.equal(again.manifest.build, result.manifest.build, 'an identical rebuild has the same build id');
    for (const page of again.htmlPages) {
      const a = await readFile(join(root, 'out-again', page));
      const b = await readFile(join(out, page));
      assert.ok(a.equals(b), `${page} identical across builds`);
    }
  });

  it('rebuilding from an earlier output gives the same pages: the bridge tag is re-versioned in place, not added twice', async () => {
    const again = join(root, 'out-from-out');
    const rebuilt = await buildSite({ siteDir: out, outDir: again });
    assert.equal(rebuilt.manifest.build, result.manifest.build);
    for (const page of rebuilt.htmlPages) {
      assert.ok((await readFile(join(again, page))).equals(await readFile(join(out, page))), `${page} unchanged by a rebuild`);
    }
  });

  it('a page that already names the bridge gets its src versioned in place', async () => {
    const owned = join(root, 'site-owned');
    await mkdir(owned, { recursive: true });
    const page = `<!doctype html><head><script async src='/peer-connect.js?v=0000000000000000'></script><title>t</title></head>`;
    await writeFile(join(owned, 'index.html'), page);
    await writeFile(join(owned, 'a.txt'), 'a');
    const built = await buildSite({ siteDir: owned, outDir: join(root, 'out-owned') });
    const html = await readFile(join(root, 'out-owned', 'index.html'), 'utf8');
    assert.equal(html, page.replace('/peer-connect.js?v=0000000000000000', `peer-connect.js?v=${built.manifest.build}`));
  });

  it('a changed file, or another piece size, gives another build id', async () => {
    const changed = join(root, 'site-changed');
    await cp(site.dir, changed, { recursive: true });
    await writeFile(join(changed, 'js', 'app.js'), 'console.log("app 2");\n');
    const other = await buildSite({ siteDir: changed, outDir: join(root, 'out-changed') });
    assert.notEqual(other.manifest.build, result.manifest.build);
    const bigger = await buildSite({ siteDir: site.dir, outDir: join(root, 'out-bigger'), pieceSize: PIECE_SIZE * 2 });
    assert.notEqual(bigger.manifest.build, result.manifest.build);
  });

  it('refuses an output folder that is the site or contains it', async () => {
    await assert.rejects(buildSite({ siteDir: site.dir, outDir: site.dir }), /--out .* is the site folder itself/);
    await assert.rejects(buildSite({ siteDir: site.dir, outDir: root }), /--out .* contains the site folder/);
    // The site is untouched by the refused builds.
    assert.ok((await readFile(join(site.dir, 'index.html'))).equals(site.files.get('index.html')!));
  });
});

/** A site in a temp folder, written before a suite's tests and removed after (see `tempSite`). */
interface TempSite {
  root: string;
  siteDir: string;
}

/** Inside a describe: writes `files` (then runs `extra`) to `<temp>/site` before the tests; removes the temp folder after. */
function tempSite(files: Iterable<[string, string | Buffer]>, extra?: (siteDir: string) => Promise<void>): TempSite {
  const site: TempSite = { root: '', siteDir: '' };
  before(async () => {
    site.root = await mkdtemp(join(tmpdir(), 'pc-build-'));
    site.siteDir = join(site.root, 'site');
    await writeFiles(site.siteDir, files);
    await extra?.(site.siteDir);
  });
  after(async () => {
    if (site.root) await rm(site.root, { recursive: true, force: true });
  });
  return site;
}

/** `tempSite`, built with default options into `out` once before the tests. */
function builtSite(files: Iterable<[string, string | Buffer]>, extra?: (siteDir: string) => Promise<void>): TempSite & { out: string; result: () => BuildResult } {
  let result: BuildResult | null = null;
  const site = Object.assign(tempSite(files, extra), { out: '', result: (): BuildResult => result ?? assert.fail('the site was not built') });
  before(async () => {
    site.out = join(site.root, 'out');
    result = await buildSite({ siteDir: site.siteDir, outDir: site.out });
  });
  return site;
}

describe('buildSite: hidden files and host configuration', { timeout: 120_000 }, () => {
  const hostFiles: Record<string, string> = {
    '.htaccess': 'Options -Indexes\n',
    '.nojekyll': '',
    'members/.htaccess': 'AuthType Basic\nAuthUserFile /srv/.htpasswd\nRequire valid-user\n',
    'members/.htpasswd': 'alice:$apr1$x$y\n',
    '.well-known/security.txt': 'Contact: mailto:security@example.com\n',
    '.well-known/.hidden': 'x',
    'img/.thumbs/a.png': 'thumb',
    'img/a.png': 'png',
    '_headers': '/*\n  X-Frame-Options: DENY\n',
    '_redirects': '/old /new 301\n',
    'docs/_headers': 'just a file named so',
  };
  const vcs = ['.git/HEAD', '.hg/store/data', '.svn/entries', 'sub/.git', 'sub/.hg/x'];
  const site = builtSite([...Object.entries(hostFiles), ...vcs.map((p): [string, string] => [p, 'vcs']), ['index.html', '<title>t</title>']], (dir) =>
    symlink(join(dir, 'img', 'a.png'), join(dir, 'img', 'link.png')),
  );

  it('copies every hidden file and host config file (an Apache folder keeps its protection, GitHub Pages its .nojekyll)', async () => {
    for (const [path, text] of Object.entries(hostFiles)) assert.equal(await readFile(join(site.out, path), 'utf8'), text, path);
  });

  it('does not copy version control folders, or symlinks', () => {
    for (const path of [...vcs, 'img/link.png']) assert.equal(existsSync(join(site.out, path)), false, path);
  });

  it('keeps hidden files (except under .well-known/) and the root _headers/_redirects out of the manifest', () => {
    assert.deepEqual(Object.keys(site.result().manifest.assets), ['.well-known/security.txt', 'docs/_headers', 'img/a.png']);
  });
});

describe('buildSite: what the host protects stays out of the manifest', { timeout: 120_000 }, () => {
  const files: Record<string, string> = {
    'index.html': '<!doctype html><title>t</title><img src="members/photo.jpg">',
    'members/.htaccess': 'AuthType Basic\nAuthName "Members"\nAuthUserFile /srv/.htpasswd\nRequire valid-user\n',
    'members/photo.jpg': 'photo',
    'members/minutes/2024.pdf': 'minutes',
    'staff/.htpasswd': 'bob:$apr1$x$y\n',
    'staff/roster.csv': 'names',
    'open/.htaccess': 'Require all granted\n',
    'open/a.png': 'open',
    '_headers': '/private/*\n  Basic-Auth: alice:secret\n/*\n  X-Frame-Options: DENY\n',
    'private/plan.pdf': 'plan',
    'public.css': 'body{}',
  };
  const site = builtSite(Object.entries(files));

  it('only the unprotected files are assets', () => {
    assert.deepEqual(Object.keys(site.result().manifest.assets), ['open/a.png', 'public.css']);
  });

  it('lists each excluded file with the protection that kept it out, and every rule found', () => {
    const htaccess = { kind: 'htaccess', file: 'members/.htaccess', directive: 'AuthType Basic', section: null };
    const headers = { kind: 'headers', file: '_headers', pattern: '/private/*' };
    const htpasswd = { kind: 'htpasswd', file: 'staff/.htpasswd' };
    const result = site.result();
    assert.deepEqual(result.excluded, [
      { path: 'members/minutes/2024.pdf', reason: htaccess },
      { path: 'members/photo.jpg', reason: htaccess },
      { path: 'private/plan.pdf', reason: headers },
      { path: 'staff/roster.csv', reason: htpasswd },
    ]);
    assert.deepEqual(result.exclusionRules, [htaccess, htpasswd, headers]);
  });

  it('the protected files and the host configuration are still copied, and no protected name reaches the worker', async () => {
    for (const [path, text] of Object.entries(files)) {
      if (path !== 'index.html') assert.equal(await readFile(join(site.out, path), 'utf8'), text, path);
    }
    const worker = await readFile(join(site.out, WORKER_FILE), 'utf8');
    for (const name of ['members/', 'minutes', 'roster', 'plan.pdf']) assert.ok(!worker.includes(name), name);
  });
});

describe('buildSite: --exclude', { timeout: 120_000 }, () => {
  const site = tempSite(
    Object.entries({
      'index.html': '<!doctype html><title>t</title><img src="members/photo.jpg"><img src="img/public.png">',
      'members/photo.jpg': randomBytes(500),
      'members/talk.mp4': randomBytes(2000),
      'members/notes/secret-plans.pdf': randomBytes(100),
      'img/public.png': randomBytes(300),
      'drafts.txt': 'unfinished',
    }),
  );

  it('keeps matched files out of the manifest, the torrents, the first-visit markup and the worker, but copies them', async () => {
    const out = join(site.root, 'out');
    const r = await buildSite({ siteDir: site.siteDir, outDir: out, exclude: ['members/**', 'drafts.txt'] });
    assert.deepEqual(Object.keys(r.manifest.assets), ['img/public.png']);
    assert.deepEqual(r.torrents, []);
    assert.equal(existsSync(join(out, 'peer-connect-torrents')), false);
    assert.deepEqual(r.excluded, [
      { path: 'drafts.txt', reason: { kind: 'option', pattern: 'drafts.txt' } },
      { path: 'members/notes/secret-plans.pdf', reason: { kind: 'option', pattern: 'members/**' } },
      { path: 'members/photo.jpg', reason: { kind: 'option', pattern: 'members/**' } },
      { path: 'members/talk.mp4', reason: { kind: 'option', pattern: 'members/**' } },
    ]);
    for (const path of ['members/photo.jpg', 'members/talk.mp4', 'members/notes/secret-plans.pdf', 'drafts.txt']) {
      assert.ok((await readFile(join(out, path))).equals(await readFile(join(site.siteDir, path))), `${path} copied`);
    }
    const worker = await readFile(join(out, WORKER_FILE), 'utf8');
    assert.ok(!worker.includes('secret-plans') && !worker.includes('members/'), 'no excluded name in the public worker');
    const page = await readFile(join(out, 'index.html'), 'utf8');
    assert.ok(page.includes('<img src="members/photo.jpg">') && !page.includes('<noscript data-peer-connect><img src="members/photo.jpg">'));
    assert.ok(page.includes('<noscript data-peer-connect><img src="img/public.png"></noscript>'));
  });

  it('without --exclude the same files are assets (the control)', async () => {
    const r = await buildSite({ siteDir: site.siteDir, outDir: join(site.root, 'out-all') });
    assert.ok('members/notes/secret-plans.pdf' in r.manifest.assets);
    assert.deepEqual(r.excluded, []);
  });
});

describe('buildSite: the output folder', { timeout: 120_000 }, () => {
  const site = tempSite([
    ['index.html', '<!doctype html><title>t</title><img src="img/a.png">'],
    ['img/a.png', randomBytes(100)],
  ]);

  it('refuses a non-empty folder that no build wrote, and leaves its files alone', async () => {
    const mine = join(site.root, 'documents');
    await mkdir(join(mine, 'taxes'), { recursive: true });
    await writeFile(join(mine, 'taxes', '2024.pdf'), 'precious');
    await assert.rejects(buildSite({ siteDir: site.siteDir, outDir: mine }), /has no \.peer-connect-build.*empty this one yourself/);
    assert.equal(await readFile(join(mine, 'taxes', '2024.pdf'), 'utf8'), 'precious');
  });

  it('writes a marker with the build id, which is never an asset and never copied from the site', async () => {
    await writeFile(join(site.siteDir, BUILD_MARKER_FILE), buildMarkerText('f'.repeat(20)));
    try {
      const out = join(site.root, 'out-marker');
      const r = await buildSite({ siteDir: site.siteDir, outDir: out });
      assert.deepEqual(JSON.parse(await readFile(join(out, BUILD_MARKER_FILE), 'utf8')), { tool: 'peer-connect', build: r.manifest.build });
      assert.ok(!(BUILD_MARKER_FILE in r.manifest.assets));
    } finally {
      await rm(join(site.siteDir, BUILD_MARKER_FILE));
    }
  });

  it('builds again into its own earlier output, removing what is no longer in the site', async () => {
    const out = join(site.root, 'out-again');
    await buildSite({ siteDir: site.siteDir, outDir: out });
    await writeFile(join(out, 'stale.txt'), 'left over');
    await buildSite({ siteDir: site.siteDir, outDir: out });
    await assert.rejects(readFile(join(out, 'stale.txt')));
    assert.ok(existsSync(join(out, 'img', 'a.png')));
  });

  it('accepts an empty folder, and a folder inside the site (whose files stay out of the site)', async () => {
    const empty = join(site.root, 'empty');
    await mkdir(empty);
    assert.ok((await buildSite({ siteDir: site.siteDir, outDir: empty })).manifest.assets['img/a.png']);
    const inside = join(site.siteDir, 'dist');
    await buildSite({ siteDir: site.siteDir, outDir: inside });
    const again = await buildSite({ siteDir: site.siteDir, outDir: inside });
    assert.deepEqual(Object.keys(again.manifest.assets), ['img/a.png']);
    await rm(inside, { recursive: true });
  });

  it('refuses a symlink to the site or to a folder that contains it', async () => {
    await symlink(site.siteDir, join(site.root, 'to-site'));
    await symlink(site.root, join(site.root, 'to-root'));
    await assert.rejects(buildSite({ siteDir: site.siteDir, outDir: join(site.root, 'to-site') }), /is the site folder itself/);
    await assert.rejects(buildSite({ siteDir: site.siteDir, outDir: join(site.root, 'to-root') }), /contains the site folder/);
    assert.ok(existsSync(join(site.siteDir, 'index.html')));
  });
});

// ---------------------------------------------------------------- rewriteHtml directly

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

describe('rewriteHtml', { timeout: 30_000 }, () => {
  const VERSIONED = 'peer-connect.js?v=0123456789abcdef0123';
  const assets = new Set(['img/a.png', 'img/b.png', 'img/café terrace.jpg', 'v.mp4']);
  const options = (over: Partial<RewriteOptions> = {}): RewriteOptions => ({
    pagePath: 'index.html',
    bridgeSrc: 'peer-connect.js',
    isAsset: (p) => assets.has(p),
    firstVisit: 'swap',
    ...over,
  });
  const rewrite = (html: string, over: Partial<RewriteOptions> = {}): { html: string; swapped: number; scriptAdded: boolean; scriptsUpdated: number } => {
    const r = rewriteHtml(Buffer.from(html, 'utf8'), options(over));
    return { html: r.html.toString('utf8'), swapped: r.swapped, scriptAdded: r.scriptAdded, scriptsUpdated: r.scriptsUpdated };
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
    assert.equal(r.html.subarray(3).toString('utf8'), page.replace('</head>', `${scriptTag('peer-connect.js')}</head>`));
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
    for (const other of ['my-peer-connect.js', 'peer-connect.js.map', 'peer-connect.json', 'x.js?peer-connect.js', 'x.js#/peer-connect.js']) {
      const input = `<head><script src="${other}"></script></head>`;
      const r = rewrite(input, { bridgeSrc: VERSIONED });
      assert.equal(r.html, input.replace('</head>', `${scriptTag(VERSIONED)}</head>`), other);
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
    const src = '<img src="https://other.example/img/a.png"><img src="//other.example/img/a.png"><img src="img/zzz.png"><img src="data:image/png;base64,AAAA"><img src="img/a.png?x=1"><img>';
    const r = rewrite(src);
    assert.equal(r.swapped, 0);
    assert.equal(r.html, scriptTag('peer-connect.js') + src);
  });

  it('resolves relative URLs against the page path', () => {
    const r = rewrite('<body><img src="../img/a.png"><img src="img/a.png">', { pagePath: 'blog/post.html', bridgeSrc: '../peer-connect.js' });
    // ../img/a.png from blog/ is img/a.png (an asset); img/a.png from blog/ is blog/img/a.png (not one).
    assert.equal(r.swapped, 1);
    assert.ok(r.html.includes(`${WRAP_OPEN}<img src="../img/a.png">${WRAP_CLOSE}<img src="img/a.png">`));
    assert.ok(r.html.startsWith('<script src="../peer-connect.js" async></script>'));
  });

  it("firstVisit 'off' and 'reload' wrap nothing", () => {
    for (const mode of ['off', 'reload'] as const) {
      const src = '<img src="img/a.png"><picture><img src="img/b.png"></picture>';
      const r = rewrite(src, { firstVisit: mode });
      assert.equal(r.swapped, 0);
      assert.equal(r.html, scriptTag('peer-connect.js') + src);
    }
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
    assert.ok(r.html.includes('<video src="v.mp4"><img src="img/b.png"><script>x()</script></video>'), 'nothing inside a skipped element is wrapped');
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
});
