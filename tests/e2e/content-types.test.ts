/**
 * The worker answers with the same Content-Type as the origin (issue #10, the `vtt-track` case):
 * a `<track>`'s WebVTT file and a Markdown file a script fetches, among others whose type the
 * build once got wrong. Each is fetched in the page twice: through the worker, and with
 * `cache: 'no-store'`, which the worker passes to the network, so the origin answers. A second
 * visitor gets the same files from the first, and still the origin's type.
 */

import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Page } from 'playwright-core';
import { writeFiles } from '../unit/build-helpers.ts';
import { launchVisitor, type Visitor } from './harness/browser.ts';
import { settle, startSite, storedDigests, type TestSite, viewPage, waitUntil, waitUntilSeeding } from './harness/site.ts';

const PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Lecture</title></head>
<body>
<h1>Lecture with captions</h1>
<video id="lecture" controls muted width="320" height="180">
  <track kind="subtitles" src="subs/en.vtt" srclang="en" label="English" default>
</video>
<p><a href="docs/notes.md">Notes (Markdown)</a></p>
</body></html>
`;
const FILES: Array<[string, string]> = [
  ['index.html', PAGE],
  ['subs/en.vtt', 'WEBVTT\n\n00:00.000 --> 00:02.000\nHello.\n'],
  ['docs/notes.md', '# Notes\n\nRead this before the lecture.\n'],
  ['img/still.jxl', 'not really a JPEG XL'],
  ['img/spinner.apng', 'not really an APNG'],
];
const ASSETS = FILES.map(([path]) => path).filter((p) => p !== 'index.html');

interface Answer {
  path: string;
  workerType: string | null;
  source: string | null;
  originType: string | null;
  originSource: string | null;
}

/** Both answers for each path, read in the page. */
function fetchBoth(page: Page, paths: string[]): Promise<Answer[]> {
  return page.evaluate(async (list) => {
    const out = [];
    for (const path of list) {
      const viaWorker = await fetch(path);
      await viaWorker.arrayBuffer();
      const viaNetwork = await fetch(path, { cache: 'no-store' });
      await viaNetwork.arrayBuffer();
      out.push({
        path,
        workerType: viaWorker.headers.get('content-type'),
        source: viaWorker.headers.get('x-peer-connect-source'),
        originType: viaNetwork.headers.get('content-type'),
        originSource: viaNetwork.headers.get('x-peer-connect-source'),
      });
    }
    return out;
  }, paths);
}

describe('content types', () => {
  let siteDir = '';
  let site: TestSite | undefined;
  const visitors: Visitor[] = [];

  before(async () => {
    siteDir = await mkdtemp(join(tmpdir(), 'pc-e2e-types-'));
    await writeFiles(siteDir, FILES);
    site = await startSite({ siteDir });
  });
  after(async () => {
    for (const v of visitors) await v.close();
    await site?.close();
    await rm(siteDir, { recursive: true, force: true });
  });

  test("the worker sends the origin's Content-Type, for bytes from the origin and from a peer", { timeout: 90_000 }, async () => {
    assert.ok(site);
    // v1 has nobody to ask; v2 asks v1 (`cache` for either: the page's own <track> may already
    // have brought the file into its worker's store).
    const sources = { v1: ['origin', 'cache'], v2: ['peer', 'cache'] };
    for (const name of ['v1', 'v2'] as const) {
      const v = await launchVisitor(name);
      visitors.push(v);
      // v2 arrives once v1 holds what the page uses and the server knows it (v1 fetches the rest below).
      if (name === 'v2') await waitUntilSeeding(site, ASSETS);
      await viewPage(v.page, site, 'index.html');
      // The page's own <track> asks for the .vtt as it loads; the test's fetches come after it is
      // stored, so each is answered once, not raced against the page's own request.
      const vtt = site.manifest.assets['subs/en.vtt']?.hash;
      await waitUntil('the page stored its own track', 20_000, async () =>
        (await storedDigests(v.page))[`a:${vtt}`] !== undefined ? true : undefined,
      );
      const answers = await fetchBoth(v.page, ASSETS);
      console.log(`content types ${name}: ${JSON.stringify(answers)}`);
      for (const a of answers) {
        assert.equal(a.originSource, null, `${a.path}: the no-store fetch went to the network`);
        assert.ok(
          sources[name].includes(a.source ?? 'none'),
          `${name} ${a.path}: answered by the worker from ${a.source}, expected ${sources[name].join(' or ')}`,
        );
        assert.equal(a.workerType, a.originType, `${name} ${a.path}: the worker's type is the origin's`);
        assert.equal(a.workerType, site.manifest.assets[a.path]?.type, `${name} ${a.path}: the manifest's type`);
      }
      assert.equal(answers.find((a) => a.path === 'subs/en.vtt')?.workerType, 'text/vtt; charset=utf-8');
      assert.equal(answers.find((a) => a.path === 'docs/notes.md')?.workerType, 'text/markdown; charset=utf-8');
      await settle(site);
    }
  });
});
