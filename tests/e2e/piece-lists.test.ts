/**
 * Piece-hash lists out of the worker (issue 14), in Chromium: the worker fetches a multi-piece
 * asset's list from the origin on its first request, once, and serves and stores verified pieces
 * with it; a list the origin serves tampered is never used: the page still gets the right bytes
 * (the network's answer to its own request), and nothing of that asset is stored or shared.
 */

import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, test } from 'node:test';
import { pieceListPath } from '../../protocol/piece-list.ts';
import { launchVisitor, type Visitor } from './harness/browser.ts';
import {
  fetchAll,
  readPieceHashes,
  startSite,
  storedDigests,
  type TestSite,
  waitForReady,
  waitUntil,
  wrongStoredPieces,
} from './harness/site.ts';
import { sha256, writeVersionedSite } from './harness/versioned-site.ts';

describe('piece lists', () => {
  let site: TestSite | undefined;
  let visitor: Visitor | undefined;
  afterEach(async () => {
    await visitor?.close();
    await site?.close();
    visitor = undefined;
    site = undefined;
  });

  test('a list is fetched once and used; a tampered list is not: right bytes from the origin, nothing stored', {
    timeout: 90_000,
  }, async () => {
    const versions = await writeVersionedSite(1);
    site = await startSite({ siteDir: versions.dir(1) });
    const s = site;
    const hashes = await readPieceHashes(s.outDir, s.manifest);
    const good = s.manifest.assets['partial.bin']!;
    const bad = s.manifest.assets['whole.bin']!;
    assert.ok(good.piecesRoot && bad.piecesRoot && good.piecesRoot !== bad.piecesRoot, 'two multi-piece assets with lists of their own');
    // The origin now serves whole.bin's list with one piece hash changed (same length, wrong root).
    const badList = join(s.outDir, pieceListPath(bad.piecesRoot));
    const tampered = await readFile(badList);
    tampered[40]! ^= 0x01;
    await writeFile(badList, tampered);

    visitor = await launchVisitor('lists');
    const page = visitor.page;
    await page.goto(s.url('index.html'), { waitUntil: 'load' });
    await waitForReady(page);
    s.origin.reset();
    const got = await fetchAll(page, ['partial.bin', 'partial.bin', 'whole.bin']);
    const file = (path: string): string => sha256(versions.file(path).versions[0]!);
    for (const g of got) {
      assert.equal(g.status, 200, g.path);
      assert.equal(g.digest, file(g.path), `${g.path}: the file's bytes`);
    }
    assert.ok(got[0]!.source !== null && got[1]!.source !== null, 'partial.bin is answered by the worker');
    // The network's own answer to the page's request: passed through (no header), or handed over
    // as it streams (sw/direct-fetch.ts: `origin`, when no peer holds it); never pieces of ours.
    assert.ok(got[2]!.source === null || got[2]!.source === 'origin', `whole.bin is the network's answer (source ${got[2]!.source})`);

    const snap = s.origin.snapshot({ visitor: 'lists' });
    const asked = (path: string) => snap.requests.filter((r) => r.path === `/${path}`);
    assert.equal(asked(pieceListPath(good.piecesRoot)).length, 1, 'the good list is fetched once');
    assert.ok(asked(pieceListPath(bad.piecesRoot)).length >= 1, 'the tampered list was fetched');
    assert.ok(
      asked('whole.bin').some((r) => r.range === null && r.status === 200),
      `whole.bin whole from the origin: ${JSON.stringify(asked('whole.bin').map((r) => [r.range, r.status]))}`,
    );

    await waitUntil('partial.bin stored', 10_000, async () =>
      (await storedDigests(page))[`a:${good.hash}`] !== undefined ? true : undefined,
    );
    const digests = await storedDigests(page);
    assert.deepEqual(
      Object.keys(digests).filter((k) => k.includes(bad.hash)),
      [],
      'nothing of whole.bin is stored',
    );
    assert.deepEqual(wrongStoredPieces(digests, [hashes]), [], 'every stored piece is the piece its key names');
    assert.equal(digests[`l:${good.piecesRoot}`], good.piecesRoot, 'the good list is kept in IndexedDB, bytes that hash to its root');
    assert.ok(!(`l:${bad.piecesRoot}` in digests), 'the tampered list is not');
    console.log(
      `piece-lists: partial.bin from ${got[0]!.source}/${got[1]!.source}, list asked ${asked(pieceListPath(good.piecesRoot)).length}×; ` +
        `whole.bin (list tampered) from the network, its list asked ${asked(pieceListPath(bad.piecesRoot)).length}×`,
    );
  });
});
