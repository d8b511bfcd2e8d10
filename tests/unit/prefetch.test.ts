/**
 * Prefetch through peers: the bridge's policy (when never, which links, what within the budget,
 * in which order), its per-tab ledger of used and unused bytes, the list files' codec and the
 * worker's peers-only gathering (sw/prefetch.ts) on an in-memory store and a scripted bridge.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { type LedgerStorage, PREFETCH_LEDGER_KEY, PrefetchLedger } from '../../page-bridge/prefetch/ledger.ts';
import { linkedPageFiles, type PrefetchConditions, planPrefetch, prefetchSkip } from '../../page-bridge/prefetch/policy.ts';
import type { BridgeReply, PrefetchReply, WorkerToBridge } from '../../protocol/bridge-messages.ts';
import { decodeBridgeToWorker, decodePrefetchReply, decodeWorkerToBridge } from '../../protocol/bridge-messages.ts';
import { PREFETCH_ACCEPT_TIMEOUT_MS, PREFETCH_STALL_TIMEOUT_MS } from '../../protocol/limits.ts';
import {
  decodePageAssets,
  encodePageAssets,
  PAGE_ASSETS_DIR,
  type PageAssets,
  pageAssetsFile,
  pageAssetsFileForPage,
} from '../../protocol/page-assets.ts';
import { type PrefetchDeps, prefetchAssets } from '../../sw/prefetch.ts';
import { builtSite } from './build-helpers.ts';
import { FakeClock, settleTasks } from './support/fake-clock.ts';
import { bufferOf, type Fixture, fakePieceHash, MemStore, makeAsset, matchesHash, PEER, PIECE, slice, T } from './support/sw-fakes.ts';

const ON: PrefetchConditions = {
  connection: { saveData: false, type: 'wifi' },
  p2p: true,
  siteMode: 'on',
  controlled: true,
  held: false,
  budgetBytes: 1000,
};

describe('prefetch policy: when it never runs', () => {
  it('runs with P2P on, a worker in control, no data saver, an unmetered link and a budget', () => {
    assert.equal(prefetchSkip(ON), null);
    assert.equal(prefetchSkip({ ...ON, connection: undefined }), null, 'no Network Information API: not metered');
    assert.equal(prefetchSkip({ ...ON, connection: { type: 'unknown' } }), null);
  });

  it('never on data saver, cellular or WiMAX, without P2P, with the site not `on`, without a worker, in a held first visit, or with a budget of 0', () => {
    assert.equal(prefetchSkip({ ...ON, connection: { saveData: true, type: 'wifi' } }), 'save-data');
    assert.equal(prefetchSkip({ ...ON, connection: { type: 'cellular' } }), 'metered');
    assert.equal(prefetchSkip({ ...ON, connection: { type: 'wimax' } }), 'metered');
    assert.equal(prefetchSkip({ ...ON, p2p: false }), 'p2p-off');
    assert.equal(prefetchSkip({ ...ON, siteMode: 'off' }), 'site-mode');
    assert.equal(prefetchSkip({ ...ON, siteMode: 'download-only' }), 'site-mode');
    assert.equal(prefetchSkip({ ...ON, controlled: false }), 'no-worker');
    assert.equal(prefetchSkip({ ...ON, held: true }), 'held');
    assert.equal(prefetchSkip({ ...ON, budgetBytes: 0 }), 'budget-off');
  });
});

describe('prefetch policy: which links', () => {
  const root = 'https://site.example/blog/';
  const page = 'https://site.example/blog/index.html';

  it('pages of the site only, each once, not the current page, not files, at most `max`, in document order', () => {
    const files = linkedPageFiles(
      [
        'https://site.example/blog/gallery.html',
        'https://site.example/blog/gallery.html#top', // the same page
        'https://site.example/blog/', // the current page (index.html)
        'https://site.example/blog/index.html?x=1', // the current page
        'https://other.example/blog/about.html', // another origin
        'https://site.example/shop/', // outside the root
        'https://site.example/blog/img/a.jpg', // a file
        'mailto:someone@site.example',
        'https://site.example/blog/posts/', // a folder's index
        'https://site.example/blog/about', // about.html or about/index.html
        'https://site.example/blog/caf%C3%A9.html',
        'https://site.example/blog/more.html',
      ],
      page,
      root,
      4,
    );
    assert.deepEqual(files, [
      [pageAssetsFileForPage('gallery.html')],
      [pageAssetsFileForPage('posts/index.html')],
      [pageAssetsFile('about'), pageAssetsFile('about/')],
      [pageAssetsFileForPage('café.html')],
    ]);
    assert.equal(pageAssetsFile('about/'), pageAssetsFileForPage('about/index.html'));
    assert.equal(pageAssetsFile('about'), pageAssetsFileForPage('about.html'));
  });
});

const list = (...assets: Array<[string, number]>): PageAssets => ({
  assets: assets.map(([key, size]) => ({ key, size, hash: key.padEnd(64, '0').slice(0, 64) })),
});
const hashOf = (key: string): string => key.padEnd(64, '0').slice(0, 64);

describe('prefetch policy: what, in which order, within the budget', () => {
  it('most linked first, ties in the order the lists name them; held assets left out', () => {
    const pages = [
      list(['css', 10], ['a1', 100], ['a2', 100]),
      list(['css', 10], ['b1', 100], ['font', 20]),
      list(['font', 20], ['c1', 50]),
    ];
    const plan = planPrefetch(pages, (h) => h === hashOf('a2'), 10_000);
    assert.deepEqual(plan.keys, ['css', 'font', 'a1', 'b1', 'c1']);
    assert.equal(plan.bytes, 10 + 20 + 100 + 100 + 50);
  });

  it('never past the budget: a larger asset is passed over, smaller ones after it still taken', () => {
    const pages = [list(['big', 600], ['mid', 300], ['huge', 5000], ['small', 100], ['tiny', 1])];
    const plan = planPrefetch(pages, () => false, 1000);
    assert.deepEqual(plan.keys, ['big', 'mid', 'small']);
    assert.equal(plan.bytes, 1000);
    assert.deepEqual(planPrefetch(pages, () => false, 0).keys, []);
  });

  it('an asset named twice by one page counts once', () => {
    const plan = planPrefetch([list(['x', 1], ['x', 1], ['y', 1]), list(['y', 1])], () => false, 100);
    assert.deepEqual(plan.keys, ['y', 'x']);
  });
});

class MemStorage implements LedgerStorage {
  readonly map = new Map<string, string>();
  getItem = (k: string): string | null => this.map.get(k) ?? null;
  setItem = (k: string, v: string): void => void this.map.set(k, v);
  removeItem = (k: string): void => void this.map.delete(k);
}

describe('prefetch ledger: used and unused bytes across a navigation', () => {
  it('the next page uses some of what the previous one prefetched; the rest is unused from its settle on', () => {
    const storage = new MemStorage();
    const a = new PrefetchLedger(() => storage);
    a.record('h1', 100);
    a.record('h2', 50);
    a.record('h3', 0); // nothing came: nothing to count
    const b = new PrefetchLedger(() => storage); // the navigation
    assert.equal(b.use('h1'), true);
    assert.equal(b.use('h1'), false, 'counted once');
    assert.equal(b.use('other'), false);
    assert.deepEqual([b.usedBytes, b.unusedBytes], [100, 0]);
    b.settle();
    b.settle();
    assert.deepEqual([b.usedBytes, b.unusedBytes], [100, 50], 'settled once');
    assert.deepEqual([new PrefetchLedger(() => storage).unusedBytes], [0], 'b prefetched nothing: the page after it has nothing to count');
  });

  it('an asset used after the settle (a lazy image scrolled to) moves from unused to used', () => {
    const storage = new MemStorage();
    new PrefetchLedger(() => storage).record('lazy', 70);
    const b = new PrefetchLedger(() => storage);
    b.settle();
    assert.deepEqual([b.usedBytes, b.unusedBytes], [0, 70]);
    assert.equal(b.use('lazy'), true);
    assert.deepEqual([b.usedBytes, b.unusedBytes], [70, 0]);
  });

  it('a page that uses an asset it prefetched itself counts it used and does not hand it on', () => {
    const storage = new MemStorage();
    const a = new PrefetchLedger(() => storage);
    a.record('h1', 100);
    a.record('h2', 10);
    assert.equal(a.use('h1'), true);
    assert.equal(a.usedBytes, 100);
    assert.deepEqual(JSON.parse(storage.getItem(PREFETCH_LEDGER_KEY) ?? '{}'), { h2: 10 });
    const b = new PrefetchLedger(() => storage);
    b.settle();
    assert.equal(b.unusedBytes, 10);
  });

  it('blocked or edited storage counts nothing and never throws', () => {
    const blocked = (): LedgerStorage => {
      throw new Error('SecurityError');
    };
    const l = new PrefetchLedger(blocked);
    l.record('h', 5);
    l.settle();
    assert.equal(l.unusedBytes, 0);
    const edited = new MemStorage();
    edited.setItem(PREFETCH_LEDGER_KEY, '{"h":-5,"g":"x","k":7}');
    const e = new PrefetchLedger(() => edited);
    e.settle();
    assert.equal(e.unusedBytes, 7);
    edited.setItem(PREFETCH_LEDGER_KEY, 'not json');
    const n = new PrefetchLedger(() => edited);
    n.settle();
    assert.equal(n.unusedBytes, 0);
  });
});

describe('page asset lists and prefetch messages', () => {
  it('a list round-trips; malformed lists are refused', () => {
    const assets = [{ key: 'img/café.jpg', size: 12, hash: 'a'.repeat(64) }];
    const decoded = decodePageAssets(encodePageAssets(assets));
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.value.assets, assets);
    for (const bad of [
      '',
      '[]',
      '{"v":2,"assets":[]}',
      `{"v":1,"assets":[["k",-1,"${'a'.repeat(64)}"]]}`,
      '{"v":1,"assets":[["k",1,"nothex"]]}',
    ]) {
      assert.equal(decodePageAssets(bad).ok, false, bad);
    }
    assert.equal(decodePageAssets(' '.repeat(300 * 1024)).ok, false, 'too large');
  });

  it('prefetch, its replies and a fetch with peersOnly decode; bad ones are refused', () => {
    assert.deepEqual(decodeBridgeToWorker({ pc: 'prefetch', keys: ['a', 'b'] }), { ok: true, value: { pc: 'prefetch', keys: ['a', 'b'] } });
    assert.equal(decodeBridgeToWorker({ pc: 'prefetch', keys: [1] }).ok, false);
    assert.equal(decodeBridgeToWorker({ pc: 'prefetch', keys: new Array(2000).fill('k') }).ok, false);
    const done = decodePrefetchReply({ pc: 'prefetch-done' });
    assert.ok(done.ok);
    assert.equal(decodePrefetchReply({ pc: 'prefetched', key: 'k', hash: 'x', bytes: 1, complete: true }).ok, false);
    assert.ok(decodePrefetchReply({ pc: 'prefetched', key: 'k', hash: null, bytes: 0, complete: false }).ok);
    const fetch = decodeWorkerToBridge({ pc: 'fetch', hash: 'a'.repeat(64), size: 1, pieces: [0], peersOnly: true });
    assert.ok(fetch.ok && fetch.value.pc === 'fetch' && fetch.value.peersOnly === true);
  });
});

// ---------------------------------------------------------------- the worker's side

type Fetch = Extract<WorkerToBridge, { pc: 'fetch' }>;

/** A bridge scripted per asset: what it replies to a fetch (synchronously after opening, or never). */
function harness(fixtures: Record<string, Fixture>, script: (req: Fetch, send: (r: BridgeReply) => void) => void) {
  const stores = new Map<string, MemStore>();
  const storeOf = (hash: string): MemStore => {
    let s = stores.get(hash);
    if (!s) stores.set(hash, (s = new MemStore(hash)));
    return s;
  };
  const asked: Fetch[] = [];
  const feedback: string[] = [];
  let closed = 0;
  const clock = new FakeClock();
  const completed: string[] = [];
  const deps: PrefetchDeps = {
    manifest: { pieceSize: PIECE, assets: Object.fromEntries(Object.entries(fixtures).map(([k, f]) => [k, f.asset])) },
    readPieces: (hash, indexes) => storeOf(hash).readPieces(hash, indexes),
    writePiece: (hash, index, data) => storeOf(hash).writePiece(hash, index, data),
    markComplete: async (hash, _size, pieces) => {
      const done = storeOf(hash).stored().length === pieces;
      if (done && !completed.includes(hash)) {
        completed.push(hash);
        return true;
      }
      return false;
    },
    verify: matchesHash,
    pieceHash: fakePieceHash,
    openBridge: async (req, onReply) => {
      asked.push(req);
      queueMicrotask(() => script(req, onReply));
      return { report: (f) => void feedback.push(JSON.stringify(f)), close: () => void closed++ };
    },
    isChanged: () => false,
    timers: clock,
  };
  return { deps, asked, feedback, clock, storeOf, closed: () => closed };
}

/** The per-key and final replies, and the bytes each asset's per-piece `prefetch-stored` replies add up to. */
const split = (replies: PrefetchReply[]): { summary: PrefetchReply[]; stored: Record<string, number> } => {
  const stored: Record<string, number> = {};
  for (const r of replies) if (r.pc === 'prefetch-stored') stored[r.hash] = (stored[r.hash] ?? 0) + r.bytes;
  return { summary: replies.filter((r) => r.pc !== 'prefetch-stored'), stored };
};

const pieceOf = (f: Fixture, index: number, peerId = PEER): BridgeReply => ({
  pc: 'piece',
  index,
  data: bufferOf(slice(f, index)),
  peerId,
});

describe('sw/prefetch.ts: peers only', () => {
  it(
    'gathers every missing piece from peers, verifies and stores it, in the order asked; stored pieces are not asked again',
    T,
    async () => {
      const a = await makeAsset(3 * PIECE + 7);
      const b = await makeAsset(PIECE);
      const h = harness({ 'a.jpg': a, 'b.css': b }, (req, send) => {
        const f = req.hash === a.asset.hash ? a : b;
        send({ pc: 'accepted', peers: 1 });
        for (const i of req.pieces) send(pieceOf(f, i));
      });
      h.storeOf(a.asset.hash).put(1, slice(a, 1));
      const replies: PrefetchReply[] = [];
      await prefetchAssets(['b.css', 'a.jpg'], h.deps, (r) => replies.push(r));
      assert.deepEqual(
        h.asked.map((r) => [r.hash, r.pieces, r.peersOnly]),
        [
          [b.asset.hash, [0], true],
          [a.asset.hash, [0, 2, 3], true],
        ],
      );
      assert.ok(h.storeOf(a.asset.hash).holdsAll(a) && h.storeOf(b.asset.hash).holdsAll(b));
      const { summary, stored } = split(replies);
      assert.deepEqual(summary, [
        { pc: 'prefetched', key: 'b.css', hash: b.asset.hash, bytes: PIECE, complete: true },
        { pc: 'prefetched', key: 'a.jpg', hash: a.asset.hash, bytes: 2 * PIECE + 7, complete: true },
        { pc: 'prefetch-done' },
      ]);
      assert.deepEqual(stored, { [b.asset.hash]: PIECE, [a.asset.hash]: 2 * PIECE + 7 }, 'each stored piece told as it lands');
      assert.equal(h.closed(), 2, 'each session closed');
    },
  );

  it('no peers, a failed piece, a bad piece: skipped, nothing stored for them, never anything else asked', T, async () => {
    const a = await makeAsset(3 * PIECE);
    const none = await makeAsset(PIECE);
    const h = harness({ 'a.jpg': a, 'none.jpg': none }, (req, send) => {
      if (req.hash === none.asset.hash) return send({ pc: 'no-peers', reason: 'no holder reachable' });
      send({ pc: 'accepted', peers: 1 });
      send(pieceOf(a, 0));
      send({ pc: 'piece-failed', index: 1, reason: 'peers failed' });
      const bad = new Uint8Array(slice(a, 2));
      bad[0] = (bad[0]! + 1) & 0xff;
      send({ pc: 'piece', index: 2, data: bufferOf(bad), peerId: 'liar' });
    });
    const replies: PrefetchReply[] = [];
    await prefetchAssets(['none.jpg', 'a.jpg', 'unknown.png'], h.deps, (r) => replies.push(r));
    assert.deepEqual(h.storeOf(a.asset.hash).stored(), [0]);
    assert.deepEqual(h.storeOf(none.asset.hash).stored(), []);
    assert.deepEqual(h.feedback, [JSON.stringify({ pc: 'bad-piece', index: 2, peerId: 'liar' })]);
    assert.deepEqual(split(replies).summary, [
      { pc: 'prefetched', key: 'none.jpg', hash: none.asset.hash, bytes: 0, complete: false },
      { pc: 'prefetched', key: 'a.jpg', hash: a.asset.hash, bytes: PIECE, complete: false },
      { pc: 'prefetched', key: 'unknown.png', hash: null, bytes: 0, complete: false },
      { pc: 'prefetch-done' },
    ]);
  });

  it('an asset whose piece list cannot be had: nothing of it stored, no peer blamed, the next asset still prefetched', T, async () => {
    const listless = await makeAsset(2 * PIECE);
    const next = await makeAsset(PIECE);
    const h = harness({ 'listless.jpg': listless, 'next.jpg': next }, (req, send) => {
      const f = req.hash === listless.asset.hash ? listless : next;
      send({ pc: 'accepted', peers: 1 });
      for (const i of req.pieces) send(pieceOf(f, i));
    });
    h.deps.pieceHash = (asset, index) =>
      asset.hash === listless.asset.hash ? Promise.reject(new Error('piece-list: root mismatch')) : fakePieceHash(asset, index);
    const replies: PrefetchReply[] = [];
    await prefetchAssets(['listless.jpg', 'next.jpg'], h.deps, (r) => replies.push(r));
    assert.deepEqual(h.storeOf(listless.asset.hash).stored(), []);
    assert.deepEqual(h.feedback, [], 'no bad-piece report');
    assert.ok(h.storeOf(next.asset.hash).holdsAll(next));
    assert.deepEqual(split(replies).summary, [
      { pc: 'prefetched', key: 'listless.jpg', hash: listless.asset.hash, bytes: 0, complete: false },
      { pc: 'prefetched', key: 'next.jpg', hash: next.asset.hash, bytes: PIECE, complete: true },
      { pc: 'prefetch-done' },
    ]);
  });

  it('a bridge that never accepts, or stalls, is left after its deadline, keeping what came', T, async () => {
    const silent = await makeAsset(PIECE);
    const stalls = await makeAsset(2 * PIECE);
    const h = harness({ 'silent.jpg': silent, 'stalls.jpg': stalls }, (req, send) => {
      if (req.hash === stalls.asset.hash) {
        send({ pc: 'accepted', peers: 1 });
        send(pieceOf(stalls, 0));
      }
    });
    const replies: PrefetchReply[] = [];
    const run = prefetchAssets(['silent.jpg', 'stalls.jpg'], h.deps, (r) => replies.push(r));
    await settleTasks();
    h.clock.advance(PREFETCH_ACCEPT_TIMEOUT_MS);
    await settleTasks();
    h.clock.advance(PREFETCH_STALL_TIMEOUT_MS);
    await run;
    assert.deepEqual(
      split(replies).summary.map((r) => (r.pc === 'prefetched' ? [r.key, r.bytes] : r.pc)),
      [['silent.jpg', 0], ['stalls.jpg', PIECE], 'prefetch-done'],
    );
  });

  it('torrents and assets whose origin file changed are not prefetched', T, async () => {
    const video = await makeAsset(PIECE);
    const changed = await makeAsset(PIECE);
    video.asset.torrent = { infoHash: 'a'.repeat(40), pieceLength: PIECE, file: 'peer-connect-torrents/v.torrent', announce: '/x' };
    const h = harness({ 'v.mp4': video, 'c.jpg': changed }, () => assert.fail('the bridge was asked'));
    h.deps.isChanged = (hash) => hash === changed.asset.hash;
    const replies: PrefetchReply[] = [];
    await prefetchAssets(['v.mp4', 'c.jpg'], h.deps, (r) => replies.push(r));
    assert.equal(h.asked.length, 0);
    assert.equal(replies.length, 3);
  });
});

describe('the build writes each page its asset list', () => {
  const jpeg = Buffer.alloc(3000, 1);
  const site = builtSite([
    [
      'index.html',
      '<html><head><link rel="stylesheet" href="css/a.css"></head><body><img src="img/a.jpg"><a href="b/">b</a></body></html>',
    ],
    [
      'b/index.html',
      '<html><body><video src="../v.mp4"></video><img src="../img/a.jpg"><img src="../img/b.jpg"><script src="../js/b.js"></script></body></html>',
    ],
    ['css/a.css', 'body { background: url(../img/bg.png) }'],
    ['img/a.jpg', jpeg],
    ['img/b.jpg', Buffer.alloc(5000, 2)],
    ['img/bg.png', Buffer.alloc(10, 3)],
    ['js/b.js', 'console.log(1)'],
    ['v.mp4', Buffer.alloc(2000, 4)],
  ]);

  const read = async (file: string): Promise<PageAssets> => {
    const decoded = decodePageAssets(await readFile(join(site.out, file), 'utf8'));
    assert.ok(decoded.ok, file);
    return decoded.value;
  };

  it('render-blocking first, then the rest (the markup in document order, then what stylesheets name), with sizes and hashes from the manifest; no torrent', async () => {
    const { manifest } = site.result();
    const index = await read(pageAssetsFileForPage('index.html'));
    assert.deepEqual(
      index.assets.map((a) => a.key),
      ['css/a.css', 'img/a.jpg', 'img/bg.png'],
    );
    for (const a of index.assets) assert.deepEqual([a.size, a.hash], [manifest.assets[a.key]?.size, manifest.assets[a.key]?.hash]);
    const b = await read(pageAssetsFile('b/'));
    assert.ok(manifest.assets['v.mp4']?.torrent, 'the video has a torrent');
    assert.deepEqual(
      b.assets.map((a) => a.key),
      ['js/b.js', 'img/a.jpg', 'img/b.jpg'],
    );
  });

  it('the lists are ours: never assets, never in the manifest', () => {
    assert.ok(!Object.keys(site.result().manifest.assets).some((k) => k.startsWith(`${PAGE_ASSETS_DIR}/`)));
  });
});
