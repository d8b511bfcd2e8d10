/**
 * Requests the worker must leave to the network, proven with the origin's own counts: a page
 * demanding a fresh copy (cache modes, Cache-Control/Pragma, Authorization) reaches the origin
 * even when the worker holds the file; a controlled page without our bridge (a host's own page,
 * HTML the build did not process) is not held waiting for a bridge that will never come.
 */

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { launchVisitor, type Visitor } from './harness/browser.ts';
import { startSite, storedDigests, type TestSite, waitForReady, waitUntil } from './harness/site.ts';
import { sha256, type VersionedSite, writeVersionedSite } from './harness/versioned-site.ts';

interface Got {
  status: number;
  sha256: string;
  source: string | null;
}

describe('pass-through', () => {
  let versions: VersionedSite;
  let site: TestSite;
  let visitor: Visitor;

  before(async () => {
    versions = await writeVersionedSite(1);
    site = await startSite({ siteDir: versions.dir(1) });
    visitor = await launchVisitor('v1');
    await visitor.page.goto(site.url('index.html'), { waitUntil: 'load' });
    await waitForReady(visitor.page);
  });
  after(async () => {
    await visitor?.close();
    await site?.close();
  });

  const originRequests = (path: string): number => site.origin.snapshot({ visitor: 'v1' }).byPath.get(`/${path}`)?.requests ?? 0;
  const fetchIn = (init: { cache?: RequestCache; headers?: Record<string, string> }): Promise<Got> =>
    visitor.page.evaluate(async (i) => {
      const r = await fetch('whole.bin', i as RequestInit);
      const body = await r.arrayBuffer();
      const hex = Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', body)), (b) => b.toString(16).padStart(2, '0')).join('');
      return { status: r.status, sha256: hex, source: r.headers.get('x-peer-connect-source') };
    }, init);

  test('a demand for a fresh copy reaches the origin although the worker holds the file', { timeout: 60_000 }, async () => {
    const expected = sha256(versions.file('whole.bin').versions[0]!);
    const hash = site.manifest.assets['whole.bin']!.hash;
    await fetchIn({});
    await waitUntil('whole.bin stored', 10_000, async () =>
      (await storedDigests(visitor.page))[`a:${hash}`] !== undefined ? true : undefined,
    );
    await site.origin.idle();
    // The control: a plain request is answered from the worker's store, the origin sees nothing.
    const plainBefore = originRequests('whole.bin');
    const plain = await fetchIn({});
    assert.equal(plain.source, 'cache');
    assert.equal(originRequests('whole.bin'), plainBefore, 'a plain request did not reach the origin');
    const demands: Array<{ name: string; init: { cache?: RequestCache; headers?: Record<string, string> } }> = [
      { name: "cache: 'reload'", init: { cache: 'reload' } },
      { name: "cache: 'no-store'", init: { cache: 'no-store' } },
      { name: "cache: 'no-cache'", init: { cache: 'no-cache' } },
      { name: 'Cache-Control: no-cache', init: { headers: { 'Cache-Control': 'no-cache' } } },
      { name: 'Pragma: no-cache', init: { headers: { Pragma: 'no-cache' } } },
      { name: 'Authorization', init: { headers: { Authorization: 'Basic dTpw' } } },
      { name: 'If-Range', init: { headers: { Range: 'bytes=0-99', 'If-Range': '"an-old-etag"' } } },
    ];
    for (const { name, init } of demands) {
      const n = originRequests('whole.bin');
      const got = await fetchIn(init);
      await site.origin.idle();
      assert.equal(got.source, null, `${name}: not answered by the worker`);
      assert.equal(originRequests('whole.bin'), n + 1, `${name}: reached the origin`);
      assert.equal(got.status, 200, name);
      assert.equal(got.sha256, expected, `${name}: the origin's file`);
    }
  });

  test('a controlled page without our bridge goes to the origin at once', { timeout: 60_000 }, async () => {
    // A page the host serves that our build never saw (its own error page, HTML not named .html).
    await writeFile(
      join(site.outDir, 'raw.html'),
      `<!doctype html><title>raw</title><script>
        window.results = Promise.all(['partial.bin', 'grow.bin', 'shrink.bin'].map(async (p) => {
          const r = await fetch(p); await r.arrayBuffer(); return r.headers.get('x-peer-connect-source');
        }));
      </script>`,
    );
    await visitor.page.goto(site.url('raw.html'), { waitUntil: 'load' });
    assert.equal(await visitor.page.evaluate(() => navigator.serviceWorker.controller !== null), true, 'the page is controlled');
    const sources = await visitor.page.evaluate(() => (window as Window & { results?: Promise<Array<string | null>> }).results);
    assert.deepEqual(sources, [null, null, null], 'none held or answered by the worker');
    for (const path of ['partial.bin', 'grow.bin', 'shrink.bin']) assert.ok(originRequests(path) >= 1, `${path} reached the origin`);
  });
});
