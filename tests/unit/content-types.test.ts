/**
 * The one Content-Type table (protocol/content-types.ts): what it answers, and that the three
 * places a visitor gets a file's type from agree on a real built site: the manifest (the worker
 * answers with it), `peer-connect serve`, and the test origin the e2e tests compare with.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CONTENT_TYPE_OVERRIDES, contentTypeFor, DEFAULT_CONTENT_TYPE, extensionOf } from '../../protocol/content-types.ts';
import { urlPathFor } from '../../protocol/manifest.ts';
import { type RunningSiteServer, startSiteServer } from '../../signal-worker/adapter/node/index.ts';
import { serveAsset } from '../../sw/serve-asset.ts';
import { type OriginServer, startOriginServer } from '../e2e/harness/origin-server.ts';
import { builtSite } from './build-helpers.ts';
import { deps, FakeOrigin, MemStore, makeAsset, PIECE, T, URL_ } from './support/sw-fakes.ts';

/**
 * The types a static site ships and what a browser must be sent for each: the extensions issue
 * #10 found the build and `serve` disagreeing on first, then the media types that decide which
 * files get a torrent, then the everyday ones.
 */
const EXPECTED: ReadonlyArray<[ext: string, type: string]> = [
  ['vtt', 'text/vtt; charset=utf-8'],
  ['md', 'text/markdown; charset=utf-8'],
  ['jxl', 'image/jxl'],
  ['apng', 'image/apng'],
  ['mp4', 'video/mp4'],
  ['webm', 'video/webm'],
  ['mov', 'video/quicktime'],
  ['mkv', 'video/x-matroska'],
  ['mp3', 'audio/mpeg'],
  ['m4a', 'audio/mp4'],
  ['ogg', 'audio/ogg'],
  ['wav', 'audio/wav'],
  ['flac', 'audio/flac'],
  ['css', 'text/css; charset=utf-8'],
  ['js', 'text/javascript; charset=utf-8'],
  ['mjs', 'text/javascript; charset=utf-8'],
  ['txt', 'text/plain; charset=utf-8'],
  ['csv', 'text/csv; charset=utf-8'],
  ['json', 'application/json'],
  ['svg', 'image/svg+xml'],
  ['png', 'image/png'],
  ['jpg', 'image/jpeg'],
  ['gif', 'image/gif'],
  ['webp', 'image/webp'],
  ['avif', 'image/avif'],
  ['woff2', 'font/woff2'],
  ['wasm', 'application/wasm'],
  ['pdf', 'application/pdf'],
  ['torrent', 'application/x-bittorrent'],
];

describe('contentTypeFor', () => {
  it('answers every override, text ones with charset=utf-8', () => {
    for (const [ext, type] of Object.entries(CONTENT_TYPE_OVERRIDES)) {
      const expected = type.startsWith('text/') ? `${type}; charset=utf-8` : type;
      assert.equal(contentTypeFor(`media/file.${ext}`), expected, ext);
    }
  });

  it('answers every extension a static site ships with the type browsers expect', () => {
    for (const [ext, type] of EXPECTED) assert.equal(contentTypeFor(`a/b.${ext}`), type, ext);
  });

  it("reads only the last segment's extension, in any case, with either slash", () => {
    assert.equal(contentTypeFor('subs/EN.VTT'), 'text/vtt; charset=utf-8');
    assert.equal(contentTypeFor('C:\\site\\docs\\notes.md'), 'text/markdown; charset=utf-8');
    assert.equal(contentTypeFor('archive.tar.gz'), 'application/gzip');
    assert.equal(extensionOf('v1.2/readme'), null, 'a dot in a folder name is no extension');
  });

  it('a file without a known extension is application/octet-stream', () => {
    for (const path of ['LICENSE', 'dir/Makefile', '.htaccess', 'a/.env', 'trailing.', 'x.unknownext', 'x.constructor', 'x.__proto__']) {
      assert.equal(contentTypeFor(path), DEFAULT_CONTENT_TYPE, path);
    }
  });
});

describe('build, serve and the test origin send one type', () => {
  const files: Array<[string, string]> = [
    ['index.html', '<!doctype html><title>types</title>'],
    ['LICENSE', 'no extension'],
    ...EXPECTED.map(([ext]): [string, string] => [`files/sample.${ext}`, `a .${ext} file`]),
  ];
  const site = builtSite(files);
  let serve: RunningSiteServer;
  let origin: OriginServer;
  before(async () => {
    serve = await startSiteServer({ root: site.out });
    origin = await startOriginServer({ root: site.out });
  });
  after(async () => {
    await serve.close();
    await origin.close();
  });

  it("the manifest's type of every asset is what `serve` and the test origin send", T, async () => {
    const assets = Object.entries(site.result().manifest.assets);
    assert.equal(assets.length, files.length - 1, 'every file but the page is an asset');
    for (const [path, asset] of assets) {
      assert.equal(asset.type, contentTypeFor(path), path);
      for (const base of [serve.url, origin.url]) {
        const response = await fetch(new URL(urlPathFor(path), base));
        await response.arrayBuffer();
        assert.equal(response.headers.get('content-type'), asset.type, `${path} from ${base}`);
      }
    }
  });

  it('the worker answers a .vtt track and a .md file with the type `serve` sends', T, async () => {
    for (const path of ['files/sample.vtt', 'files/sample.md']) {
      const built = site.result().manifest.assets[path];
      assert.ok(built, path);
      const f = await makeAsset(2 * PIECE);
      const asset = { ...f.asset, type: built.type };
      const worker = await serveAsset(
        new Request(URL_),
        asset,
        PIECE,
        deps(new MemStore(asset.hash), new FakeOrigin(f), null),
        () => undefined,
      );
      await worker.arrayBuffer();
      const fromServe = await fetch(new URL(urlPathFor(path), serve.url));
      await fromServe.arrayBuffer();
      assert.equal(worker.headers.get('content-type'), fromServe.headers.get('content-type'), path);
    }
  });
});
