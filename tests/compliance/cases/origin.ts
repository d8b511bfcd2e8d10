/**
 * The origin policy at the upgrade, in any runtime (the suite allows one origin): pages of
 * other origins never get a socket on either route; Origin-less clients (Node and desktop
 * WebTorrent) may use the tracker, not the signaling route.
 */
import assert from 'node:assert/strict';
import type { ComplianceCase } from '../support/case.ts';
import { refusedUpgradeStatus } from '../support/signal-client.ts';

export const originCases: readonly ComplianceCase[] = [
  {
    name: 'origin: the signaling route refuses a foreign or missing Origin with 403 and accepts the listed one',
    async run({ server, signal }) {
      assert.equal(await refusedUpgradeStatus(server.url, 'https://evil.example'), 403);
      assert.equal(await refusedUpgradeStatus(server.url), 403);
      const allowed = await signal('origin.example');
      await allowed.join('allowed');
    },
  },
  {
    name: 'origin: the tracker refuses a foreign Origin with 403 and accepts a client without one',
    async run({ server, tracker }) {
      assert.equal(await refusedUpgradeStatus(server.trackerUrl, 'https://evil.example'), 403);
      const client = await tracker();
      await client.assertServed();
    },
  },
];
