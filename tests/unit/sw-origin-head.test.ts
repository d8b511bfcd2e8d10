/**
 * A torrent asset's head (issue 14, "video: the first window from the origin"): the first pieces
 * of a media element's Range request are asked of the origin at once while the torrent has not
 * started in the page, the rest of peers; should the origin fail the head (unreachable, 5xx) peers
 * are asked for it, while a refusal (404) stays the origin's answer. Same fakes as sw-gather.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TORRENT_HEADS_PER_WINDOW } from '../../protocol/limits.ts';
import type { ManifestAsset } from '../../protocol/manifest.ts';
import { originHeadPieces } from '../../sw/hedge-policy.ts';
import { serveAsset } from '../../sw/serve-asset.ts';
import { claimTorrentHead, torrentServing } from '../../sw/torrent-heads.ts';
import { FakeClock } from './support/fake-clock.ts';
import {
  deps,
  FakeBridge,
  FakeOrigin,
  type Fixture,
  gatherAll,
  headGatherer,
  MemStore,
  makeAsset,
  PIECE,
  pieceReply,
  range,
  rangeFor,
  SIZE,
  sourcesOf,
  T,
  URL_,
} from './support/sw-fakes.ts';

const KIB = 1024;

describe('originHeadPieces', () => {
  it('512 KiB in whole pieces, at most a quarter of the file, none under four pieces', () => {
    assert.equal(originHeadPieces(8 * 1024 * KIB, 64 * KIB), 8, 'a large video: 512 KiB');
    assert.equal(originHeadPieces(8 * 1024 * KIB, 100 * KIB), 6, 'rounded up to whole pieces');
    assert.equal(originHeadPieces(20 * 64 * KIB, 64 * KIB), 5, 'a 20-piece file: a quarter');
    assert.equal(originHeadPieces(400 * KIB, 64 * KIB), 1, 'a 7-piece clip: a quarter, rounded down');
    assert.equal(originHeadPieces(3 * 64 * KIB, 64 * KIB), 0, 'under four pieces: none');
    assert.equal(originHeadPieces(0, 64 * KIB), 0);
    assert.equal(originHeadPieces(100, 0), 0);
  });
});

/** Peers that send every piece they are asked for, one each 3 ms after 10 ms. */
const everyPiece = (f: Fixture) => (pieces: number[]) => [
  { at: 2, reply: { pc: 'accepted' as const, peers: 1 } },
  ...pieces.map((i, k) => ({ at: 10 + 3 * k, reply: pieceReply(f, i) })),
];

describe('PieceGatherer: a head from the origin', () => {
  it('the head is asked of the origin at once, the rest of peers only; every byte exact', T, async () => {
    const f = await makeAsset(SIZE);
    const origin = new FakeOrigin(f);
    const clock = new FakeClock(0);
    const bridge = new FakeBridge(everyPiece(f), clock);
    const d = { ...deps(new MemStore(f.asset.hash), origin, bridge, { firstMs: 5_000, stallMs: 5_000 }), timers: clock };
    const g = headGatherer(f, d);
    const all = gatherAll(g);
    await clock.advanceSettled(0);
    assert.deepEqual(origin.ranges, [rangeFor(f, 0, 2)], 'the head went to the origin before any peer answered');
    await clock.advanceSettled(100);
    const { bytes, pieces } = await all;
    assert.deepEqual(bytes, f.data);
    assert.deepEqual(
      bridge.requests.map((r) => r.pieces),
      [range(3, 9)],
      'peers are asked only for the rest',
    );
    assert.deepEqual(sourcesOf(pieces), [...Array(3).fill('origin'), ...Array(7).fill('peer')]);
    assert.deepEqual(origin.ranges, [rangeFor(f, 0, 2)], 'nothing else from the origin');
  });

  it('a head already cached is not asked of the origin', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    for (const i of [0, 1, 2]) store.put(i, f.data.slice(i * PIECE, (i + 1) * PIECE));
    const origin = new FakeOrigin(f);
    const bridge = new FakeBridge(everyPiece(f));
    const g = headGatherer(f, deps(store, origin, bridge, { firstMs: 5_000, stallMs: 5_000 }));
    const { bytes } = await gatherAll(g);
    assert.deepEqual(bytes, f.data);
    assert.deepEqual(origin.ranges, []);
    assert.deepEqual(g.bytes, { cache: 3 * PIECE, peer: SIZE - 3 * PIECE, origin: 0 });
  });

  for (const [name, origin] of [
    ['answers 500', (f: Fixture) => new FakeOrigin(f, 'fail')],
    [
      'is unreachable',
      (f: Fixture) => {
        const o = new FakeOrigin(f);
        o.fetchOrigin = async () => {
          throw new TypeError('Failed to fetch');
        };
        return o;
      },
    ],
  ] as const) {
    it(`the origin ${name} for the head: peers are asked for it, and every byte arrives`, T, async () => {
      const f = await makeAsset(SIZE);
      const bridge = new FakeBridge(everyPiece(f));
      const g = headGatherer(f, deps(new MemStore(f.asset.hash), origin(f), bridge, { firstMs: 5_000, stallMs: 5_000 }));
      const { bytes, pieces } = await gatherAll(g);
      assert.deepEqual(bytes, f.data);
      assert.ok(sourcesOf(pieces).every((s) => s === 'peer'));
      assert.deepEqual(
        bridge.requests.map((r) => r.pieces).sort((a, b) => a[0]! - b[0]!),
        [range(0, 2), range(3, 9)],
        'a session for the rest, and one for the head the origin failed',
      );
    });
  }

  it('the origin refuses the file (404) for the head: that stays its answer, peers are not asked for the head', T, async () => {
    const f = await makeAsset(SIZE);
    const bridge = new FakeBridge(everyPiece(f));
    const origin = new FakeOrigin(f, 'status', 7_001, 404);
    const g = headGatherer(f, deps(new MemStore(f.asset.hash), origin, bridge, { firstMs: 5_000, stallMs: 5_000 }));
    void g.start();
    await assert.rejects(g.piece(0), (e: Error & { code?: string }) => e.code === 'origin-status');
    await assert.rejects(g.versionProven(), (e: Error & { code?: string }) => e.code === 'origin-status');
    assert.ok(
      bridge.requests.every((r) => !r.pieces.includes(0)),
      'the head is never asked of peers',
    );
    g.cancel();
  });

  it('no bridge and the origin fails the head: the pieces fail, nothing hangs', T, async () => {
    const f = await makeAsset(SIZE);
    const g = headGatherer(f, deps(new MemStore(f.asset.hash), new FakeOrigin(f, 'fail'), null));
    void g.start();
    await assert.rejects(g.piece(0));
    g.cancel();
  });
});

describe('serveAsset: which requests get a head from the origin', () => {
  const torrentAsset = (f: Fixture): ManifestAsset => ({
    ...f.asset,
    torrent: {
      infoHash: 'a'.repeat(40),
      pieceLength: 4 * PIECE,
      file: 'peer-connect-torrents/clip.bin.torrent',
      announce: '/peer-connect/announce',
    },
  });

  async function originRangesFor(
    asset: (f: Fixture) => ManifestAsset,
    headers: Record<string, string>,
    claimHead?: () => boolean,
  ): Promise<Array<string | null>> {
    const f = await makeAsset(SIZE);
    const origin = new FakeOrigin(f);
    const bridge = new FakeBridge(everyPiece(f));
    const d = {
      ...deps(new MemStore(f.asset.hash), origin, bridge, { firstMs: 5_000, stallMs: 5_000 }),
      ...(claimHead ? { claimHead } : {}),
    };
    const response = await serveAsset(new Request(URL_, { headers }), asset(f), PIECE, d, () => undefined);
    const body = new Uint8Array(await response.arrayBuffer());
    const from = Number(/^bytes=(\d+)-$/.exec(headers.range ?? '')?.[1] ?? 0);
    assert.deepEqual(body, f.data.subarray(from), 'byte-exact whichever source');
    return origin.ranges;
  }

  it("a torrent asset's Range request (a media element): its head from the origin", T, async () => {
    const ranges = await originRangesFor(torrentAsset, { range: 'bytes=0-' });
    // SIZE is 10 pieces of 16 KiB: the head is a quarter of them, rounded down.
    assert.deepEqual(ranges, [`bytes=0-${2 * PIECE - 1}`]);
  });

  it("the worker's claim decides: the page's first read gets a head wherever it starts, later ones none", T, async () => {
    let claimed = false;
    const claim = (): boolean => {
      const first = !claimed;
      claimed = true;
      return first;
    };
    assert.deepEqual(await originRangesFor(torrentAsset, { range: `bytes=${3 * PIECE}-` }, claim), [`bytes=${3 * PIECE}-${5 * PIECE - 1}`]);
    assert.deepEqual(await originRangesFor(torrentAsset, { range: 'bytes=0-' }, claim), [], 'a second read, even from the start');
  });

  it('no head: an asset without a torrent, a whole-file GET, a read not from byte 0 (without a claim)', T, async () => {
    assert.deepEqual(await originRangesFor((f) => f.asset, { range: 'bytes=0-' }), []);
    assert.deepEqual(await originRangesFor(torrentAsset, {}), []);
    assert.deepEqual(await originRangesFor(torrentAsset, { range: `bytes=${3 * PIECE}-` }), []);
  });
});

describe('claimTorrentHead: one head per window and file', () => {
  const hash = (n: number): string => n.toString(16).padStart(64, '0');

  it("a window's first read of a file claims its head; later reads, and reads after a torrent piece came, do not", () => {
    assert.equal(claimTorrentHead('window-a', hash(1)), true);
    assert.equal(claimTorrentHead('window-a', hash(1)), false, 'a second read of the same file');
    assert.equal(claimTorrentHead('window-b', hash(1)), true, 'another window starts its own torrent');
    torrentServing('window-a', hash(2));
    assert.equal(claimTorrentHead('window-a', hash(2)), false, 'its torrent already delivered the page a piece');
    assert.equal(claimTorrentHead('', hash(3)), false, 'no window: no head');
  });

  it('a window remembers a bounded number of files, the oldest forgotten first', () => {
    for (let n = 100; n < 100 + TORRENT_HEADS_PER_WINDOW + 1; n++) assert.equal(claimTorrentHead('window-c', hash(n)), true);
    assert.equal(claimTorrentHead('window-c', hash(100)), true, 'the oldest was forgotten');
    assert.equal(claimTorrentHead('window-c', hash(100 + TORRENT_HEADS_PER_WINDOW)), false, 'the newest is remembered');
  });
});
