/**
 * The asset table out of the worker (issue 14), in Chromium: the worker's script inlines only the
 * key set and the table's root, and fetches `peer-connect-assets/<root>.json` at install (a site
 * of a few hundred files, past ASSET_TABLE_INLINE_MAX_BYTES; a smaller table is inlined, which
 * every other e2e file's site exercises).
 *
 * - A worker restarted by the browser (the whole process closed, the same profile) reads its table
 *   back from IndexedDB, without the network, and serves from peers; one whose stored table was
 *   cleared (evicted) fetches it again and serves from peers once it has it.
 * - A table the origin serves tampered is never used: a running worker whose stored table is gone
 *   leaves every asset request to the network (even assets it has stored: right bytes, whole from
 *   the origin, by the origin's count), and a newcomer's worker does not install at all.
 */

import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { ASSET_TABLE_DIR, assetTablePath } from '../../protocol/asset-table.ts';
import { ASSET_TABLE_INLINE_MAX_BYTES } from '../../protocol/limits.ts';
import { assetTableKey } from '../../protocol/store-keys.ts';
import { launchVisitor, type Visitor } from './harness/browser.ts';
import {
  assetBytes,
  checkAssets,
  describeBad,
  fetchAll,
  originUse,
  pct,
  settle,
  startSite,
  storedDigests,
  type TestSite,
  waitForReady,
  waitUntil,
  waitUntilSeeding,
} from './harness/site.ts';
import { sha256, type VersionedSite, writeVersionedSite } from './harness/versioned-site.ts';

/** Fetched after the first restart, and after the cleared table: each from peers, never stored before. */
const AFTER_RESTART = ['whole.bin', 'partial.bin', 'keep.bin'];
const AFTER_CLEARED = ['same.bin', 'grow.bin', 'shrink.bin'];
const ALL = [...AFTER_RESTART, ...AFTER_CLEARED];
const MIN_PEER_SHARE = 0.9;
/** Small files that make the table one the worker fetches rather than one the build inlines. */
const PADDING_FILES = 200;

/** Deletes the worker's stored asset table (as the browser evicting it would). */
const clearStoredTable = (page: Page, key: string): Promise<void> =>
  page.evaluate(async (k) => {
    const db = await new Promise<IDBDatabase>((res, rej) => {
      const r = indexedDB.open('peer-connect');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    await new Promise<void>((res, rej) => {
      const tx = db.transaction('pieces', 'readwrite');
      tx.objectStore('pieces').delete(k);
      tx.oncomplete = () => res();
      tx.onerror = () => rej(tx.error);
    });
    db.close();
  }, key);

describe('asset table', () => {
  let site: TestSite;
  let versions: VersionedSite;
  let root: string;
  const visitors: Visitor[] = [];
  let b: Visitor;

  before(async () => {
    versions = await writeVersionedSite(1);
    // Past ASSET_TABLE_INLINE_MAX_BYTES, so the worker fetches its table (a small one is inlined).
    await mkdir(join(versions.dir(1), 'pad'));
    for (let i = 0; i < PADDING_FILES; i++) await writeFile(join(versions.dir(1), 'pad', `file-${i}.txt`), `padding ${i}\n`);
    site = await startSite({ siteDir: versions.dir(1) });
    const tables = await readdir(join(site.outDir, ASSET_TABLE_DIR));
    assert.equal(tables.length, 1);
    root = tables[0]!.replace(/\.json$/, '');
    const tableBytes = (await stat(join(site.outDir, ASSET_TABLE_DIR, tables[0]!))).size;
    assert.ok(tableBytes > ASSET_TABLE_INLINE_MAX_BYTES, `the table (${tableBytes} B) must be one the worker fetches`);
    assert.ok(
      !(await readFile(join(site.outDir, 'peer-connect-sw.js'), 'utf8')).includes('pad/file-0.txt'),
      'the table is not inlined (only hashes of its keys are)',
    );
  });
  after(async () => {
    for (const v of visitors) await v.close();
    await site?.close();
  });

  const tableRequests = (visitor: string): number =>
    site.origin.snapshot({ visitor }).requests.filter((r) => r.path === `/${assetTablePath(root)}`).length;

  test('a restarted worker reads its table back and serves from peers; a cleared table is fetched again', {
    timeout: 150_000,
  }, async () => {
    const seeder = await launchVisitor('seeder');
    visitors.push(seeder);
    await seeder.open(site.url('index.html'));
    await waitForReady(seeder.page);
    const seeded = await checkAssets(seeder.page, site, ALL);
    assert.equal(seeded.filter((c) => !c.ok).length, 0, describeBad(seeded));
    await waitUntilSeeding(site, ALL, 30_000);

    b = await launchVisitor('b');
    visitors.push(b);
    await b.open(site.url('index.html'));
    await waitForReady(b.page);
    assert.equal(tableRequests('b'), 1, 'the table is fetched once, at install');
    assert.equal((await storedDigests(b.page))[assetTableKey(root)], root, 'stored: bytes that hash to the root');

    // 1. The browser process closed and started again: nothing in memory, the table in IndexedDB.
    await b.restart();
    site.origin.reset();
    await b.open(site.url('index.html'));
    await waitForReady(b.page, 20_000);
    const restarted = await checkAssets(b.page, site, AFTER_RESTART);
    await settle(site);
    assert.equal(restarted.filter((c) => !c.ok).length, 0, describeBad(restarted));
    const use1 = originUse(site, 'b', AFTER_RESTART);
    const share1 = 1 - use1.pageAssetBytes / assetBytes(site, AFTER_RESTART);
    assert.equal(tableRequests('b'), 0, 'a restarted worker reads its table from storage, not the network');
    assert.ok(share1 >= MIN_PEER_SHARE, `after a restart, peers gave ${pct(share1)}: ${JSON.stringify(use1.byPath)}\n${b.dump(30)}`);
    assert.ok(
      restarted.every((c) => c.source === 'peer'),
      `sources ${restarted.map((c) => c.source)}`,
    );

    // 2. The stored table gone (evicted), and the worker restarted without it.
    await clearStoredTable(b.page, assetTableKey(root));
    await b.restart();
    site.origin.reset();
    await b.open(site.url('index.html'));
    await waitForReady(b.page, 20_000);
    await waitUntil('the table fetched again and stored', 20_000, async () =>
      (await storedDigests(b.page))[assetTableKey(root)] === root ? true : undefined,
    );
    assert.equal(tableRequests('b'), 1, 'fetched again, once');
    site.origin.reset();
    const refetched = await checkAssets(b.page, site, AFTER_CLEARED);
    await settle(site);
    assert.equal(refetched.filter((c) => !c.ok).length, 0, describeBad(refetched));
    const use2 = originUse(site, 'b', AFTER_CLEARED);
    const share2 = 1 - use2.pageAssetBytes / assetBytes(site, AFTER_CLEARED);
    assert.ok(share2 >= MIN_PEER_SHARE, `after a cleared table, peers gave ${pct(share2)}: ${JSON.stringify(use2.byPath)}\n${b.dump(30)}`);
    console.log(
      `asset-table: restarted worker: table from storage, ${AFTER_RESTART.join('/')} from ${restarted.map((c) => c.source).join('/')}, ` +
        `peers ${pct(share1)}; cleared table: fetched again 1×, ${AFTER_CLEARED.join('/')} from ${refetched.map((c) => c.source).join('/')}, peers ${pct(share2)}`,
    );
  });

  test('a tampered table is refused: every request passes through (right bytes, whole from the origin); a newcomer does not install', {
    timeout: 120_000,
  }, async () => {
    assert.ok(b, 'runs after the first test');
    const file = join(site.outDir, assetTablePath(root));
    const tampered = await readFile(file);
    // Same length, same JSON shape: one digit of a size changed.
    const at = tampered.indexOf('"size":') + '"size":'.length;
    tampered[at] = tampered[at] === 0x31 ? 0x32 : 0x31;
    await writeFile(file, tampered);

    // A running worker that lost its stored table: the refetched one fails its root.
    await clearStoredTable(b.page, assetTableKey(root));
    await b.restart();
    site.origin.reset();
    await b.open(site.url('index.html'));
    await waitUntil('the tampered table fetched', 20_000, async () => (tableRequests('b') > 0 ? true : undefined));
    const got = await fetchAll(b.page, ALL);
    await settle(site);
    for (const g of got) {
      assert.equal(g.status, 200, g.path);
      assert.equal(g.digest, sha256(versions.file(g.path).versions[0]!), `${g.path}: the file's bytes`);
      assert.equal(g.source, null, `${g.path}: passed through, not answered by the worker (stored, yet not used)`);
    }
    const snap = site.origin.snapshot({ visitor: 'b' });
    for (const path of ALL) {
      const whole = snap.requests.filter((r) => r.path === `/${path}` && r.range === null && r.status === 200);
      assert.equal(whole.length, 1, `${path}: one whole request from the origin`);
      assert.equal(whole[0]!.bodyBytes, versions.file(path).versions[0]!.byteLength, `${path}: every byte from the origin`);
    }
    assert.equal((await storedDigests(b.page))[assetTableKey(root)], undefined, 'the refused table is not stored');
    const said = b.log.find((l) => l.text.includes('asset-table-root'));
    assert.ok(said, `the worker says why it refused the table:\n${b.dump(20)}`);

    // A newcomer: its worker cannot install without a table that matches its root.
    const c = await launchVisitor('c');
    visitors.push(c);
    await c.open(site.url('index.html'));
    await waitUntil('the newcomer fetched the table', 20_000, async () => (tableRequests('c') > 0 ? true : undefined));
    await settle(site);
    const state = await c.page.evaluate(async () => {
      const reg = await navigator.serviceWorker.getRegistration();
      return { controlled: navigator.serviceWorker.controller !== null, active: reg?.active !== null && reg?.active !== undefined };
    });
    assert.deepEqual(state, { controlled: false, active: false }, 'no worker activated without its table');
    site.origin.reset();
    const cGot = await fetchAll(c.page, AFTER_RESTART);
    for (const g of cGot) {
      assert.equal(g.digest, sha256(versions.file(g.path).versions[0]!), `${g.path}: the file's bytes`);
      assert.equal(g.source, null, g.path);
    }
    assert.equal(originUse(site, 'c', AFTER_RESTART).pageAssetBytes, assetBytes(site, AFTER_RESTART), 'all from the origin');
    console.log(
      `asset-table: tampered table: running worker passed ${ALL.length} assets through (origin sent each whole); ` +
        `newcomer controlled=${state.controlled}; worker console: ${said.text}`,
    );
  });
});
