/**
 * A slow-drip holder (issue 11): a Node peer that holds a page's four large images and sends every
 * piece valid, 1.4 s after it was asked (under the worker's 1.5 s gap deadline, so no deadline
 * ever fires). A newcomer's bridge measures its throughput and hands the rest of each image to
 * the origin: proven by the origin's byte counter for the newcomer and the page's own counters,
 * never by time.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { PIECE_SIZE, PIECES_IN_FLIGHT_PER_PEER } from '../../protocol/limits.ts';
import { encodePiece } from '../../protocol/peer-wire.ts';
import { pieceCount } from '../../protocol/pieces.ts';
import { launchVisitor, type Visitor } from './harness/browser.ts';
import { type HostilePeer, startHostilePeer } from './harness/hostile-peer.ts';
import { assetBytes, checkAssets, DEMO_SITE, describeBad, originUse, settle, startSite, type TestSite, viewPages } from './harness/site.ts';

const IMAGES = ['img/café terrace.jpg', 'img/harbour-dawn.jpg', 'img/ridge-line.jpg', 'img/route-map.png'];
const PAGE = 'four.html';
const DRIP_MS = 1_400;

describe('a slow-drip holder', () => {
  let site: TestSite | undefined;
  let dir = '';
  let drip: HostilePeer | undefined;
  let visitor: Visitor | undefined;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'pc-e2e-slow-'));
    await cp(DEMO_SITE, dir, { recursive: true });
    const imgs = IMAGES.map((p) => `<img src="${encodeURI(p)}" alt="" width="200">`).join('\n');
    await writeFile(join(dir, PAGE), `<!doctype html><html><head><title>four</title></head><body>\n${imgs}\n</body></html>\n`);
    site = await startSite({ siteDir: dir });
  });

  after(async () => {
    await drip?.close();
    await visitor?.close();
    await site?.close();
    await rm(dir, { recursive: true, force: true });
  });

  test('its pieces come late but valid: the newcomer takes the rest of each image from the origin', { timeout: 300_000 }, async () => {
    assert.ok(site);
    const { manifest } = site;
    const files = new Map<string, Uint8Array>();
    for (const key of IMAGES) {
      const asset = manifest.assets[key];
      assert.ok(asset && pieceCount(asset.size, manifest.pieceSize) > 4, `${key} is not a multi-piece asset`);
      files.set(asset.hash, new Uint8Array(await readFile(join(site.outDir, key))));
    }
    let served = 0;
    let asked = 0;
    drip = await startHostilePeer({
      signalUrl: site.signalUrl,
      swarm: new URL(site.url(PAGE)).host,
      have: [...files.keys()],
      parkOffers: 4,
      onLink: (link) =>
        link.onFrame((f) => {
          if (f.kind !== 'control' || f.message.t !== 'req') return;
          const { id, hash, piece } = f.message;
          asked++;
          const file = files.get(hash);
          if (!file) return;
          const bytes = file.subarray(piece * manifest.pieceSize, (piece + 1) * manifest.pieceSize);
          setTimeout(() => {
            served += bytes.byteLength;
            link.send(encodePiece(id, bytes));
          }, DRIP_MS);
        }),
    });

    // The newcomer must reach the drip peer for anything to be tested. On a loaded machine Node's
    // WebRTC sometimes leaves the first link half-open past the bridge's 5 s connect deadline, and
    // the bridge rightly takes every image from the origin: a fresh visitor then tries again (a
    // bounded number of times; the assertion below still fails if none ever reached the peer).
    let name = '';
    let session: Awaited<ReturnType<typeof viewPages>> | undefined;
    for (let attempt = 1; attempt <= 3; attempt++) {
      await visitor?.close();
      name = `newcomer-${attempt}`;
      visitor = await launchVisitor(name);
      session = await viewPages(visitor, site, [PAGE], 60_000);
      await settle(site);
      if (asked > 0) break;
      console.log(`slow peer: ${name} never reached the drip peer (no link); a fresh visitor tries again`);
    }
    assert.ok(session && visitor);
    const keys = session.keys.filter((k) => IMAGES.includes(k));
    assert.equal(keys.length, IMAGES.length, `the page used ${JSON.stringify(session.keys)}`);
    const total = assetBytes(site, IMAGES);
    const origin = originUse(site, name, IMAGES).pageAssetBytes;
    const stats = session.pageStats[0]?.stats;
    assert.ok(stats);
    console.log(
      `slow peer: images ${total} B; origin sent ${origin} B; page counted ${stats.bytesFromPeers} B from peers, ${stats.bytesFromOrigin} B from the origin; the drip peer was asked for ${asked} pieces and sent ${served} B`,
    );
    const checks = await checkAssets(visitor.page, site, IMAGES);
    assert.equal(checks.filter((c) => !c.ok).length, 0, describeBad(checks));
    assert.ok(asked > 0, 'the newcomer never asked the slow peer: nothing was tested');
    // The peer was asked (it is the only holder) and then bypassed: at most the one round of
    // requests that measured it (before the fix: a whole image, 776,290 B, and the origin 77%).
    assert.ok(stats.bytesFromPeers <= PIECES_IN_FLIGHT_PER_PEER * PIECE_SIZE, `${stats.bytesFromPeers} B from the slow peer`);
    assert.ok(origin >= total * 0.85, `the origin sent ${origin} of ${total} B`);
  });
});
