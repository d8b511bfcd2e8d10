/**
 * Range requests through the worker: exact 206/416 semantics whether the bytes come from the
 * origin, from local pieces, or from a peer; and real <video>/<audio> elements (which send
 * `Range: bytes=0-`) playing through the worker.
 */

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import type { Page, Response } from 'playwright-core';
import { WEB_SEED_QUERY } from '../../protocol/bridge-config.ts';
import { launchVisitor, type Visitor } from './harness/browser.ts';
import { originUse, settle, startSite, type TestSite, viewPages, waitForReady, waitUntil } from './harness/site.ts';

interface RangeReply {
  status: number;
  contentRange: string | null;
  contentLength: string | null;
  source: string | null;
  body: number[];
}

/** Range fetch from inside the page, so through the worker. */
const rangeFetch = (page: Page, path: string, range: string): Promise<RangeReply> =>
  page.evaluate(
    async ([p, r]: [string, string]) => {
      const res = await fetch(p, { headers: { Range: r } });
      const body = Array.from(new Uint8Array(await res.arrayBuffer()));
      return {
        status: res.status,
        contentRange: res.headers.get('content-range'),
        contentLength: res.headers.get('content-length'),
        source: res.headers.get('x-peer-connect-source'),
        body,
      };
    },
    [path, range] as [string, string],
  );

const urlPath = (key: string): string => `/${key.split('/').map(encodeURIComponent).join('/')}`;

/** Checks the four range shapes on one asset; returns the sources seen, for the printed note. */
async function checkRanges(page: Page, site: TestSite, key: string, label: string): Promise<string[]> {
  const file = await readFile(join(site.outDir, key));
  const size = file.length;
  assert.ok(size > 300, `${key} too small for range checks`);
  const sources: string[] = [];
  // A span that crosses a piece boundary, to exercise assembling from two pieces.
  const piece = site.manifest.pieceSize;
  const cross = size > piece + 100 ? [piece - 50, piece + 49] : [100, 199];
  const cases: Array<{ range: string; start: number; end: number }> = [
    { range: 'bytes=100-199', start: 100, end: 199 },
    { range: `bytes=${cross[0]}-${cross[1]}`, start: cross[0] ?? 0, end: cross[1] ?? 0 },
    { range: 'bytes=-50', start: size - 50, end: size - 1 },
    { range: `bytes=${size - 1000}-`, start: size - 1000, end: size - 1 },
    { range: `bytes=${size - 10}-${size + 1000}`, start: size - 10, end: size - 1 },
  ];
  for (const c of cases) {
    const r = await rangeFetch(page, urlPath(key), c.range);
    sources.push(`${c.range}:${r.source}`);
    const what = `${label} ${key} ${c.range}`;
    assert.equal(r.status, 206, what);
    assert.equal(r.contentRange, `bytes ${c.start}-${c.end}/${size}`, what);
    if (r.contentLength !== null) assert.equal(r.contentLength, String(c.end - c.start + 1), what);
    assert.equal(r.body.length, c.end - c.start + 1, what);
    assert.ok(Buffer.from(r.body).equals(file.subarray(c.start, c.end + 1)), `${what}: bytes differ from disk`);
    assert.notEqual(r.source, null, `${what}: not answered by the worker`);
  }
  for (const range of [`bytes=${size}-`, `bytes=${size + 100}-${size + 200}`]) {
    const r = await rangeFetch(page, urlPath(key), range);
    assert.equal(r.status, 416, `${label} ${key} ${range}`);
    assert.equal(r.contentRange, `bytes */${size}`, `${label} ${key} ${range}`);
    assert.equal(r.body.length, 0);
  }
  return sources;
}

interface MediaSeen {
  url: string;
  status: number;
  contentRange: string | null;
  source: string | null;
  fromSW: boolean;
}

describe('range and media', () => {
  let site: TestSite | undefined;
  let visitors: Visitor[] = [];

  before(async () => {
    // No prefetch: it would take the ranges' asset from the peer into v2's store before they ask.
    site = await startSite({ build: { prefetchBudget: 0 } });
  });

  // Each test brings its own visitors; closing them keeps the 2 cores for the next test.
  afterEach(async () => {
    for (const v of visitors) await v.close();
    visitors = [];
  });

  after(async () => {
    await site?.close();
  });

  test('Range requests through the worker: 206 and 416 from origin, local pieces and a peer', { timeout: 100_000 }, async () => {
    assert.ok(site);
    const v1 = await launchVisitor('v1');
    visitors.push(v1);
    const s1 = await viewPages(v1, site, ['index.html']);
    // Cold: an asset v1 has never loaded (the worker must get the bytes from the network).
    const images = Object.keys(site.manifest.assets).filter((k) => /\.(jpe?g|png|webp)$/i.test(k));
    const bySize = (a: string, b: string): number => (site?.manifest.assets[b]?.size ?? 0) - (site?.manifest.assets[a]?.size ?? 0);
    const cold = images.filter((k) => !s1.keys.includes(k)).sort(bySize)[0];
    assert.ok(cold, 'no image outside index.html');
    const coldSources = await checkRanges(v1.page, site, cold, 'v1 cold');
    // Warm: after a full fetch every piece is local.
    await v1.page.evaluate(async (p: string) => void (await (await fetch(p)).arrayBuffer()), urlPath(cold));
    const warmSources = await checkRanges(v1.page, site, cold, 'v1 warm');
    // Peer: v2 never loaded the asset, v1 holds it.
    const v2 = await launchVisitor('v2');
    visitors.push(v2);
    await v2.page.goto(site.url('about.html'));
    await waitForReady(v2.page);
    await settle(site);
    const before = originUse(site, 'v2').byPath[cold]?.bytes ?? 0;
    const peerSources = await checkRanges(v2.page, site, cold, 'v2 via peer');
    await settle(site);
    const after = originUse(site, 'v2').byPath[cold]?.bytes ?? 0;
    console.log(
      `range: ${cold} (${site.manifest.assets[cold]?.size} B) sources cold ${coldSources.join(' ')} | warm ${warmSources.join(' ')} | v2 ${peerSources.join(' ')}; origin sent v2 ${after - before} B of it`,
    );
    assert.ok(
      warmSources.every((s) => s.endsWith(':cache')),
      `warm ranges not from cache: ${warmSources.join(' ')}`,
    );
    assert.ok(
      peerSources.some((s) => s.endsWith(':peer')),
      `no v2 range came from the peer: ${peerSources.join(' ')}`,
    );
  });

  test('Range requests for a torrent asset: 206 and 416 from the web seed, then from a peer, for ranges nothing has downloaded yet', {
    timeout: 100_000,
  }, async () => {
    assert.ok(site);
    const key = Object.keys(site.manifest.assets).find((k) => site?.manifest.assets[k]?.torrent && /\.webm$/.test(k));
    assert.ok(key, 'no video with a torrent in the manifest');
    const t1 = await launchVisitor('t1');
    const t2 = await launchVisitor('t2');
    visitors.push(t1, t2);
    // Page views that do not use the video, so every range below asks for bytes not downloaded.
    await viewPages(t1, site, ['index.html', 'about.html']);
    const fromWebSeed = await checkRanges(t1.page, site, key, 't1 via the torrent');
    await viewPages(t2, site, ['index.html', 'about.html']);
    const before = originUse(site, 't2').byPath[key]?.bytes ?? 0;
    const fromPeer = await checkRanges(t2.page, site, key, 't2 via the torrent');
    await settle(site);
    const after = originUse(site, 't2').byPath[key]?.bytes ?? 0;
    console.log(`range (torrent): ${key} t1 ${fromWebSeed.join(' ')} | t2 ${fromPeer.join(' ')}; origin sent t2 ${after - before} B of it`);
    assert.ok(
      fromPeer.some((s) => s.endsWith(':peer')),
      `no t2 range came from a torrent peer: ${fromPeer.join(' ')}`,
    );
  });

  test('<video> and <audio> on media.html play through the worker with correct 206s', { timeout: 100_000 }, async () => {
    assert.ok(site);
    const mediaKeys = Object.keys(site.manifest.assets).filter((k) => /\.(webm|mp4|ogg|oga|ogv|mp3|m4a|opus|wav)$/i.test(k));
    assert.ok(mediaKeys.length >= 2, `media files in manifest: ${JSON.stringify(mediaKeys)}`);
    // One visitor from origin (through the worker), then one whose only peer holds the media.
    for (const name of ['m1', 'm2']) {
      const v = await launchVisitor(name);
      visitors.push(v);
      const seen: MediaSeen[] = [];
      const webSeed: Array<{ url: string; fromSW: boolean }> = [];
      v.page.on('response', (r: Response) => {
        const url = new URL(r.url());
        const key = decodeURIComponent(url.pathname.slice(1));
        if (!mediaKeys.includes(key)) return;
        // The torrent's web seed (WebTorrent in the bridge reading the origin): the worker must let it through.
        if (url.search === `?${WEB_SEED_QUERY}`) return void webSeed.push({ url: key, fromSW: r.fromServiceWorker() });
        const h = r.headers();
        seen.push({
          url: key,
          status: r.status(),
          contentRange: h['content-range'] ?? null,
          source: h['x-peer-connect-source'] ?? null,
          fromSW: r.fromServiceWorker(),
        });
      });
      await v.page.goto(site.url('media.html'));
      await waitForReady(v.page, 20_000);
      const count = await v.page.evaluate(() => document.querySelectorAll('video, audio').length);
      assert.ok(count >= 2, `${name}: media.html has ${count} media elements after the swap`);
      // Play each element; wait until it has data and its clock moves.
      const played = await waitUntil(`${name} media playing`, 20_000, async () => {
        const st = await v.page.evaluate(() =>
          Array.from(document.querySelectorAll('video, audio'), (el) => {
            const m = el as HTMLMediaElement;
            m.muted = true;
            if (m.paused && m.readyState >= 2) void m.play().catch(() => undefined);
            if (m.preload === 'none' && m.readyState === 0 && m.networkState !== HTMLMediaElement.NETWORK_LOADING) m.load();
            return { tag: m.tagName, src: m.currentSrc, readyState: m.readyState, time: m.currentTime, error: m.error?.message ?? null };
          }),
        );
        return st.every((m) => m.readyState >= 2 && m.time > 0) ? st : undefined;
      }).catch(async (e: Error) => {
        const st = await v.page.evaluate(() =>
          Array.from(document.querySelectorAll('video, audio'), (el) => ({
            src: (el as HTMLMediaElement).currentSrc,
            readyState: (el as HTMLMediaElement).readyState,
            err: (el as HTMLMediaElement).error?.message ?? null,
          })),
        );
        throw new Error(`${e.message}: ${JSON.stringify(st)} responses ${JSON.stringify(seen)}\n${v.dump(30)}`);
      });
      await settle(site);
      const use = originUse(site, name, mediaKeys);
      const originMedia = site.origin
        .snapshot({ visitor: name })
        .requests.filter((r) => mediaKeys.includes(r.path.slice(1)))
        .map((r) => `${r.path} ${r.range ?? 'no-range'} ${r.status} ${r.bodyBytes}B`);
      console.log(
        `media ${name}: ${JSON.stringify(played)}; page saw ${JSON.stringify(seen)}; origin saw ${JSON.stringify(originMedia)} (${use.pageAssetBytes} B)`,
      );
      for (const m of played) {
        const key = decodeURIComponent(new URL(m.src).pathname.slice(1));
        const size: number = site.manifest.assets[key]?.size ?? -1;
        const rs = seen.filter((r) => r.url === key);
        assert.ok(rs.length > 0, `${name}: no response seen for ${key}`);
        for (const r of rs) {
          // Media elements always send Range; the worker must answer 206 with a range inside the file.
          assert.equal(r.status, 206, `${name} ${key}: ${JSON.stringify(r)}`);
          assert.ok(r.fromSW, `${name} ${key}: not served by the service worker`);
          assert.notEqual(r.source, null, `${name} ${key}: no x-peer-connect-source`);
          const cr = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(r.contentRange ?? '');
          assert.ok(cr, `${name} ${key}: bad Content-Range ${r.contentRange}`);
          assert.equal(Number(cr[3]), size, `${name} ${key}: Content-Range total`);
          assert.ok(Number(cr[1]) <= Number(cr[2]) && Number(cr[2]) < size);
        }
      }
      assert.ok(
        webSeed.every((r) => !r.fromSW),
        `${name}: the worker answered a web-seed request: ${JSON.stringify(webSeed)}`,
      );
      if (name === 'm2') {
        // The second visitor's media streamed (at least partly) from its peer, m1.
        assert.ok(
          seen.some((r) => r.source === 'peer'),
          `m2: no media response came from a peer: ${JSON.stringify(seen)}`,
        );
      }
    }
  });
});
