/**
 * Files the host protects: the origin answers 401 without the members' cookie (as Netlify,
 * Cloudflare Access or nginx `auth_basic` do). Excluded with `--exclude`, a file never enters the
 * manifest or the swarm: a stranger gets the origin's 401 through its own worker even while a
 * member holds the file, a member still reads it, and the public worker script does not name it.
 * A protected file left in the manifest by mistake, asked of the origin by the worker, reaches a
 * stranger as the origin's own 401, not as a network error.
 */

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { ASSET_TABLE_DIR } from '../../protocol/asset-table.ts';
import { launchVisitor, type Visitor } from './harness/browser.ts';
import { settle, startSite, type TestSite, waitForReady } from './harness/site.ts';
import { sha256, writeVersionedSite } from './harness/versioned-site.ts';

const COOKIE = { name: 'member', value: 'yes' };
const MINUTES = new Uint8Array(randomBytes(300 * 1024));
const AGENDA = new Uint8Array(randomBytes(200 * 1024));

interface Got {
  status: number;
  sha256: string;
  text: string;
  source: string | null;
}

const fetchIn = (page: Page, path: string): Promise<Got> =>
  page.evaluate(async (p) => {
    const r = await fetch(p);
    const body = await r.arrayBuffer();
    const hex = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', body)), (b) => b.toString(16).padStart(2, '0')).join('');
    return {
      status: r.status,
      sha256: hex,
      text: r.status === 200 ? '' : new TextDecoder().decode(body),
      source: r.headers.get('x-peer-connect-source'),
    };
  }, path);

describe('private files', () => {
  let site: TestSite;
  const visitors: Visitor[] = [];

  before(async () => {
    const versions = await writeVersionedSite(1);
    const dir = versions.dir(1);
    await mkdir(join(dir, 'members'), { recursive: true });
    await writeFile(join(dir, 'members', 'minutes.pdf'), MINUTES);
    // Protected by the host too, but left in the manifest (the owner forgot to exclude it).
    await writeFile(join(dir, 'members', 'agenda.bin'), AGENDA);
    site = await startSite({
      siteDir: dir,
      build: { exclude: ['members/*.pdf'] },
      origin: { protect: { prefix: '/members/', cookie: `${COOKIE.name}=${COOKIE.value}` } },
    });
  });
  after(async () => {
    for (const v of visitors) await v.close();
    await site?.close();
  });

  test('an excluded file is neither in the manifest nor named by the public worker script or its asset table', async () => {
    assert.equal('members/minutes.pdf' in site.manifest.assets, false);
    assert.equal('members/agenda.bin' in site.manifest.assets, true, 'the control: a file not excluded is an asset');
    const worker = await (await fetch(`${site.origin.url}/peer-connect-sw.js`)).text();
    const [table] = await readdir(join(site.outDir, ASSET_TABLE_DIR));
    const published = await (await fetch(`${site.origin.url}/${ASSET_TABLE_DIR}/${table}`)).text();
    assert.equal(worker.includes('minutes.pdf') || published.includes('minutes.pdf'), false);
    assert.equal(published.includes('agenda.bin'), true, 'the control: the asset table does name assets');
  });

  test("a member reads it, a stranger gets the origin's 401 while the member is online", { timeout: 90_000 }, async () => {
    const member = await launchVisitor('member');
    visitors.push(member);
    await member.context.addCookies([{ ...COOKIE, url: site.origin.url }]);
    await member.page.goto(site.url('index.html'), { waitUntil: 'load' });
    await waitForReady(member.page);
    const own = await fetchIn(member.page, 'members/minutes.pdf');
    assert.equal(own.status, 200);
    assert.equal(own.sha256, sha256(MINUTES));
    assert.equal(own.source, null, 'the origin answered, not the worker');
    const agenda = await fetchIn(member.page, 'members/agenda.bin');
    assert.equal(agenda.status, 200, "the worker asks the origin with the page's cookies");
    assert.equal(agenda.sha256, sha256(AGENDA));
    await settle(site);

    const stranger = await launchVisitor('stranger');
    visitors.push(stranger);
    await stranger.page.goto(site.url('index.html'), { waitUntil: 'load' });
    await waitForReady(stranger.page);
    const got = await fetchIn(stranger.page, 'members/minutes.pdf');
    assert.equal(got.status, 401, `stranger got ${got.status} (${got.source ?? 'network'})`);
    assert.equal(got.text, 'members only\n');
    const snap = site.origin.snapshot({ visitor: 'stranger' });
    assert.equal(snap.byPath.get('/members/minutes.pdf')?.requests, 1, "the stranger's request went to the origin");
  });

  test("a protected file left in the manifest: a stranger no peer can serve gets the origin's own 401", { timeout: 60_000 }, async () => {
    const alone = await launchVisitor('alone');
    visitors.push(alone);
    for (const v of visitors.filter((x) => x !== alone)) await v.closeBrowser(); // no peer holds it
    await alone.page.goto(site.url('index.html'), { waitUntil: 'load' });
    await waitForReady(alone.page);
    const got = await fetchIn(alone.page, 'members/agenda.bin');
    assert.equal(got.status, 401, `got ${got.status}`);
    assert.equal(got.text, 'members only\n', "the origin's own body");
  });
});
