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
import { startSiteServer } from '../../signal-worker/adapter/node/index.ts';
import { refusedUpgradeStatus } from '../compliance/support/signal-client.ts';
import { binaryId, TrackerClient } from '../compliance/support/tracker-client.ts';

describe('tracker route', () => {
  it('is served by startSiteServer on the site origin, refusing pages of other origins', async () => {
    const root = await mkdtemp(join(tmpdir(), 'peer-connect-site-'));
    const server = await startSiteServer({ root });
    try {
      assert.equal(server.trackerUrl, `${server.url.replace(/^http/, 'ws').replace(/\/$/, '')}/peer-connect/announce`);
      assert.equal(await refusedUpgradeStatus(server.trackerUrl, 'https://elsewhere.example'), 403);
      const page = await TrackerClient.connect(server.trackerUrl, server.url.replace(/\/$/, ''));
      assert.equal((await page.announce(binaryId('h'), 'p'.repeat(20))).complete, 1);
      assert.equal(server.trackerStats().peers, 1);
      await page.close();
    } finally {
      await server.close();
      await rm(root, { recursive: true, force: true });
    }
  });
});
