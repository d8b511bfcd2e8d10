/**
 * What only the Node adapter has, on a real loopback network: startSignalServer's URL and
 * close(), and startSiteServer (static files and signaling on one port, its own-origin default).
 * The signaling protocol, limits and malformed input over the network are the compliance suite's
 * (tests/compliance), run against every runtime including this adapter.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileBody } from '../../signal-worker/adapter/node/file-body.ts';
import { type RunningSiteServer, startSignalServer, startSiteServer } from '../../signal-worker/adapter/node/index.ts';
import { createOriginCheck } from '../../signal-worker/origin-policy.ts';
import { refusedUpgradeStatus, SignalClient } from '../compliance/support/signal-client.ts';
import { withTimeout } from '../compliance/support/wait.ts';

describe('startSignalServer', () => {
  it('listens on 127.0.0.1 with ws:// URLs on the signal and tracker paths', async () => {
    const server = await startSignalServer({ port: 0 });
    try {
      assert.match(server.url, /^ws:\/\/127\.0\.0\.1:\d+\/peer-connect\/signal$/);
      assert.equal(server.trackerUrl, server.url.replace(/\/signal$/, '/announce'));
      assert.ok(server.port > 0);
      assert.equal(server.origin, `http://127.0.0.1:${server.port}`);
    } finally {
      await server.close();
    }
  });
});

describe('createOriginCheck', () => {
  it('matches origins as browsers send them, and refuses missing, null and unlisted ones', () => {
    const allowed = createOriginCheck(['http://Good.Example:80/', 'https://other.example:8443']);
    assert.equal(allowed('http://good.example'), true);
    assert.equal(allowed('https://other.example:8443'), true);
    assert.equal(allowed('https://good.example'), false, 'scheme matters');
    assert.equal(allowed('http://good.example:8080'), false, 'port matters');
    assert.equal(allowed(undefined), false);
    assert.equal(allowed('null'), false);
    assert.equal(allowed('not a url'), false);
    assert.equal(createOriginCheck('*')(undefined), true);
    assert.throws(() => createOriginCheck(['nonsense']));
  });
});

describe('close()', () => {
  it('terminates open sockets so the process can exit', async () => {
    const server = await startSignalServer({});
    const client = await SignalClient.connect(server.url, 'closing.example');
    await client.join('stays');
    await withTimeout(server.close(), 'server.close()');
    const { code } = await withTimeout(client.closed, 'client close');
    assert.notEqual(code, 1000);
    await assert.rejects(SignalClient.connect(server.url, 'closing.example'));
  });
});

/** Status and body of a GET sent byte-for-byte as given (fetch would normalise the path first). */
function rawGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET' }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Opens a WebSocket by hand and then never reads or answers anything: a stalled client. */
function stalledClient(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        'GET /peer-connect/signal HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    socket.once('data', (head) => {
      assert.match(head.toString('latin1'), /^HTTP\/1\.1 101/);
      socket.pause(); // never read again, never answer the close frame
      resolve();
    });
    socket.on('error', () => {}); // the server will cut it off
    socket.once('close', () => reject(new Error('closed before the upgrade')));
  });
}

describe('close() with a client that never answers', () => {
  it('still finishes at once, instead of waiting out the close handshake', async () => {
    const server = await startSignalServer({});
    await stalledClient(server.port);
    assert.equal(server.stats().connections, 1);
    const started = Date.now();
    await withTimeout(server.close(), 'server.close()');
    assert.ok(Date.now() - started < 1000, `close took ${Date.now() - started} ms`);
  });
});

describe('fileBody', () => {
  it('streams exactly the requested bytes, across read chunks', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'peer-connect-body-'));
    const data = randomBytes(200 * 1024);
    const path = join(dir, 'blob.bin');
    await writeFile(path, data);
    try {
      for (const [start, end] of [
        [0, 0],
        [10, 19],
        [65_000, 140_000],
        [0, data.length - 1],
      ] as const) {
        const got = new Uint8Array(await new Response(fileBody(path, start, end)).arrayBuffer());
        assert.deepEqual(got, new Uint8Array(data.subarray(start, end + 1)), `bytes ${start}-${end}`);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('startSiteServer', () => {
  let dir: string;
  let site: RunningSiteServer;
  const bytes = Uint8Array.from({ length: 1000 }, (_, i) => i % 251);

  before(async () => {
    // The site is a subfolder, with a secret beside it that no URL may reach.
    const parent = await mkdtemp(join(tmpdir(), 'peer-connect-site-'));
    await writeFile(join(parent, 'secret.txt'), 'SECRET');
    dir = join(parent, 'site');
    await mkdir(dir);
    await writeFile(join(dir, 'index.html'), '<!doctype html><title>home</title>');
    await mkdir(join(dir, 'docs'));
    await writeFile(join(dir, 'docs', 'index.html'), '<!doctype html><title>docs</title>');
    await writeFile(join(dir, 'clip.mp4'), bytes);
    await writeFile(join(dir, 'font.woff2'), 'not really a font');
    site = await startSiteServer({ root: dir });
  });
  after(async () => {
    await site.close();
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  it('serves index.html for / and for a directory, redirecting a directory without its slash', async () => {
    assert.match(site.url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const home = await fetch(site.url);
    assert.equal(home.status, 200);
    assert.equal(home.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.match(await home.text(), /<title>home<\/title>/);

    const bare = await fetch(new URL('docs', site.url), { redirect: 'manual' });
    assert.equal(bare.status, 301);
    assert.equal(bare.headers.get('location'), '/docs/');
    const docs = await fetch(new URL('docs/', site.url));
    assert.match(await docs.text(), /<title>docs<\/title>/);
  });

  it('serves a whole file with its Content-Type, length and Accept-Ranges', async () => {
    const res = await fetch(new URL('clip.mp4', site.url));
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'video/mp4');
    assert.equal(res.headers.get('content-length'), '1000');
    assert.equal(res.headers.get('accept-ranges'), 'bytes');
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), bytes);
    assert.equal((await fetch(new URL('font.woff2', site.url))).headers.get('content-type'), 'font/woff2');
  });

  it('answers a Range with 206 and exactly those bytes', async () => {
    const res = await fetch(new URL('clip.mp4', site.url), { headers: { Range: 'bytes=100-199' } });
    assert.equal(res.status, 206);
    assert.equal(res.headers.get('content-range'), 'bytes 100-199/1000');
    assert.equal(res.headers.get('content-length'), '100');
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), bytes.slice(100, 200));

    const tail = await fetch(new URL('clip.mp4', site.url), { headers: { Range: 'bytes=-10' } });
    assert.equal(tail.status, 206);
    assert.equal(tail.headers.get('content-range'), 'bytes 990-999/1000');
    assert.deepEqual(new Uint8Array(await tail.arrayBuffer()), bytes.slice(990));
  });

  it('answers an unsatisfiable Range with 416 and bytes */size', async () => {
    const res = await fetch(new URL('clip.mp4', site.url), { headers: { Range: 'bytes=5000-6000' } });
    assert.equal(res.status, 416);
    assert.equal(res.headers.get('content-range'), 'bytes */1000');
    assert.equal((await res.arrayBuffer()).byteLength, 0);
  });

  it('answers HEAD with headers only, and 404 for missing files and escapes from the root', async () => {
    const head = await fetch(new URL('clip.mp4', site.url), { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-length'), '1000');
    assert.equal((await head.arrayBuffer()).byteLength, 0);
    assert.equal((await fetch(new URL('missing.png', site.url))).status, 404);
    for (const path of ['/..%2fsecret.txt', '/docs/..%2f..%2fsecret.txt', '/%2e%2e/secret.txt', '/..%5csecret.txt', '/../secret.txt']) {
      const res = await rawGet(site.port, path);
      assert.equal(res.status, 404, path);
      assert.doesNotMatch(res.body, /SECRET/, path);
    }
  });

  it('speaks signaling on the same port, for its own origin only', async () => {
    assert.equal(site.signalUrl, `ws://127.0.0.1:${site.port}/peer-connect/signal`);
    const own = await SignalClient.connect(site.signalUrl, 'site.example', new URL(site.url).origin);
    await own.join('own');
    const viaLocalhost = await SignalClient.connect(site.signalUrl, 'site.example', `http://localhost:${site.port}`);
    await viaLocalhost.join('localhost');
    assert.equal(await refusedUpgradeStatus(site.signalUrl, 'https://elsewhere.example'), 403);
    assert.equal(site.stats().peers, 2);
    own.ws.close();
    viaLocalhost.ws.close();
  });
});
