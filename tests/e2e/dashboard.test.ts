/**
 * Issue 15: the site owner's dashboard and metrics, against real visitors. After two visitors
 * exchanged pieces, the dashboard (opened in Chromium with the token) shows the peers online the
 * server counts, and the bytes from peers visitors reported match what the origin counting
 * server implies (what their pages used minus what it sent them) within 10%. Without the token
 * it refuses. The metrics, parsed as Prometheus text, move as visitors load pages.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_DASHBOARD_PATH, DEFAULT_METRICS_PATH } from '../../protocol/routes.ts';
import { launchVisitor, type Visitor } from './harness/browser.ts';
import { DASHBOARD_TOKEN, dashboardData, metrics, metricValue, resultsPath, signalOrigin } from './harness/dashboard.ts';
import { assetBytes, originUse, settle, startSite, type TestSite, viewPage, viewPages, waitUntil } from './harness/site.ts';

const PAGES = ['index.html', 'gallery.html'];

describe('dashboard and metrics', () => {
  let site: TestSite | undefined;
  const visitors: Visitor[] = [];

  before(async () => {
    site = await startSite({ signal: { dashboardToken: DASHBOARD_TOKEN } });
  });

  after(async () => {
    for (const v of visitors) await v.close();
    await site?.close();
  });

  test('the dashboard shows peers online and bytes from peers matching the origin’s count within 10%', { timeout: 180_000 }, async () => {
    assert.ok(site);
    const s = site;
    const v1 = await launchVisitor('v1');
    visitors.push(v1);
    const s1 = await viewPages(v1, s, PAGES);
    await settle(s);
    const v2 = await launchVisitor('v2');
    visitors.push(v2);
    const s2 = await viewPages(v2, s, PAGES);
    await settle(s);
    // Leaving a page reports it (pagehide); v2 comes back to the first page, so both stay online.
    await viewPage(v2.page, s, 'index.html');
    await viewPage(v1.page, s, 'index.html');
    // What the origin's own counts imply came from peers: the assets each visitor's pages used,
    // minus the asset bytes the origin sent it.
    const implied = [
      { name: 'v1', keys: s1.keys },
      { name: 'v2', keys: s2.keys },
    ].reduce((n, v) => n + Math.max(0, assetBytes(s, v.keys) - originUse(s, v.name, v.keys).pageAssetBytes), 0);
    assert.ok(implied > 300_000, `the visitors exchanged too little to measure: ${implied} B`);

    const data = await waitUntil('the reports to arrive', 60_000, async () => {
      const d = await dashboardData(s);
      return d.reported.peer >= implied * 0.9 && d.server.peersOnline === 2 ? d : undefined;
    }).catch(async (error: Error) => {
      throw new Error(`${error.message}: ${JSON.stringify((await dashboardData(s)).reported)}; implied ${implied}`);
    });
    console.log(
      `dashboard: reported from peers ${data.reported.peer} B, origin's count implies ${implied} B ` +
        `(${((100 * data.reported.peer) / implied).toFixed(1)}%); from origin ${data.reported.origin} B, cache ${data.reported.cache} B, ` +
        `uploaded ${data.reported.uploaded} B; ${data.reported.reports} reports, ${data.server.joins} joins, ${data.server.relays} relays`,
    );
    assert.ok(Math.abs(data.reported.peer - implied) <= implied * 0.1, `reported ${data.reported.peer} vs implied ${implied}`);

    // The page itself, in Chromium, with the token in its URL.
    const owner = await launchVisitor('owner');
    visitors.push(owner);
    const page = owner.page;
    const response = await page.goto(`${signalOrigin(s)}${DEFAULT_DASHBOARD_PATH}?token=${DASHBOARD_TOKEN}`, { waitUntil: 'load' });
    assert.equal(response?.status(), 200);
    await page.waitForSelector('body[data-state="live"]', { timeout: 30_000 });
    await page.waitForFunction(() => document.querySelector('#chart-bytes canvas') !== null, undefined, { timeout: 30_000 });
    const shown = await page.evaluate(() => ({
      peersOnline: Number(document.getElementById('peers-online')?.dataset.value),
      fromPeers: Number(document.getElementById('bytes-from-peers')?.dataset.value),
      savedToday: Number(document.getElementById('saved-today')?.dataset.value),
      url: location.href,
      charts: document.querySelectorAll('.uplot').length,
    }));
    console.log(`dashboard page: ${JSON.stringify(shown)}`);
    assert.equal(shown.peersOnline, 2);
    assert.ok(Math.abs(shown.fromPeers - implied) <= implied * 0.1, `page shows ${shown.fromPeers} vs implied ${implied}`);
    assert.equal(shown.savedToday, shown.fromPeers, 'every byte was reported today');
    assert.equal(shown.charts, 4, 'four uPlot charts');
    assert.ok(!shown.url.includes('token'), 'the token is taken out of the address bar');
    await page.setViewportSize({ width: 1280, height: 1100 });
    await page.screenshot({ path: await resultsPath('dashboard.png'), fullPage: true });

    // Live: one more page view shows up without a reload.
    const before = shown.fromPeers;
    await viewPage(v2.page, s, 'gallery.html');
    await viewPage(v2.page, s, 'index.html');
    await page.waitForFunction(
      (n) => Number(document.getElementById('reports')?.dataset.value) > n,
      Number(await page.evaluate(() => document.getElementById('reports')?.dataset.value)),
      { timeout: 30_000 },
    );
    assert.ok((await page.evaluate(() => Number(document.getElementById('bytes-from-cache')?.dataset.value))) >= 0);
    assert.ok(before > 0);
  });

  test('without the token the dashboard, its data and the metrics refuse (401), also in Chromium', { timeout: 60_000 }, async () => {
    assert.ok(site);
    const origin = signalOrigin(site);
    for (const path of [DEFAULT_DASHBOARD_PATH, `${DEFAULT_DASHBOARD_PATH}/data`, DEFAULT_METRICS_PATH]) {
      assert.equal((await fetch(`${origin}${path}`)).status, 401, path);
      assert.equal((await fetch(`${origin}${path}?token=not-the-token-at-all`)).status, 401, path);
    }
    const stranger = await launchVisitor('stranger');
    visitors.push(stranger);
    const response = await stranger.page.goto(`${origin}${DEFAULT_DASHBOARD_PATH}`);
    assert.equal(response?.status(), 401);
    assert.doesNotMatch(await stranger.page.content(), /peers-online/);
  });

  test('metrics parse as Prometheus text and move as visitors load pages', { timeout: 90_000 }, async () => {
    assert.ok(site);
    const s = site;
    const first = await metrics(s);
    const joins = metricValue(first, 'peer_connect_joins_total');
    const messages = metricValue(first, 'peer_connect_messages_total');
    const reported = metricValue(first, 'peer_connect_reported_bytes_total', { source: 'peer' });
    assert.ok(reported > 0, 'bytes from peers were reported');
    assert.ok(metricValue(first, 'process_resident_memory_bytes') > 0);
    const v3 = await launchVisitor('v3');
    visitors.push(v3);
    await viewPages(v3, s, PAGES);
    await viewPage(v3.page, s, 'index.html');
    const later = await waitUntil('metrics to move', 30_000, async () => {
      const m = await metrics(s);
      return metricValue(m, 'peer_connect_reported_bytes_total', { source: 'peer' }) > reported ? m : undefined;
    });
    console.log(
      `metrics: joins ${joins} → ${metricValue(later, 'peer_connect_joins_total')}, messages ${messages} → ${metricValue(later, 'peer_connect_messages_total')}, ` +
        `reported peer bytes ${reported} → ${metricValue(later, 'peer_connect_reported_bytes_total', { source: 'peer' })}`,
    );
    assert.ok(metricValue(later, 'peer_connect_joins_total') >= joins + 3, 'three page views, three joins');
    assert.ok(metricValue(later, 'peer_connect_messages_total') > messages);
    assert.equal(metricValue(later, 'peer_connect_p2p_mode', { mode: 'on' }), 1);
  });
});
