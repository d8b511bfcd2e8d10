/**
 * The tracker route over real sockets: served by both Node entry points, origin policy on the
 * upgrade, a bad frame closing only its own connection.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import { startSignalServer, startSiteServer } from '../../signal-worker/adapter/node/index.ts';

const HASH = 'h'.repeat(19) + '\u00ff';

function open(url: string, origin?: string): Promise<WebSocket> {
  const ws = new WebSocket(url, origin ? { origin } : {});
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
  });
}

function nextMessage(ws: WebSocket): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no message within 5 s')), 5_000);
    ws.once('message', (data) => {
      clearTimeout(timer);
      resolve(JSON.parse(String(data)) as Record<string, unknown>);
    });
  });
}

function closed(ws: WebSocket): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('not closed within 5 s')), 5_000);
    ws.once('close', (code) => {
      clearTimeout(timer);
      resolve(code);
    });
  });
}

describe('tracker route', () => {
  it('is served by startSignalServer, and a binary frame closes only that connection', async () => {
    const server = await startSignalServer();
    try {
      assert.match(server.trackerUrl, /^ws:\/\/127\.0\.0\.1:\d+\/peer-connect\/announce$/);
      const good = await open(server.trackerUrl);
      const bad = await open(server.trackerUrl);
      const badClosed = closed(bad);
      bad.send(Buffer.from([1, 2, 3]));
      assert.equal(await badClosed, 1008);
      const reply = nextMessage(good);
      good.send(JSON.stringify({ action: 'scrape', info_hash: HASH }));
      assert.deepEqual((await reply).files, { [HASH]: { complete: 0, incomplete: 0, downloaded: 0 } });
      good.close();
    } finally {
      await server.close();
    }
  });

  it('is served by startSiteServer on the site origin, refusing pages of other origins', async () => {
    const root = await mkdtemp(join(tmpdir(), 'peer-connect-site-'));
    const server = await startSiteServer({ root });
    try {
      assert.equal(server.trackerUrl, server.url.replace(/^http/, 'ws').replace(/\/$/, '') + '/peer-connect/announce');
      await assert.rejects(open(server.trackerUrl, 'https://elsewhere.example'), /HTTP 403/);
      const page = await open(server.trackerUrl, server.url.replace(/\/$/, ''));
      const reply = nextMessage(page);
      page.send(JSON.stringify({ action: 'announce', info_hash: HASH, peer_id: 'p'.repeat(20), event: 'started', left: 0 }));
      assert.equal((await reply).complete, 1);
      assert.equal(server.trackerStats().peers, 1);
      page.close();
    } finally {
      await server.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});
