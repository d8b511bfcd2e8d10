/**
 * Review of issue 15: in an `off` swarm, pages must make no P2P links ("off: no P2P, links
 * closed"). Two visitors view pages of a swarm switched off before they came; after the views
 * settle, neither holds an open link.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { launchVisitor, type Visitor } from './harness/browser.ts';
import { DASHBOARD_TOKEN, setP2pModes } from './harness/dashboard.ts';
import { settle, startSite, stats, type TestSite, viewPages } from './harness/site.ts';

describe('the P2P switch at off', () => {
  let site: TestSite | undefined;
  const visitors: Visitor[] = [];

  before(async () => {
    site = await startSite({ signal: { dashboardToken: DASHBOARD_TOKEN } });
  });

  after(async () => {
    for (const v of visitors) await v.close();
    await site?.close();
  });

  test('pages joining an off swarm open no WebRTC link', { timeout: 240_000 }, async () => {
    assert.ok(site);
    const s = site;
    await setP2pModes(s, { '*': 'off' });
    const [v1, v2] = [await launchVisitor('v1'), await launchVisitor('v2')];
    visitors.push(v1, v2);
    await viewPages(v1, s, ['gallery.html']);
    await settle(s);
    await viewPages(v2, s, ['gallery.html']);
    await settle(s);
    await new Promise((r) => setTimeout(r, 5000));
    const [a, b] = [await stats(v1.page), await stats(v2.page)];
    console.log(`off: v1 ${a.siteMode} peers=${a.peers}, v2 ${b.siteMode} peers=${b.peers}`);
    assert.equal(a.siteMode, 'off');
    assert.equal(b.siteMode, 'off');
    assert.equal(a.peers + b.peers, 0, 'pages of an off swarm linked to each other');
  });
});
