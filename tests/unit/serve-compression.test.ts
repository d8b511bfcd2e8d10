/**
 * `peer-connect serve` compresses text as static hosts do (issue 14: our two scripts were 112 KB
 * per first visit uncompressed), and never in a way that breaks the worker: ranges stay identity,
 * validators differ per representation, images are left alone.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type IncomingHttpHeaders, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { chooseCoding, codedEtag, isCompressible, MIN_COMPRESS_BYTES } from '../../signal-worker/adapter/node/compression.ts';
import { type RunningSiteServer, startSiteServer } from '../../signal-worker/adapter/node/index.ts';
import { etagMatches } from '../../signal-worker/adapter/node/static-site.ts';

interface BinaryResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

function get(port: number, path: string, headers: Record<string, string> = {}): Promise<BinaryResponse> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('serve compression: choosing a coding', () => {
  it('prefers brotli, honours q-values and refusals, and falls back to gzip', () => {
    assert.equal(chooseCoding('gzip, deflate, br, zstd', 'text/css', 5000), 'br');
    assert.equal(chooseCoding('gzip', 'application/javascript; charset=utf-8', 5000), 'gzip');
    assert.equal(chooseCoding('br;q=0, gzip', 'text/html', 5000), 'gzip');
    assert.equal(chooseCoding('gzip;q=0.5, br;q=0.1', 'text/html', 5000), 'gzip');
    assert.equal(chooseCoding('*', 'text/html', 5000), 'br');
    assert.equal(chooseCoding('identity', 'text/html', 5000), null);
    assert.equal(chooseCoding('br;q=0, gzip;q=0', 'text/html', 5000), null);
    assert.equal(chooseCoding(undefined, 'text/html', 5000), null);
  });

  it('leaves small files and incompressible types alone, and compresses text types mime-db does not flag', () => {
    assert.equal(chooseCoding('br', 'text/css', MIN_COMPRESS_BYTES - 1), null);
    assert.equal(chooseCoding('br', 'text/css', MIN_COMPRESS_BYTES), 'br');
    for (const type of ['image/jpeg', 'image/png', 'video/mp4', 'application/octet-stream', 'font/woff2']) {
      assert.equal(isCompressible(type), false, type);
    }
    for (const type of ['text/vtt', 'text/markdown', 'image/svg+xml', 'application/json', 'text/javascript', 'text/css; charset=utf-8']) {
      assert.equal(isCompressible(type), true, type);
    }
  });

  it('gives each representation its own strong validator and matches If-None-Match lists weakly', () => {
    assert.equal(codedEtag('"a-b"', null), '"a-b"');
    assert.equal(codedEtag('"a-b"', 'br'), '"a-b-br"');
    assert.equal(etagMatches('"x", W/"a-b-br"', '"a-b-br"'), true);
    assert.equal(etagMatches('*', '"a-b"'), true);
    assert.equal(etagMatches('"a-b"', '"a-b-br"'), false);
    assert.equal(etagMatches(undefined, '"a-b"'), false);
  });
});

describe('serve compression: on the wire', () => {
  let root = '';
  let site: RunningSiteServer;
  const css = Buffer.from(`${'body { margin: 0; padding: 0; color: #123456; }\n'.repeat(400)}`);
  const jpeg = randomBytes(40_000);

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'peer-connect-serve-gzip-'));
    await writeFile(join(root, 'app.css'), css);
    await writeFile(join(root, 'tiny.css'), 'a{}');
    await writeFile(join(root, 'photo.jpg'), jpeg);
    site = await startSiteServer({ root, signal: false });
  });
  after(async () => {
    await site.close();
    await rm(root, { recursive: true, force: true });
  });

  it('sends brotli or gzip for text the client accepts, decoding to the file byte for byte', async () => {
    const br = await get(site.port, '/app.css', { 'accept-encoding': 'gzip, deflate, br' });
    assert.equal(br.status, 200);
    assert.equal(br.headers['content-encoding'], 'br');
    assert.equal(br.headers.vary, 'Accept-Encoding');
    assert.equal(br.headers['content-length'], undefined);
    assert.ok(br.body.byteLength < css.byteLength / 10, `brotli body ${br.body.byteLength} B of ${css.byteLength}`);
    assert.deepEqual(brotliDecompressSync(br.body), css);

    const gz = await get(site.port, '/app.css', { 'accept-encoding': 'gzip' });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.deepEqual(gunzipSync(gz.body), css);
    assert.notEqual(gz.headers.etag, br.headers.etag);
  });

  it('answers without a coding when none is accepted, for small files, for images, and for every Range', async () => {
    const plain = await get(site.port, '/app.css');
    assert.equal(plain.headers['content-encoding'], undefined);
    assert.equal(plain.headers['content-length'], String(css.byteLength));
    assert.deepEqual(plain.body, css);

    const tiny = await get(site.port, '/tiny.css', { 'accept-encoding': 'br' });
    assert.equal(tiny.headers['content-encoding'], undefined);

    const image = await get(site.port, '/photo.jpg', { 'accept-encoding': 'br, gzip' });
    assert.equal(image.headers['content-encoding'], undefined);
    assert.equal(image.headers.vary, undefined);
    assert.deepEqual(image.body, jpeg);

    // The worker's origin pieces: a Range is always of the file's own bytes.
    const range = await get(site.port, '/app.css', { 'accept-encoding': 'br, gzip', range: 'bytes=100-1099' });
    assert.equal(range.status, 206);
    assert.equal(range.headers['content-encoding'], undefined);
    assert.equal(range.headers['content-range'], `bytes 100-1099/${css.byteLength}`);
    assert.deepEqual(range.body, css.subarray(100, 1100));
    // If-Range is compared with the identity validator a Range is of.
    const ifRange = await get(site.port, '/app.css', { range: 'bytes=0-9', 'if-range': plain.headers.etag ?? '' });
    assert.equal(ifRange.status, 206);
  });

  it('revalidates each representation by its own validator', async () => {
    const br = await get(site.port, '/app.css', { 'accept-encoding': 'br' });
    const same = await get(site.port, '/app.css', { 'accept-encoding': 'br', 'if-none-match': br.headers.etag ?? '' });
    assert.equal(same.status, 304);
    const other = await get(site.port, '/app.css', { 'accept-encoding': 'gzip', 'if-none-match': br.headers.etag ?? '' });
    assert.equal(other.status, 200);
    assert.equal(other.headers['content-encoding'], 'gzip');
  });
});
