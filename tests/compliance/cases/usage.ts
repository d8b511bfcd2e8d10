/**
 * Issue 15 over real sockets, on every runtime: a `report` is counted in its swarm's dashboard
 * data and metrics (read over HTTP with the token, `?swarm=` so a sharded runtime asks the
 * swarm's object); a malformed report is refused; reports past the burst are dropped without
 * closing; the routes refuse without the token; the configured mode reaches joiners, and a mode
 * set through the authenticated switch reaches an open socket at once.
 */
import assert from 'node:assert/strict';
import { REPORT_BURST } from '../../../protocol/limits.ts';
import { DEFAULT_DASHBOARD_PATH, DEFAULT_METRICS_PATH, DEFAULT_P2P_PATH } from '../../../protocol/routes.ts';
import type { UsageReport } from '../../../protocol/usage-report.ts';
import type { DashboardData } from '../../../signal-worker/dashboard/usage-view.ts';
import type { RuntimeServer } from '../../runtimes/types.ts';
import type { ComplianceCase } from '../support/case.ts';
import { COMPLIANCE_TOKEN, OFF_SWARM } from '../support/config.ts';
import { hash } from '../support/signal-client.ts';
import { eventually } from '../support/wait.ts';

const originOf = (server: RuntimeServer): string => new URL(server.healthUrl).origin;
const auth = { Authorization: `Bearer ${COMPLIANCE_TOKEN}` };

const report = (peer: number): UsageReport => ({
  type: 'report',
  bytes: { peer, origin: 4096, cache: 0, webSeed: 0, uploaded: peer },
  failures: 1,
  badPieces: 0,
  bans: 0,
  assets: [{ hash: hash(7), path: 'img/a.jpg', peer }],
});

async function data(server: RuntimeServer, swarm: string): Promise<DashboardData> {
  const response = await fetch(`${originOf(server)}${DEFAULT_DASHBOARD_PATH}/data?swarm=${swarm}`, { headers: auth });
  assert.equal(response.status, 200);
  return (await response.json()) as DashboardData;
}

export const usageCases: readonly ComplianceCase[] = [
  {
    name: 'usage: a report is counted in its swarm’s dashboard data and metrics, apart from what the server counted',
    async run({ server, signal }) {
      const swarm = 'usage.example';
      const client = await signal(swarm);
      await client.join('reporter');
      client.send(report(65536));
      await eventually(async () => (await data(server, swarm)).reported.peer === 65536, 'the report in the dashboard data');
      const d = await data(server, swarm);
      assert.equal(d.swarm, swarm);
      assert.equal(d.reported.failures, 1);
      assert.equal(d.server.peersOnline, 1);
      assert.ok(d.server.joins >= 1);
      assert.deepEqual(d.top, [{ hash: hash(7), path: 'img/a.jpg', peer: 65536 }]);
      const metrics = await fetch(`${originOf(server)}${DEFAULT_METRICS_PATH}?swarm=${swarm}`, { headers: auth });
      assert.equal(metrics.status, 200);
      assert.match(metrics.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      assert.match(await metrics.text(), /^peer_connect_reported_bytes_total\{swarm="usage\.example",source="peer"\} 65536$/m);
      await client.assertServed();
    },
  },
  {
    name: 'usage: a report with negative bytes is refused with malformed and a close',
    async run({ signal }) {
      const client = await signal('usage-bad.example');
      await client.join('liar');
      client.sendRaw(JSON.stringify({ ...report(1), bytes: { peer: -65536 } }));
      await client.assertRefused('malformed');
    },
  },
  {
    name: 'usage: reports past the burst are dropped (report-dropped) and the socket stays open',
    async run({ server, signal }) {
      const swarm = 'usage-burst.example';
      const client = await signal(swarm);
      await client.join('chatty');
      for (let i = 0; i <= REPORT_BURST; i++) client.send(report(1000));
      assert.equal((await client.next('error')).code, 'report-dropped');
      await client.assertServed();
      await eventually(async () => (await data(server, swarm)).reported.reports === REPORT_BURST, `${REPORT_BURST} reports counted`);
      assert.equal((await data(server, swarm)).reported.peer, REPORT_BURST * 1000);
    },
  },
  {
    name: 'usage: the dashboard, its data, the metrics and the switch answer 401 without the token',
    async run({ server }) {
      const origin = originOf(server);
      for (const path of [DEFAULT_DASHBOARD_PATH, `${DEFAULT_DASHBOARD_PATH}/data`, DEFAULT_METRICS_PATH, DEFAULT_P2P_PATH]) {
        assert.equal((await fetch(`${origin}${path}?swarm=usage.example`)).status, 401, path);
        const wrong = await fetch(`${origin}${path}?swarm=usage.example`, { headers: { Authorization: 'Bearer not-the-token-0123456' } });
        assert.equal(wrong.status, 401, path);
      }
      const post = await fetch(`${origin}${DEFAULT_P2P_PATH}?swarm=usage.example`, { method: 'POST', body: '{"*":"off"}' });
      assert.equal(post.status, 401);
    },
  },
  {
    name: 'p2p: joined carries the configured mode; the authenticated switch tells an open socket at once',
    async run({ server, signal }) {
      const off = await signal(OFF_SWARM);
      assert.equal((await off.join('off-peer')).mode, 'off');
      const swarm = 'switch.example';
      const client = await signal(swarm);
      assert.equal((await client.join('switched')).mode, 'on');
      const modes = { [OFF_SWARM]: 'off', [swarm]: 'download-only' };
      const post = await fetch(`${originOf(server)}${DEFAULT_P2P_PATH}?swarm=${swarm}`, {
        method: 'POST',
        headers: { ...auth, 'Content-Type': 'application/json' },
        body: JSON.stringify(modes),
      });
      assert.equal(post.status, 200);
      assert.deepEqual(await client.next('p2p-mode'), { type: 'p2p-mode', mode: 'download-only' });
      const bad = await fetch(`${originOf(server)}${DEFAULT_P2P_PATH}?swarm=${swarm}`, {
        method: 'POST',
        headers: auth,
        body: '{"*":"pause"}',
      });
      assert.equal(bad.status, 400);
    },
  },
];
