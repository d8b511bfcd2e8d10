/**
 * The build on a real (temporary) site folder: the manifest's hashes are checked against hashes
 * computed here independently, every non-HTML file is copied byte for byte, and every HTML page
 * differs from its source only by the inserted script tag and the first-visit wrappers.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { cp, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type BuildResult, buildSite } from '../../build.ts';
import { ASSET_TABLE_DIR, encodeAssetKeys } from '../../protocol/asset-table.ts';
import { BRIDGE_FILE, WORKER_FILE } from '../../protocol/bridge-config.ts';
import { ASSET_TABLE_INLINE_MAX_BYTES, PIECE_SIZE } from '../../protocol/limits.ts';
import { type Manifest, validateManifest } from '../../protocol/manifest.ts';
import { PIECE_LIST_DIR } from '../../protocol/piece-list.ts';
import { scriptTag, WRAP_CLOSE, WRAP_OPEN, withoutPageScript, writeFiles } from './build-helpers.ts';

const sha256 = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');

/**
 * Removes the one inserted script tag and every first-visit wrapper (keeping what it wraps).
 * Works on latin1 text so any byte sequence survives unchanged.
 */
function stripInserted(output: Buffer, bridgeSrc: string): { bytes: Buffer; wrapped: string[] } {
  let s = withoutPageScript(output.toString('latin1'));
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
    result = await buildSite({ siteDir: site.dir, outDir: out, firstVisit: 'swap' });
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

  /** An asset's piece hashes: from its list file (named by, and hashing to, its root), or its file hash for one piece. */
  const pieceHashes = async (path: string): Promise<string[]> => {
    const asset = result.manifest.assets[path]!;
    if (asset.size <= PIECE_SIZE) {
      assert.equal(asset.piecesRoot, undefined, `${path}: one piece or none, no list`);
      return asset.size === 0 ? [] : [asset.hash];
    }
    assert.ok(asset.piecesRoot, `${path}: a list root`);
    const list = await readFile(join(out, PIECE_LIST_DIR, `${asset.piecesRoot}.bin`));
    assert.equal(sha256(list), asset.piecesRoot, `${path}: the list hashes to its root`);
    assert.equal(list.length % 32, 0);
    return Array.from({ length: list.length / 32 }, (_, i) => list.subarray(i * 32, i * 32 + 32).toString('hex'));
  };

  it('each asset hash and each piece hash equal SHA-256 computed independently', async () => {
    for (const [path, data] of site.files) {
      if (isHtmlPath(path)) continue;
      const asset = result.manifest.assets[path];
      assert.ok(asset, path);
      assert.equal(asset.size, data.length, path);
      assert.equal(asset.hash, sha256(data), path);
      const expectedPieces: string[] = [];
      for (let off = 0; off < data.length; off += PIECE_SIZE) expectedPieces.push(sha256(data.subarray(off, off + PIECE_SIZE)));
      assert.deepEqual(await pieceHashes(path), expectedPieces, path);
    }
  });

  it('piece counts: empty file 0, exact multiple, large file with a partial last piece', async () => {
    assert.equal((await pieceHashes('empty.txt')).length, 0);
    assert.equal(result.manifest.assets['empty.txt']?.size, 0);
    assert.equal((await pieceHashes('exact.bin')).length, 2);
    const big = await pieceHashes('media/big.bin');
    assert.equal(big.length, Math.ceil(BIG_SIZE / PIECE_SIZE));
    assert.ok(BIG_SIZE % PIECE_SIZE !== 0 && big.length > 50);
    const bigData = site.files.get('media/big.bin')!;
    assert.equal(big.at(-1), sha256(bigData.subarray((big.length - 1) * PIECE_SIZE)));
  });

  it('piece lists are their own files, not assets, and not in the worker', async () => {
    const lists = await readdir(join(out, PIECE_LIST_DIR));
    const roots = new Set(Object.values(result.manifest.assets).flatMap((a) => (a.piecesRoot ? [a.piecesRoot] : [])));
    assert.deepEqual(lists.sort(), [...roots].map((r) => `${r}.bin`).sort());
    assert.ok(!Object.keys(result.manifest.assets).some((k) => k.startsWith(`${PIECE_LIST_DIR}/`)));
    const worker = await readFile(join(out, WORKER_FILE), 'utf8');
    const big = await pieceHashes('media/big.bin');
    assert.ok(!big.some((h) => worker.includes(h)), 'no piece hash of a multi-piece asset is inlined');
  });

  it('content types', () => {
    const a = result.manifest.assets;
    assert.match(a['css/style.css']?.type ?? '', /^text\/css/);
    assert.match(a['js/app.js']?.type ?? '', /javascript/);
    assert.equal(a['img/café terrace.jpg']?.type, 'image/jpeg');
    assert.equal(a['img/logo.png']?.type, 'image/png');
    for (const asset of Object.values(a)) assert.ok(asset.type.length > 0);
  });

  it('writes the worker and bridge, non-empty; the worker inlines the asset table root, the key set and (a small table) the table itself', async () => {
    const worker = await readFile(join(out, WORKER_FILE), 'utf8');
    const bridge = await readFile(join(out, BRIDGE_FILE), 'utf8');
    assert.ok(worker.length > 100 && bridge.length > 100);
    const { root, path } = result.assetTable;
    assert.equal(path, `${ASSET_TABLE_DIR}/${root}.json`);
    const table = await readFile(join(out, path));
    assert.equal(sha256(table), root, 'the table is named by its SHA-256');
    assert.deepEqual(JSON.parse(table.toString('utf8')), result.manifest.assets, "the table is the manifest's assets");
    assert.ok(worker.includes(root), 'the worker pins the table by its root');
    assert.ok(worker.includes(encodeAssetKeys(Object.keys(result.manifest.assets))), 'the worker inlines the key set');
    // This site's table is under ASSET_TABLE_INLINE_MAX_BYTES: inlined as the file's own text, so
    // the worker installs without fetching it (a large site's is not: tests/unit/asset-table.test.ts).
    assert.ok(table.byteLength <= ASSET_TABLE_INLINE_MAX_BYTES);
    for (const [path, asset] of Object.entries(result.manifest.assets)) {
      assert.ok(worker.includes(asset.hash), `the inlined table has ${path}'s hash`);
      if (asset.piecesRoot) assert.ok(worker.includes(asset.piecesRoot), `the inlined table has ${path}'s list root`);
    }
    assert.ok(worker.includes(result.manifest.builtAt));
  });

  it('the asset table is its own file (the only one in its folder), not an asset', async () => {
    assert.ok(!Object.keys(result.manifest.assets).some((k) => k.startsWith(`${ASSET_TABLE_DIR}/`)));
    assert.deepEqual(await readdir(join(out, ASSET_TABLE_DIR)), [`${result.assetTable.root}.json`]);
  });

  it('the build id is the first 20 hex chars of SHA-256 over {version, pieceSize, assets}, baked into worker and bridge', async () => {
    const { version, pieceSize, assets } = result.manifest;
    assert.equal(result.manifest.build, sha256(Buffer.from(JSON.stringify({ version, pieceSize, assets }))).slice(0, 20));
    assert.ok(
      Object.keys(assets).every((k, i, keys) => i === 0 || keys[i - 1]! < k),
      'assets in sorted order',
    );
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
    assert.ok(post.includes(`<script src="../peer-connect.js?v=${v}" async fetchpriority="high"></script>`));
    const deep = await readFile(join(out, 'blog/2024/deep.HTM'), 'utf8');
    assert.ok(deep.includes(`<script src="../../peer-connect.js?v=${v}" async fetchpriority="high"></script>`));
  });

  it('the bridge tag goes right after the page script, before the first element of <head> that fetches (else before </head>)', async () => {
    const index = await readFile(join(out, 'index.html'), 'utf8');
    const tag = scriptTag(bridgeSrcFor('index.html', result.manifest.build));
    // Before the stylesheet and the site's script: a bridge behind a parser-blocking script runs
    // only after the stylesheets the worker holds for it (first paint +1 s before the fix).
    assert.match(index, new RegExp(`</script>${escapeRe(tag)}<link rel="stylesheet" href="css/style.css">`));
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
    assert.ok(
      !index.includes(`${WRAP_OPEN}<img src="img/logo.png" alt="logo">`),
      'an <img> inside a wrapped <picture> is not wrapped again',
    );
  });

  it("firstVisit 'off': no wrappers, the script only", async () => {
    const offOut = join(root, 'out-off');
    const off = await buildSite({ siteDir: site.dir, outDir: offOut, firstVisit: 'off' });
    assert.equal(off.swapped, 0);
    for (const page of off.htmlPages) {
      const output = await readFile(join(offOut, page));
      assert.ok(!output.includes(WRAP_OPEN), page);
      const { bytes, wrapped } = stripInserted(output, bridgeSrcFor(page, off.manifest.build));
      assert.equal(wrapped.length, 0);
      assert.ok(bytes.equals(site.files.get(page)!), page);
    }
  });

  it('two builds give identical manifests apart from builtAt', async () => {
    const again = await buildSite({ siteDir: site.dir, outDir: join(root, 'out-again'), firstVisit: 'swap' });
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
    const rebuilt = await buildSite({ siteDir: out, outDir: again, firstVisit: 'swap' });
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
    assert.equal(withoutPageScript(html), page.replace('/peer-connect.js?v=0000000000000000', `peer-connect.js?v=${built.manifest.build}`));
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

const escapeRe = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
