/**
 * The middleware in front of every site-server route, on a real server. The Host check: DNS
 * rebinding sends a foreign name in Host to a server on loopback or a LAN, so every route (files,
 * health, both WebSocket routes) must refuse names it was not given, with 421 (RFC 9110 §15.5.20).
 * And nosniff on every response.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type RunningSiteServer, startSiteServer } from '../../signal-worker/adapter/node/index.ts';
import { type RawResponse, rawExchange, rawRequest, statusOf, upgradeHead } from './serve-http.ts';

const ROUTES = ['/', '/page.txt', '/peer-connect/health'];
const SOCKET_ROUTES = ['/peer-connect/signal', '/peer-connect/announce'];

describe('serve: Host check (default: IP literals and localhost only) and nosniff', () => {
  let root: string;
  let site: RunningSiteServer;
  let origin: string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'peer-connect-serve-host-'));
    await writeFile(join(root, 'index.html'), '<!doctype html><title>home</title>');
    await writeFile(join(root, 'page.txt'), 'PAGE');
    await mkdir(join(root, 'img'));
    site = await startSiteServer({ root });
    origin = new URL(site.url).origin;
  });
  const get = (path: string, headers: Record<string, string> = {}): Promise<RawResponse> => rawRequest(site.port, path, { headers });
  after(async () => {
    await site.close();
    await rm(root, { recursive: true, force: true });
  });

  // A mixed-case name with a port never reaches the app: @hono/node-server 1.19 answers it 400.
  it('answers IP literals with any port, localhost and *.localhost', async () => {
    for (const host of [
      '127.0.0.1',
      `127.0.0.1:${site.port}`,
      '10.1.2.3:80',
      '[::1]',
      `[::1]:${site.port}`,
      'localhost',
      'LocalHost',
      `localhost:${site.port}`,
      'app.localhost',
      'localhost.',
    ]) {
      for (const path of ROUTES) assert.equal((await rawRequest(site.port, path, { host })).status, 200, `${host} ${path}`);
    }
  });

  it('refuses any other name with 421 and a body naming --allowed-host, on files and health', async () => {
    for (const host of [
      'evil.example',
      `evil.example:${site.port}`,
      'localhost.evil.example',
      '127.0.0.1.evil.example',
      'localhost-evil.example',
    ]) {
      for (const path of ROUTES) {
        const res = await rawRequest(site.port, path, { host });
        assert.equal(res.status, 421, `${host} ${path}`);
        assert.match(res.body, /--allowed-host/, `${host} ${path}`);
        assert.doesNotMatch(res.body, /PAGE|<title>|"ok"/, `${host} ${path}`);
      }
    }
    const res = await rawRequest(site.port, '/page.txt', { host: 'Evil.Example' });
    assert.match(res.body, /--allowed-host evil\.example\b/);
  });

  it('refuses a foreign Host on both WebSocket routes before upgrading, even with its own Origin', async () => {
    for (const path of SOCKET_ROUTES) {
      assert.equal(statusOf(await rawExchange(site.port, upgradeHead(path, `127.0.0.1:${site.port}`, origin))), 101, path);
      assert.equal(statusOf(await rawExchange(site.port, upgradeHead(path, 'evil.example', origin))), 421, path);
    }
  });

  it('sends X-Content-Type-Options: nosniff on every response', async () => {
    const whole = await get('/page.txt');
    const etag = String(whole.headers.etag);
    const responses: Array<[string, number, RawResponse]> = [
      ['200', 200, whole],
      ['206', 206, await get('/page.txt', { Range: 'bytes=0-1' })],
      ['304', 304, await get('/page.txt', { 'If-None-Match': etag })],
      ['404', 404, await get('/missing.txt')],
      ['416', 416, await get('/page.txt', { Range: 'bytes=100-200' })],
      ['301', 301, await get('/img')],
      ['421', 421, await rawRequest(site.port, '/page.txt', { host: 'evil.example' })],
      ['health', 200, await get('/peer-connect/health')],
      ['403', 403, await get('/peer-connect/signal')],
      ['426', 426, await get('/peer-connect/signal', { Origin: origin })],
      ['HEAD', 200, await rawRequest(site.port, '/page.txt', { method: 'HEAD' })],
    ];
    for (const [name, status, res] of responses) {
      assert.equal(res.status, status, name);
      assert.equal(res.headers['x-content-type-options'], 'nosniff', name);
    }
  });

  it('refuses requests without a Host header', async () => {
    const plain = await rawExchange(site.port, 'GET /page.txt HTTP/1.0\r\n\r\n');
    assert.ok([400, 421].includes(statusOf(plain)), plain);
    assert.doesNotMatch(plain, /PAGE/);
    for (const path of SOCKET_ROUTES) {
      assert.equal(statusOf(await rawExchange(site.port, upgradeHead(path, undefined, origin, '1.0'))), 421, path);
    }
  });
});

describe('serve: Host check with allowedHosts', () => {
  let root: string;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'peer-connect-serve-host-'));
    await writeFile(join(root, 'page.txt'), 'PAGE');
  });
  after(() => rm(root, { recursive: true, force: true }));

  it('answers the listed names in any case and with any port, and still refuses others', async () => {
    const site = await startSiteServer({ root, allowedHosts: ['www.example.com', 'Other.Example:8443'] });
    try {
      for (const host of ['www.example.com', 'WWW.Example.COM', 'www.example.com:443', 'other.example', 'other.example:1', '127.0.0.1']) {
        assert.equal((await rawRequest(site.port, '/page.txt', { host })).status, 200, host);
      }
      for (const host of ['example.com', 'evil.www.example.com', 'www.example.com.evil']) {
        assert.equal((await rawRequest(site.port, '/page.txt', { host })).status, 421, host);
      }
    } finally {
      await site.close();
    }
  });

  it("answers any Host with '*' (behind a proxy that checks Host)", async () => {
    const site = await startSiteServer({ root, allowedHosts: '*' });
    try {
      assert.equal((await rawRequest(site.port, '/page.txt', { host: 'anything.example' })).status, 200);
    } finally {
      await site.close();
    }
  });

  it('refuses to start with a malformed name', async () => {
    const started = startSiteServer({ root, allowedHosts: ['http://example.com/'] });
    await assert.rejects(
      started.then((site) => site.close()),
      /not a host name/,
    );
  });
});
