/**
 * The tracker route on startSiteServer, the Node-only entry point: served on the site's origin,
 * with that origin as the default policy. The route itself over the network (every runtime) is
 * in tests/compliance.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import WebSocket from 'ws';
import { startSiteServer } from '../../signal-worker/adapter/node/index.ts';

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

describe('tracker route', () => {
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
