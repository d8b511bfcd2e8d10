/**
 * The origin server is the yardstick of every offload number, so it gets its own test with real
 * HTTP requests: Range semantics, Content-Type, caching headers, and exact byte accounting
 * (including a client that hangs up mid-body, and throttling).
 */

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type OriginServer, startOriginServer, VISITOR_UA_TAG } from './harness/origin-server.ts';

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function get(url: string, headers: Record<string, string> = {}, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** Reads `limit` body bytes, then destroys the socket: a client that navigates away. */
function getAndHangUp(url: string, limit: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false }, (res) => {
      let got = 0;
      res.on('data', (c: Buffer) => {
        got += c.length;
        if (got >= limit) {
          req.destroy();
          resolve(got);
        }
      });
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code !== 'ECONNRESET') reject(e);
    });
    req.end();
  });
}

const SIZE = 1000;
const data = Buffer.alloc(SIZE);
for (let i = 0; i < SIZE; i++) data[i] = (i * 7 + 3) & 255;
const BIG = 2 * 1024 * 1024;
const big = Buffer.alloc(BIG, 0x5a);

describe('origin server', () => {
  let dir: string;
  let origin: OriginServer;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pc-origin-'));
    await mkdir(join(dir, 'img'));
    await mkdir(join(dir, 'posts'));
    await writeFile(join(dir, 'img', 'a b.bin'), data);
    await writeFile(join(dir, 'img', 'pic.jpg'), data);
    await writeFile(join(dir, 'big.bin'), big);
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>x</title>');
    await writeFile(join(dir, 'posts', 'index.html'), '<p>posts</p>');
    await writeFile(join(dir, 'empty.txt'), '');
    origin = await startOriginServer({ root: dir });
  });

  after(async () => {
    await origin.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('200 without Range: whole body, type, no-cache, no validators', async () => {
    const r = await get(`${origin.url}/img/pic.jpg`);
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-type'], 'image/jpeg');
    assert.equal(r.headers['cache-control'], 'no-cache');
    assert.equal(r.headers['accept-ranges'], 'bytes');
    assert.equal(r.headers['content-length'], String(SIZE));
    assert.equal(r.headers.etag, undefined);
    assert.equal(r.headers['last-modified'], undefined);
    assert.deepEqual(r.body, data);
    const html = await get(`${origin.url}/`);
    assert.equal(html.status, 200);
    assert.equal(html.headers['content-type'], 'text/html; charset=utf-8');
    const posts = await get(`${origin.url}/posts`);
    assert.equal(posts.status, 301);
    assert.equal(posts.headers.location, '/posts/');
  });

  test('206 for bytes=a-b, bytes=-n, bytes=n-, clamped end', async () => {
    const cases: Array<[string, number, number]> = [
      ['bytes=100-199', 100, 199],
      ['bytes=-50', SIZE - 50, SIZE - 1],
      ['bytes=900-', 900, SIZE - 1],
      ['bytes=990-5000', 990, SIZE - 1],
      ['bytes=-5000', 0, SIZE - 1],
      ['bytes=0-0', 0, 0],
    ];
    for (const [range, start, end] of cases) {
      const r = await get(`${origin.url}/img/a%20b.bin`, { range });
      assert.equal(r.status, 206, range);
      assert.equal(r.headers['content-range'], `bytes ${start}-${end}/${SIZE}`, range);
      assert.equal(r.headers['content-length'], String(end - start + 1), range);
      assert.deepEqual(r.body, data.subarray(start, end + 1), range);
    }
  });

  test('416 past the end, 200 for ignorable ranges', async () => {
    for (const range of [`bytes=${SIZE}-`, `bytes=${SIZE + 10}-${SIZE + 20}`, 'bytes=-0']) {
      const r = await get(`${origin.url}/img/pic.jpg`, { range });
      assert.equal(r.status, 416, range);
      assert.equal(r.headers['content-range'], `bytes */${SIZE}`, range);
      assert.equal(r.body.length, 0, range);
    }
    // Several ranges, reversed ranges, other units: a server may ignore the header.
    for (const range of ['bytes=0-1,5-6', 'bytes=20-10', 'items=0-1', 'bytes=abc']) {
      const r = await get(`${origin.url}/img/pic.jpg`, { range });
      assert.equal(r.status, 200, range);
      assert.equal(r.body.length, SIZE, range);
    }
    // Any range of an empty file is unsatisfiable; the file itself is a 200 with no body.
    assert.equal((await get(`${origin.url}/empty.txt`, { range: 'bytes=0-' })).status, 416);
    assert.equal((await get(`${origin.url}/empty.txt`)).status, 200);
  });

  test('404, 403 on traversal, 405 on POST', async () => {
    assert.equal((await get(`${origin.url}/nope.png`)).status, 404);
    assert.equal((await get(`${origin.url}/img/..%2F..%2F..%2Fetc%2Fpasswd`)).status, 403);
    assert.equal((await get(`${origin.url}/img/pic.jpg`, {}, 'POST')).status, 405);
  });

  test('accounting: per path, per visitor, HEAD and 416 cost nothing, reset', async () => {
    origin.reset();
    await get(`${origin.url}/img/pic.jpg`, { 'user-agent': `Mozilla/5.0 ${VISITOR_UA_TAG}/v1` });
    await get(`${origin.url}/img/pic.jpg`, { 'user-agent': `Mozilla/5.0 ${VISITOR_UA_TAG}/v2`, range: 'bytes=10-19' });
    await get(`${origin.url}/img/a%20b.bin`, { 'user-agent': `Mozilla/5.0 ${VISITOR_UA_TAG}/v2` });
    await get(`${origin.url}/img/a%20b.bin`, { 'user-agent': `Mozilla/5.0 ${VISITOR_UA_TAG}/v2` }, 'HEAD');
    await get(`${origin.url}/img/a%20b.bin`, { 'user-agent': `Mozilla/5.0 ${VISITOR_UA_TAG}/v2`, range: 'bytes=5000-' });
    await origin.idle();
    const all = origin.snapshot();
    assert.equal(all.totalRequests, 5);
    assert.equal(all.totalBytes, SIZE + 10 + SIZE);
    assert.deepEqual(all.byPath.get('/img/pic.jpg'), { requests: 2, bytes: SIZE + 10, rangeRequests: 1 });
    // Paths are decoded, as manifest keys are.
    assert.deepEqual(all.byPath.get('/img/a b.bin'), { requests: 3, bytes: SIZE, rangeRequests: 1 });
    const v2 = origin.snapshot({ visitor: 'v2' });
    assert.equal(v2.totalRequests, 4);
    assert.equal(v2.totalBytes, 10 + SIZE);
    assert.equal(origin.snapshot({ visitor: 'v1' }).totalBytes, SIZE);
    assert.equal(origin.snapshot({ visitor: 'nobody' }).totalRequests, 0);
    origin.reset();
    assert.equal(origin.snapshot().totalRequests, 0);
  });

  test('accounting counts only what was written before the client hung up', async () => {
    // Throttled so the hang-up surely lands mid-body (loopback would otherwise flush it all).
    const slow = await startOriginServer({ root: dir, bytesPerSecond: 1024 * 1024 });
    try {
      const got = await getAndHangUp(`${slow.url}/big.bin`, 64 * 1024);
      await slow.idle(5_000);
      const [rec] = slow.snapshot().requests;
      assert.ok(rec);
      assert.equal(rec.aborted, true);
      assert.ok(rec.bodyBytes >= got, `counted ${rec.bodyBytes} < received ${got}`);
      assert.ok(rec.bodyBytes < BIG / 2, `counted ${rec.bodyBytes} of ${BIG} after hang-up at ${got}`);
    } finally {
      await slow.close();
    }
  });

  test('a client that stops reading leaves its response stalled, not in flight, and idle() does not wait for it', async () => {
    const STALL = 400;
    // Bigger than what loopback's socket buffers absorb (a few MiB), so a paused reader blocks writes.
    await writeFile(join(dir, 'huge.bin'), Buffer.alloc(48 * 1024 * 1024));
    const o = await startOriginServer({ root: dir, stallMs: STALL });
    const sockets: Array<{ destroy(): void }> = [];
    try {
      // Reads the headers, then pauses for good.
      const stopped = new Promise<void>((resolve, reject) => {
        const req = request(`${o.url}/huge.bin`, { agent: false }, (res) => {
          res.pause();
          resolve();
        });
        sockets.push(req);
        req.on('error', () => undefined);
        req.end();
        setTimeout(() => reject(new Error('no response headers')), 5_000).unref();
      });
      await stopped;
      // A reader alongside that reads to the end.
      const whole = await get(`${o.url}/huge.bin`, { 'user-agent': `${VISITOR_UA_TAG}/reader` });
      assert.equal(whole.body.length, 48 * 1024 * 1024);
      await new Promise((r) => setTimeout(r, STALL * 3));
      const snap = o.snapshot();
      assert.equal(snap.stalled.length, 1, `one stalled response: ${JSON.stringify(snap.stalled)}`);
      assert.equal(snap.stalled[0]?.visitor, 'unknown');
      assert.equal(snap.stalled[0]?.finishedAt, null, 'a stalled response stays open');
      assert.equal(snap.inFlight, 0);
      const reader = snap.requests.find((r) => r.visitor === 'reader');
      assert.equal(reader?.finishedAt !== null && reader?.aborted === false, true, 'the reader got its whole response');
      // idle() resolves at once with the stalled response still open.
      await o.idle(STALL / 2);
      assert.equal(o.snapshot().stalled.length, 1);
    } finally {
      for (const s of sockets) s.destroy();
      await o.close();
    }
  });

  test('latency and throttle options shape timing', async () => {
    const slow = await startOriginServer({ root: dir, latencyMs: 150, bytesPerSecond: 2 * 1024 * 1024 });
    try {
      let t = Date.now();
      await get(`${slow.url}/img/pic.jpg`);
      const small = Date.now() - t;
      // Lower bounds only: the delay and the throttle are floors; a busy machine may take longer.
      assert.ok(small >= 140, `latency ${small} ms`);
      t = Date.now();
      const r = await get(`${slow.url}/big.bin`);
      const ms = Date.now() - t;
      assert.equal(r.body.length, BIG);
      // 2 MiB at 2 MiB/s is ~1 s (+150 ms latency).
      assert.ok(ms >= 1_000, `2 MiB at 2 MiB/s took ${ms} ms`);
      assert.equal(slow.snapshot().totalBytes, SIZE + BIG);
    } finally {
      await slow.close();
    }
  });

  test('validators option: ETag, 304, If-Range', async () => {
    const v = await startOriginServer({ root: dir, validators: true });
    try {
      const first = await get(`${v.url}/img/pic.jpg`);
      const etag = first.headers.etag;
      assert.equal(typeof etag, 'string');
      const again = await get(`${v.url}/img/pic.jpg`, { 'if-none-match': String(etag) });
      assert.equal(again.status, 304);
      assert.equal(again.body.length, 0);
      assert.equal((await get(`${v.url}/img/pic.jpg`, { range: 'bytes=0-9', 'if-range': String(etag) })).status, 206);
      assert.equal((await get(`${v.url}/img/pic.jpg`, { range: 'bytes=0-9', 'if-range': '"stale"' })).status, 200);
    } finally {
      await v.close();
    }
  });
});
