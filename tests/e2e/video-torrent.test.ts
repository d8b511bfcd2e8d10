/**
 * Video over WebTorrent through the worker, in separate Chromium processes against the real
 * origin (counting bytes per visitor) and the real signaling server (which is also the tracker):
 * viewer 1 streams from the web seed, viewers 2 and 3 from peers; a restarted viewer 1 seeds
 * from IndexedDB; a lying peer never gets a byte into the video; with the tracker down the web
 * seed plays it; with a torrent store smaller than the video the oldest pieces go and it plays.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { buildSite } from '../../build.ts';
import { TORRENT_CLIENT_FILE } from '../../protocol/bridge-config.ts';
import { startSiteServer } from '../../signal-worker/adapter/node/index.ts';
import { launchVisitor, type Visitor } from './harness/browser.ts';
import { type LyingSeeder, startLyingSeeder } from './harness/lying-seeder.ts';
import { checkAssets, DEMO_SITE, describeBad, originUse, pct, settle, startSite, type TestSite, waitForReady } from './harness/site.ts';
import { type Playback, playVideo, storedChunks, torrentStats } from './harness/video.ts';

const VIDEO = 'media/test-pattern.webm';
const PAGE = 'media.html';
const MIN_FROM_PEERS = 0.8;

/** Origin bytes of the video sent to one visitor so far (web seed and worker fallbacks alike). */
const videoOriginBytes = (site: TestSite, visitor: string): number => originUse(site, visitor, [VIDEO]).byPath[VIDEO]?.bytes ?? 0;

async function watch(visitor: Visitor, site: TestSite): Promise<Playback> {
  await visitor.open(site.url(PAGE));
  await waitForReady(visitor.page, 20_000);
  const playback = await playVideo(visitor.page);
  assert.equal(playback.error, null, `${visitor.name}: video error\n${visitor.dump(20)}`);
  assert.ok(playback.firstFrame, `${visitor.name}: no first frame (${JSON.stringify(playback)})\n${visitor.dump(20)}`);
  assert.ok(playback.seeked, `${visitor.name}: the seek to the middle did not play on: ${JSON.stringify(playback)}`);
  assert.ok(playback.ended, `${visitor.name}: did not play to the end: ${JSON.stringify(playback)}`);
  return playback;
}

async function assertVideoIntact(visitor: Visitor, site: TestSite): Promise<void> {
  const checks = await checkAssets(visitor.page, site, [VIDEO]);
  assert.ok(
    checks.every((c) => c.ok),
    `${visitor.name}: video bytes differ from the file: ${describeBad(checks)}`,
  );
}

describe('video over WebTorrent', () => {
  let site: TestSite | null = null;
  const visitors: Visitor[] = [];
  const launch = async (name: string): Promise<Visitor> => {
    const v = await launchVisitor(name);
    visitors.push(v);
    return v;
  };
  let size = 0;

  before(async () => {
    site = await startSite();
    assert.ok(site.manifest.assets[VIDEO]?.torrent, `${VIDEO} has no torrent in the manifest`);
    size = site.manifest.assets[VIDEO]?.size ?? 0;
  });
  after(async () => {
    for (const v of visitors) await v.close();
    await site?.close();
  });

  test('viewer 1 streams from the web seed; viewers 2 and 3 take at least 80% from peers; seeking plays', {
    timeout: 120_000,
  }, async () => {
    assert.ok(site);
    const lines: string[] = [];
    for (const name of ['v1', 'v2', 'v3']) {
      const v = await launch(name);
      const playback = await watch(v, site);
      await settle(site);
      const origin = videoOriginBytes(site, name);
      const stats = await torrentStats(v.page);
      lines.push(
        `${name}: first frame ${playback.firstFrameMs.toFixed(0)} ms, origin sent ${origin} of ${size} B (${pct(1 - origin / size)} from peers); torrent ${JSON.stringify(stats)}`,
      );
      await assertVideoIntact(v, site);
      if (name === 'v1') {
        assert.ok(stats && stats.bytesFromWebSeed > 0, `v1 did not use the web seed: ${JSON.stringify(stats)}`);
      } else {
        assert.ok(
          1 - origin / size >= MIN_FROM_PEERS,
          `${name}: only ${pct(1 - origin / size)} of the video from peers (origin sent ${origin} B)`,
        );
        assert.ok(stats && stats.bytesFromPeers > 0, `${name}: no torrent bytes from peers: ${JSON.stringify(stats)}`);
      }
    }
    console.log(`video: ${lines.join(' | ')}`);
  });

  test('a restarted viewer 1 seeds from IndexedDB without downloading again', { timeout: 120_000 }, async () => {
    assert.ok(site);
    const [v1, v2, v3] = visitors;
    assert.ok(v1 && v2 && v3);
    await v2.closeBrowser();
    await v3.closeBrowser();
    const before = videoOriginBytes(site, 'v1');
    await v1.restart();
    // A page without the video: the bridge re-adds the torrents it holds pieces of, to seed them.
    await v1.open(site.url('index.html'));
    await waitForReady(v1.page);
    const stored = await storedChunks(v1.page);
    const infoHash = site.manifest.assets[VIDEO]?.torrent?.infoHash ?? '';
    assert.ok((stored[infoHash]?.bytes ?? 0) >= size, `v1 holds ${stored[infoHash]?.bytes ?? 0} B of the video's torrent after restart`);
    const v4 = await launch('v4');
    await watch(v4, site);
    await settle(site);
    const v1Origin = videoOriginBytes(site, 'v1') - before;
    const v4Origin = videoOriginBytes(site, 'v4');
    const v1Stats = await torrentStats(v1.page);
    console.log(
      `video reseed: v1 downloaded ${v1Origin} B after restart, uploaded ${v1Stats?.uploaded} B; v4 origin ${v4Origin} of ${size} B (${pct(1 - v4Origin / size)} from peers)`,
    );
    assert.equal(v1Origin, 0, 'the restarted viewer downloaded the video again');
    assert.ok(1 - v4Origin / size >= MIN_FROM_PEERS, `v4 took only ${pct(1 - v4Origin / size)} from the reseeding viewer`);
    assert.ok((v1Stats?.uploaded ?? 0) > 0, `the restarted viewer uploaded nothing: ${JSON.stringify(v1Stats)}`);
    await assertVideoIntact(v4, site);
    await v1.closeBrowser();
    await v4.closeBrowser();
  });

  test('a peer sending wrong pieces never gets a byte into the video, and is banned', { timeout: 120_000 }, async () => {
    assert.ok(site);
    const torrent = site.manifest.assets[VIDEO]?.torrent;
    assert.ok(torrent);
    const torrentFile = await readFile(join(site.outDir, torrent.file));
    const trackerUrl = site.signalUrl.replace(/\/peer-connect\/signal$/, '/peer-connect/announce');
    let liar: LyingSeeder | null = null;
    try {
      liar = await startLyingSeeder(torrentFile, trackerUrl);
      const v5 = await launch('v5');
      await watch(v5, site);
      await settle(site);
      const stats = await torrentStats(v5.page);
      console.log(
        `video liar: liar sent ${liar.uploaded()} wrong B; v5 torrent ${JSON.stringify(stats)}; origin ${videoOriginBytes(site, 'v5')} B`,
      );
      assert.ok(liar.uploaded() > 0, 'the lying peer was never asked for a piece: the test proved nothing');
      assert.ok(stats && stats.badPieces > 0, `no bad piece seen: ${JSON.stringify(stats)}`);
      assert.ok(stats.bannedPeers.includes(liar.peerId), `the liar ${liar.peerId} was not banned: ${JSON.stringify(stats)}`);
      await assertVideoIntact(v5, site);
    } finally {
      await liar?.close();
    }
  });
});

describe('video with the tracker down', () => {
  test('plays from the web seed', { timeout: 90_000 }, async () => {
    const site = await startSite();
    const v = await launchVisitor('t1');
    try {
      await site.stopSignal();
      const playback = await watch(v, site);
      await settle(site);
      const origin = videoOriginBytes(site, 't1');
      const size = site.manifest.assets[VIDEO]?.size ?? 0;
      console.log(`video, tracker down: first frame ${playback.firstFrameMs.toFixed(0)} ms; origin sent ${origin} of ${size} B`);
      assert.ok(origin >= size, `the video did not come from the origin (${origin} of ${size} B)`);
      await assertVideoIntact(v, site);
    } finally {
      await v.close();
      await site.close();
    }
  });
});

describe('video with a torrent store smaller than the video', () => {
  test('the oldest pieces are evicted and playback is unaffected', { timeout: 90_000 }, async () => {
    const quota = 3 * 64 * 1024;
    const site = await startSite({ build: { torrentQuota: quota } });
    const v = await launchVisitor('q1');
    try {
      const size = site.manifest.assets[VIDEO]?.size ?? 0;
      assert.ok(size > 2 * quota, 'the video must be well over the quota');
      await watch(v, site);
      await settle(site);
      await assertVideoIntact(v, site);
      // Let the LRU's batched writes land.
      await new Promise((r) => setTimeout(r, 1500));
      const stored = await storedChunks(v.page);
      const total = Object.values(stored).reduce((n, s) => n + s.bytes, 0);
      const infoHash = site.manifest.assets[VIDEO]?.torrent?.infoHash ?? '';
      const pieces = Math.ceil(size / (site.manifest.assets[VIDEO]?.torrent?.pieceLength ?? 1));
      console.log(`video quota ${quota} B: stored ${total} B, video chunks ${JSON.stringify(stored[infoHash]?.indexes)} of ${pieces}`);
      assert.ok(total <= quota, `stored ${total} B over the ${quota} B quota`);
      // Which pieces remain depends on the element's and the check's read order (the LRU order
      // itself is unit-tested in byte-lru.test.ts); that some were evicted is what matters.
      const kept = stored[infoHash]?.indexes.length ?? 0;
      assert.ok(kept > 0 && kept < pieces, `expected some but not all of the ${pieces} video pieces kept, got ${kept}`);
    } finally {
      await v.close();
      await site.close();
    }
  });
});

describe('a large download over WebTorrent', () => {
  test('fetch() of a 9 MiB file: byte-exact from the web seed, then at least 80% from peers', { timeout: 120_000 }, async () => {
    const siteDir = await mkdtemp(join(tmpdir(), 'pc-e2e-large-'));
    const big = 'downloads/archive.bin';
    await mkdir(join(siteDir, 'downloads'));
    await writeFile(join(siteDir, big), randomBytes(9 * 1024 * 1024 + 4321));
    await writeFile(
      join(siteDir, 'index.html'),
      '<!doctype html><title>downloads</title><a href="downloads/archive.bin" download>archive</a>\n',
    );
    const site = await startSite({ siteDir });
    const viewers: Visitor[] = [];
    try {
      assert.ok(site.manifest.assets[big]?.torrent, 'a 9 MiB file gets a torrent by default');
      const size = site.manifest.assets[big]?.size ?? 0;
      const lines: string[] = [];
      for (const name of ['d1', 'd2']) {
        const v = await launchVisitor(name);
        viewers.push(v);
        await v.open(site.url('index.html'));
        await waitForReady(v.page);
        // A second page view, so the worker controls the page (the first visit only installs it).
        await v.open(site.url('index.html'));
        await waitForReady(v.page);
        const started = Date.now();
        const checks = await checkAssets(v.page, site, [big]);
        const ms = Date.now() - started;
        await settle(site);
        const origin = originUse(site, name, [big]).byPath[big]?.bytes ?? 0;
        const stats = await torrentStats(v.page);
        lines.push(
          `${name}: ${ms} ms, origin sent ${origin} of ${size} B (${pct(1 - origin / size)} from peers), source header ${checks[0]?.source}; torrent ${JSON.stringify(stats)}`,
        );
        assert.ok(
          checks.every((c) => c.ok),
          `${name}: ${describeBad(checks)}`,
        );
        if (name === 'd2') assert.ok(1 - origin / size >= MIN_FROM_PEERS, `d2 took only ${pct(1 - origin / size)} from peers`);
      }
      console.log(`large download: ${lines.join(' | ')}`);
    } finally {
      for (const v of viewers) await v.close();
      await site.close();
      await rm(siteDir, { recursive: true, force: true });
    }
  });
});

describe('video with the WebTorrent module missing', () => {
  test('the worker takes the video from the origin at once and it plays', { timeout: 90_000 }, async () => {
    const site = await startSite();
    // A deploy that lost the module, or a CDN that blocks it: the bridge answers no-peers.
    await rm(join(site.outDir, TORRENT_CLIENT_FILE));
    const v = await launchVisitor('w1');
    try {
      const playback = await watch(v, site);
      await settle(site);
      const origin = originUse(site, 'w1', [VIDEO]);
      const size = site.manifest.assets[VIDEO]?.size ?? 0;
      console.log(
        `video, no WebTorrent module: first frame ${playback.firstFrameMs.toFixed(0)} ms; origin sent ${origin.byPath[VIDEO]?.bytes} of ${size} B in ${origin.byPath[VIDEO]?.requests} requests`,
      );
      assert.ok((origin.byPath[VIDEO]?.bytes ?? 0) >= size, 'the video did not come from the origin');
      assert.equal(await torrentStats(v.page), null, 'a torrent client exists without its module');
      await assertVideoIntact(v, site);
    } finally {
      await v.close();
      await site.close();
    }
  });
});

describe("video on the demo server (tracker on the site's own origin)", () => {
  test("a default build announces to /peer-connect/announce on the page's origin, and the second viewer finds the first there", {
    timeout: 90_000,
  }, async () => {
    // Default build: the manifest's announce is a path, resolved by the bridge against the page.
    const out = await mkdtemp(join(tmpdir(), 'pc-e2e-demo-'));
    await buildSite({ siteDir: DEMO_SITE, outDir: out });
    const server = await startSiteServer({ root: out, port: 0 });
    const viewers: Visitor[] = [];
    try {
      const lines: string[] = [];
      for (const name of ['s1', 's2']) {
        const v = await launchVisitor(name);
        viewers.push(v);
        await v.open(`${server.url}about.html`);
        await waitForReady(v.page);
        await v.open(`${server.url}${PAGE}`);
        await waitForReady(v.page);
        const playback = await playVideo(v.page);
        assert.ok(playback.ended && playback.error === null, `${name}: ${JSON.stringify(playback)}`);
        lines.push(`${name}: ${JSON.stringify(await torrentStats(v.page))}, tracker ${JSON.stringify(server.trackerStats())}`);
      }
      console.log(`video, demo server: ${lines.join(' | ')}`);
      // The tracker's own count: both viewers announced both of media.html's torrents to it.
      assert.equal(server.trackerStats().peers, 4, JSON.stringify(server.trackerStats()));
      const s2 = await torrentStats(viewers[1]!.page);
      assert.ok(s2 && s2.bytesFromPeers > 0 && s2.bytesFromWebSeed === 0, `s2 did not get the video from s1: ${JSON.stringify(s2)}`);
    } finally {
      for (const v of viewers) await v.close();
      await server.close();
      await rm(out, { recursive: true, force: true });
    }
  });
});
