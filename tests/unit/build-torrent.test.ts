/**
 * Torrents made by the build: which files get one under each option, what the emitted .torrent
 * holds (read back with parse-torrent, its piece hashes recomputed here), that the manifest pins
 * the same info hash and the worker carries it, that rebuilds are byte-identical, and that the
 * CLI refuses bad option values by name.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import parseTorrent, { type ParsedTorrent } from 'parse-torrent';
import { type BuildOptions, type BuildResult, buildSite } from '../../build.ts';
import {
  resolveBaseUrl,
  resolveTracker,
  TORRENT_CREATED_BY,
  TORRENT_DIR,
  torrentPieceLength,
  wantsTorrent,
} from '../../builder/make-torrent.ts';
import { parseSize } from '../../builder/option-values.ts';
import { MAX_ASSET_SIZE, TORRENT_MIN_SIZE } from '../../protocol/limits.ts';
import { type Manifest, type ManifestAsset, validateManifest } from '../../protocol/manifest.ts';
import { DEFAULT_TRACKER_PATH } from '../../protocol/routes.ts';

const MiB = 1024 * 1024;
const VIDEO = 'media/video.webm';
const BIN = 'data/blob.bin';
const BELL = 'media/bell.ogg';
const IMAGE = 'img/small.png';
const STALE = `${TORRENT_DIR}/stale.torrent`;

/** SHA-1 of each `pieceLength` piece: the torrent's piece hashes, computed without create-torrent. */
function sha1Pieces(bytes: Buffer, pieceLength: number): string[] {
  const out: string[] = [];
  for (let at = 0; at < bytes.length; at += pieceLength) {
    out.push(
      createHash('sha1')
        .update(bytes.subarray(at, at + pieceLength))
        .digest('hex'),
    );
  }
  return out;
}

const torrentsOf = (m: Manifest): string[] =>
  Object.keys(m.assets)
    .filter((k) => m.assets[k]?.torrent)
    .sort();

describe('build: torrents for large files and media', () => {
  let root = '';
  let site = '';
  const content = new Map<string, Buffer>();
  const builds = new Map<string, { out: string; result: BuildResult }>();

  const build = async (name: string, options: Omit<BuildOptions, 'siteDir' | 'outDir'>): Promise<{ out: string; result: BuildResult }> => {
    const out = join(root, `out-${name}`);
    const result = await buildSite({ siteDir: site, outDir: out, minify: false, ...options });
    const entry = { out, result };
    builds.set(name, entry);
    return entry;
  };

  const readTorrent = async (name: string, asset: string): Promise<{ asset: ManifestAsset; parsed: ParsedTorrent; bytes: Buffer }> => {
    const b = builds.get(name);
    assert.ok(b, `build ${name}`);
    const entry = b.result.manifest.assets[asset];
    assert.ok(entry?.torrent, `${asset} has a torrent in build ${name}`);
    const bytes = await readFile(join(b.out, entry.torrent.file));
    return { asset: entry, parsed: await parseTorrent(bytes), bytes };
  };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'pc-torrent-'));
    site = join(root, 'site');
    content.set('index.html', Buffer.from(`<!doctype html><title>t</title><img src="${IMAGE}"><video src="${VIDEO}"></video>`));
    content.set(IMAGE, randomBytes(3000));
    content.set(VIDEO, randomBytes(9 * MiB));
    content.set(BIN, randomBytes(9 * MiB));
    content.set(BELL, randomBytes(100 * 1024));
    // A built site's torrents folder given back as part of a site: never an asset, never copied.
    content.set(STALE, Buffer.from('d8:announce3:bade'));
    for (const [path, bytes] of content) {
      await mkdir(dirname(join(site, path)), { recursive: true });
      await writeFile(join(site, path), bytes);
    }
    await build('default', {});
    await build('again', {});
    await build('large', {
      torrents: 'large',
      baseUrl: 'https://cdn.example.com/my site',
      signal: 'wss://signal.example.com/peer-connect/signal',
    });
    await build('min16', {
      torrentMinSize: 16 * MiB,
      tracker: 'wss://tracker.example.com:8443/announce',
      signal: 'ws://127.0.0.1:9/peer-connect/signal',
    });
    await build('off', { torrents: 'off' });
  });

  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('default (media, 8 MiB): the video, the 9 MiB .bin and the small audio file; not the image', () => {
    const m = builds.get('default')!.result.manifest;
    assert.equal(m.assets[VIDEO]?.type, 'video/webm');
    assert.equal(m.assets[BELL]?.type, 'audio/ogg');
    assert.deepEqual(torrentsOf(m), [BIN, BELL, VIDEO].sort());
    assert.deepEqual([...builds.get('default')!.result.torrents].sort(), [BIN, BELL, VIDEO].sort());
    assert.equal(m.assets[IMAGE]?.torrent, undefined);
    assert.ok(validateManifest(m).ok);
  });

  it('`large`: only files at or above the size, media or not', () => {
    assert.deepEqual(torrentsOf(builds.get('large')!.result.manifest), [BIN, VIDEO].sort());
  });

  it('`--torrent-min-size 16MiB`: media of any size, no longer the 9 MiB .bin', () => {
    assert.deepEqual(torrentsOf(builds.get('min16')!.result.manifest), [BELL, VIDEO].sort());
  });

  it('`off`: no torrents, no torrents folder, no WebTorrent module', () => {
    const { out, result } = builds.get('off')!;
    assert.deepEqual(torrentsOf(result.manifest), []);
    assert.deepEqual(result.torrents, []);
    assert.equal(existsSync(join(out, TORRENT_DIR)), false);
    assert.equal(existsSync(join(out, 'peer-connect-torrent.js')), false);
  });

  it('the emitted .torrent matches the manifest and the file (parse-torrent, SHA-1 pieces recomputed)', async () => {
    for (const path of [VIDEO, BIN, BELL]) {
      const { asset, parsed } = await readTorrent('default', path);
      const bytes = content.get(path)!;
      assert.equal(asset.torrent?.file, `${TORRENT_DIR}/${path}.torrent`);
      assert.equal(parsed.infoHash, asset.torrent?.infoHash);
      assert.match(parsed.infoHash, /^[0-9a-f]{40}$/);
      assert.equal(parsed.pieceLength, 64 * 1024);
      assert.equal(asset.torrent?.pieceLength, parsed.pieceLength);
      assert.equal(parsed.length, bytes.length);
      assert.equal(parsed.name, path.split('/').pop());
      assert.deepEqual(
        parsed.files.map((f) => f.path),
        [parsed.name],
        'a single-file torrent',
      );
      assert.deepEqual(parsed.pieces, sha1Pieces(bytes, parsed.pieceLength));
      assert.equal(parsed.private, true);
      assert.equal(parsed.createdBy, TORRENT_CREATED_BY);
      assert.equal(parsed.created?.getTime(), 1000);
      // Nothing absolute known: no web seed, no announce (a path is not valid there) ...
      assert.deepEqual(parsed.urlList, []);
      assert.deepEqual(parsed.announce, []);
      // ... the manifest says where the tracker is, on the page's own origin, where the app serves it.
      assert.equal(asset.torrent?.announce, DEFAULT_TRACKER_PATH);
    }
  });

  it('with --base-url the web seed is the file URL; the tracker follows --signal; the info hash does not change', async () => {
    for (const path of [VIDEO, BIN]) {
      const { asset, parsed } = await readTorrent('large', path);
      const { asset: plain } = await readTorrent('default', path);
      assert.deepEqual(parsed.urlList, [`https://cdn.example.com/my%20site/${path}`]);
      assert.deepEqual(parsed.announce, ['wss://signal.example.com/peer-connect/announce']);
      assert.equal(asset.torrent?.announce, 'wss://signal.example.com/peer-connect/announce');
      assert.equal(parsed.infoHash, asset.torrent?.infoHash);
      assert.equal(asset.torrent?.infoHash, plain.torrent?.infoHash, 'web seed and tracker are outside the info dict');
    }
  });

  it('--tracker wins over --signal', async () => {
    const { asset, parsed } = await readTorrent('min16', VIDEO);
    assert.deepEqual(parsed.announce, ['wss://tracker.example.com:8443/announce']);
    assert.equal(asset.torrent?.announce, 'wss://tracker.example.com:8443/announce');
  });

  it('two builds of the same site give the same info hashes and byte-identical .torrent files', async () => {
    for (const path of [VIDEO, BIN, BELL]) {
      const a = await readTorrent('default', path);
      const b = await readTorrent('again', path);
      assert.equal(a.parsed.infoHash, b.parsed.infoHash);
      assert.ok(a.bytes.equals(b.bytes), `${path}.torrent differs between builds`);
    }
  });

  it('the asset table the worker pins carries every info hash', async () => {
    const { out, result } = builds.get('default')!;
    const table = await readFile(join(out, result.assetTable.path), 'utf8');
    for (const path of result.torrents) assert.ok(table.includes(result.manifest.assets[path]!.torrent!.infoHash), path);
  });

  it('.torrent files are beside the site, never assets; a site file in the torrents folder is dropped', async () => {
    const { out, result } = builds.get('default')!;
    for (const key of Object.keys(result.manifest.assets)) assert.ok(!key.startsWith(`${TORRENT_DIR}/`), key);
    assert.equal(existsSync(join(out, STALE)), false);
    assert.ok(existsSync(join(out, TORRENT_DIR, `${VIDEO}.torrent`)));
    assert.ok((await readFile(join(out, VIDEO))).equals(content.get(VIDEO)!), 'the file itself is copied unchanged');
  });
});

describe('torrent choices', () => {
  it('piece length: 64 KiB up to 4096 pieces, then doubling, at most 1 MiB', () => {
    assert.equal(torrentPieceLength(1), 64 * 1024);
    assert.equal(torrentPieceLength(9 * MiB), 64 * 1024);
    assert.equal(torrentPieceLength(256 * MiB), 64 * 1024);
    assert.equal(torrentPieceLength(256 * MiB + 1), 128 * 1024);
    assert.equal(torrentPieceLength(1024 * MiB), 256 * 1024);
    assert.equal(torrentPieceLength(MAX_ASSET_SIZE), 512 * 1024);
    assert.equal(torrentPieceLength(100 * 1024 * MiB), 1024 * 1024);
  });

  it('which files: at or above the size; media by type unless `large`; never empty files or `off`', () => {
    const bin = (size: number) => ({ size, type: 'application/octet-stream' });
    assert.equal(wantsTorrent(bin(TORRENT_MIN_SIZE), 'media', TORRENT_MIN_SIZE), true);
    assert.equal(wantsTorrent(bin(TORRENT_MIN_SIZE - 1), 'media', TORRENT_MIN_SIZE), false);
    assert.equal(wantsTorrent({ size: 10, type: 'audio/mpeg' }, 'media', TORRENT_MIN_SIZE), true);
    assert.equal(wantsTorrent({ size: 10, type: 'video/mp4' }, 'large', TORRENT_MIN_SIZE), false);
    assert.equal(wantsTorrent({ size: 0, type: 'video/mp4' }, 'media', TORRENT_MIN_SIZE), false);
    assert.equal(wantsTorrent(bin(TORRENT_MIN_SIZE * 2), 'off', TORRENT_MIN_SIZE), false);
    assert.equal(wantsTorrent({ size: 10, type: 'image/png' }, 'media', TORRENT_MIN_SIZE), false);
  });

  it('tracker: --tracker as given; else --signal host with ws/wss; else the path on the page origin', () => {
    assert.equal(resolveTracker(null, null), '/peer-connect/announce');
    assert.equal(resolveTracker(undefined, '/peer-connect/signal'), '/peer-connect/announce');
    assert.equal(resolveTracker(null, 'wss://s.example.com:444/x/peer-connect/signal'), 'wss://s.example.com:444/peer-connect/announce');
    assert.equal(resolveTracker(null, 'https://s.example.com/peer-connect/signal'), 'wss://s.example.com/peer-connect/announce');
    assert.equal(resolveTracker(null, 'ws://127.0.0.1:8080/peer-connect/signal'), 'ws://127.0.0.1:8080/peer-connect/announce');
    assert.equal(resolveTracker('wss://t.example.com/a', 'ws://x/peer-connect/signal'), 'wss://t.example.com/a');
    for (const bad of [
      '/peer-connect/announce',
      'http://t.example.com/a',
      'udp://t.example.com:80',
      'not a url',
      'wss://t.example.com/a#f',
    ]) {
      assert.throws(() => resolveTracker(bad, null), /--tracker must be a ws:\/\/ or wss:\/\/ URL/, bad);
    }
  });

  it('base URL: http(s), a trailing slash added, no query or fragment', () => {
    assert.equal(resolveBaseUrl(null), null);
    assert.equal(resolveBaseUrl('https://example.com')?.href, 'https://example.com/');
    assert.equal(resolveBaseUrl('https://example.com/blog')?.href, 'https://example.com/blog/');
    for (const bad of ['ftp://example.com/', '/blog/', 'https://example.com/?v=1', 'https://example.com/#x', '']) {
      assert.throws(() => resolveBaseUrl(bad), /--base-url must be an http:\/\/ or https:\/\/ URL/, bad);
    }
  });

  it('sizes: bytes or binary units', () => {
    assert.equal(parseSize('8388608', 'x'), 8 * MiB);
    assert.equal(parseSize('8MiB', 'x'), 8 * MiB);
    assert.equal(parseSize('8m', 'x'), 8 * MiB);
    assert.equal(parseSize('512 KiB', 'x'), 512 * 1024);
    assert.equal(parseSize('1.5GiB', 'x'), 1.5 * 1024 * MiB);
    for (const bad of ['0', '-1', '1.5', '8 parsecs', '8MB/s', '', 'MiB', '1e9', 'constructor']) {
      assert.throws(() => parseSize(bad, 'torrent-min-size'), /--torrent-min-size must be a size/, bad);
    }
  });
});

describe('manifest: the torrent field', () => {
  const H = 'a'.repeat(64);
  const good = (torrent?: unknown): unknown => ({
    version: 2,
    pieceSize: 65536,
    build: 'ab'.repeat(10),
    builtAt: '2026-01-01T00:00:00.000Z',
    assets: { 'v.webm': { hash: H, size: 10, type: 'video/webm', ...(torrent === undefined ? {} : { torrent }) } },
  });
  const torrent = {
    infoHash: 'b'.repeat(40),
    pieceLength: 65536,
    file: 'peer-connect-torrents/v.webm.torrent',
    announce: '/peer-connect/announce',
  };

  it('a manifest without torrents (older builds) stays valid; a good torrent is accepted', () => {
    assert.ok(validateManifest(good()).ok);
    assert.ok(validateManifest(good(torrent)).ok);
    assert.ok(validateManifest(good({ ...torrent, announce: 'wss://t.example.com/announce' })).ok);
    assert.ok(validateManifest(good({ ...torrent, pieceLength: 1024 * 1024 })).ok);
  });

  it('rejects a malformed torrent, naming the asset and the field', () => {
    const cases: Array<[unknown, RegExp]> = [
      [null, /v\.webm: torrent: not an object/],
      [{ ...torrent, infoHash: 'B'.repeat(40) }, /bad infoHash/],
      [{ ...torrent, infoHash: 'b'.repeat(39) }, /bad infoHash/],
      [{ ...torrent, pieceLength: 16 * 1024 }, /bad pieceLength/],
      [{ ...torrent, pieceLength: 96 * 1024 }, /bad pieceLength/],
      [{ ...torrent, pieceLength: 2 * 1024 * 1024 }, /bad pieceLength/],
      [{ ...torrent, file: '../v.webm.torrent' }, /bad file/],
      [{ ...torrent, file: '/peer-connect-torrents/v.webm.torrent' }, /bad file/],
      [{ ...torrent, file: 'peer-connect-torrents/v.webm' }, /bad file/],
      [{ ...torrent, announce: 'peer-connect/announce' }, /bad announce/],
      [{ ...torrent, announce: '//evil.example.com/announce' }, /bad announce/],
      [{ ...torrent, announce: 'https://t.example.com/announce' }, /bad announce/],
      [{ ...torrent, announce: undefined }, /bad announce/],
    ];
    for (const [t, error] of cases) {
      const r = validateManifest(good(t));
      assert.equal(r.ok, false, JSON.stringify(t));
      if (!r.ok) assert.match(r.error, error);
    }
  });

  it('rejects a torrent on an empty file', () => {
    const m = good(torrent) as { assets: Record<string, { size: number }> };
    m.assets['v.webm']!.size = 0;
    const r = validateManifest(m);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error, /empty file/);
  });
});

describe('CLI: torrent options', () => {
  const bin = join(import.meta.dirname, '..', '..', 'bin', 'peer-connect.js');
  const run = (...args: string[]) => spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });
  let root = '';
  let site = '';

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'pc-torrent-cli-'));
    site = join(root, 'site');
    await mkdir(join(site, 'media'), { recursive: true });
    await writeFile(join(site, 'index.html'), '<!doctype html><title>t</title>');
    await writeFile(join(site, 'media', 'clip.webm'), randomBytes(100 * 1024));
    await writeFile(join(site, 'big.bin'), randomBytes(2 * MiB));
  });

  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('good values build, and the summary counts the torrents', async () => {
    const out = join(root, 'out');
    const r = run(
      'build',
      site,
      '--out',
      out,
      '--torrents',
      'large',
      '--torrent-min-size',
      '1MiB',
      '--torrent-quota',
      '2MiB',
      '--base-url',
      'https://example.com/',
      '--tracker',
      'wss://t.example.com/peer-connect/announce',
    );
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /, 1 torrents, /);
    // The bridge gets the quota and the torrent; the WebTorrent module is shipped beside it.
    const bridge = await readFile(join(out, 'peer-connect.js'), 'utf8');
    assert.match(bridge, /torrentQuotaBytes:2097152/);
    assert.match(bridge, /torrentFile:"peer-connect-torrents\/big\.bin\.torrent"/);
    assert.ok(existsSync(join(out, 'peer-connect-torrent.js')), 'peer-connect-torrent.js not written');
    const parsed = await parseTorrent(await readFile(join(out, TORRENT_DIR, 'big.bin.torrent')));
    assert.deepEqual(parsed.urlList, ['https://example.com/big.bin']);
    assert.deepEqual(parsed.announce, ['wss://t.example.com/peer-connect/announce']);
    assert.equal(existsSync(join(out, TORRENT_DIR, 'media', 'clip.webm.torrent')), false);
  });

  const bad: Array<[string[], RegExp]> = [
    [['--torrents', 'sometimes'], /--torrents must be one of media, large, off/],
    [['--torrent-min-size', '8 parsecs'], /--torrent-min-size must be a size in bytes, or with KiB, MiB or GiB/],
    [['--torrent-min-size', '0'], /--torrent-min-size must be a size/],
    [['--torrent-quota', 'lots'], /--torrent-quota must be a size/],
    [['--torrent-min-size', '4GiB'], /--torrent-min-size must be a whole number of bytes from 1 to 2147483648/],
    [['--tracker', '/peer-connect/announce'], /--tracker must be a ws:\/\/ or wss:\/\/ URL \(a \.torrent cannot hold a path\)/],
    [['--tracker', 'https://t.example.com/announce'], /--tracker must be a ws:\/\/ or wss:\/\/ URL/],
    [['--base-url', 'example.com'], /--base-url must be an http:\/\/ or https:\/\/ URL/],
    [['--base-url', 'https://example.com/?v=2'], /--base-url must be an http:\/\/ or https:\/\/ URL without query or fragment/],
  ];
  for (const [args, message] of bad) {
    it(`refuses ${args.join(' ')} with exit 1, a message naming the option, and writes nothing`, () => {
      const out = join(root, 'never');
      const r = run('build', site, '--out', out, ...args);
      assert.equal(r.status, 1, r.stdout + r.stderr);
      assert.match(r.stderr, message);
      assert.equal(existsSync(out), false);
    });
  }
});
