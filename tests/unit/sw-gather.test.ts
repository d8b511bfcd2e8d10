/**
 * The service worker's piece gathering and response building, in Node: a real asset with real
 * SHA-256 piece hashes, an in-memory piece store, a scripted fake bridge, and a fake origin that
 * speaks Range (206) — or ignores it (200), or fails (500). Timeouts are shortened; every test is
 * bounded.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import type { BridgeReply, WorkerFeedback } from '../../protocol/bridge-messages.ts';
import { toHex } from '../../protocol/hex.ts';
import type { ManifestAsset } from '../../protocol/manifest.ts';
import { pieceSpan } from '../../protocol/pieces.ts';
import { PieceGatherer, type GatherDeps, type GatheredPiece, type Source } from '../../sw/gather-pieces.ts';
import { serveAsset, SOURCE_HEADER, type ServeOutcome } from '../../sw/serve-asset.ts';
import { WindowedGatherer } from '../../sw/windowed-gather.ts';
import { matchesHash } from '../../sw/verify.ts';

const PIECE = 16 * 1024;
const URL_ = 'https://site.example/media/clip.bin';
const PEER = 'peer_AAAAAAAAAAAAAAAA';
const T = { timeout: 10_000 };

async function sha256Hex(data: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', data as BufferSource)));
}

interface Fixture {
  data: Uint8Array;
  asset: ManifestAsset;
}

async function makeAsset(size: number): Promise<Fixture> {
  const data = new Uint8Array(randomBytes(size));
  const pieces: string[] = [];
  for (let off = 0; off < size; off += PIECE) pieces.push(await sha256Hex(data.subarray(off, off + PIECE)));
  return { data, asset: { hash: await sha256Hex(data), size, type: 'video/mp4', pieces } };
}

const slice = (f: Fixture, index: number): Uint8Array => {
  const s = pieceSpan(index, f.asset.size, PIECE);
  return f.data.slice(s.start, s.end);
};
const bufferOf = (u: Uint8Array): ArrayBuffer => u.slice().buffer as ArrayBuffer;
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, k) => from + k);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- fakes

class MemStore {
  readonly map = new Map<string, ArrayBuffer>();
  readonly written: number[] = [];
  readonly deleted: number[] = [];
  constructor(private readonly hash: string) {}
  put(index: number, data: Uint8Array): void {
    this.map.set(`${this.hash}:${index}`, bufferOf(data));
  }
  get(index: number): Uint8Array | undefined {
    const b = this.map.get(`${this.hash}:${index}`);
    return b ? new Uint8Array(b) : undefined;
  }
  readPieces = async (hash: string, indexes: readonly number[]): Promise<Array<ArrayBuffer | undefined>> =>
    indexes.map((i) => {
      const b = this.map.get(`${hash}:${i}`);
      return b ? b.slice(0) : undefined;
    });
  writePiece = async (hash: string, index: number, data: ArrayBuffer): Promise<boolean> => {
    this.written.push(index);
    this.map.set(`${hash}:${index}`, data.slice(0));
    return true;
  };
  deletePiece = async (hash: string, index: number): Promise<void> => {
    this.deleted.push(index);
    this.map.delete(`${hash}:${index}`);
  };
}

type Step = { at: number; reply: BridgeReply };

/** A bridge that answers a fetch with a scripted list of replies, each after a delay (ms from open). */
class FakeBridge {
  opened = 0;
  closed = false;
  readonly reports: WorkerFeedback[] = [];
  readonly requests: Array<{ hash: string; size: number; pieces: number[] }> = [];
  private readonly timers: Array<ReturnType<typeof setTimeout>> = [];
  constructor(private readonly plan: (pieces: number[]) => Step[]) {}
  openBridge: GatherDeps['openBridge'] = async (request, onReply) => {
    this.opened++;
    this.requests.push({ hash: request.hash, size: request.size, pieces: [...request.pieces] });
    // Each session (a windowed gather opens several) stops on its own close.
    let sessionClosed = false;
    const timers: Array<ReturnType<typeof setTimeout>> = [];
    for (const step of this.plan([...request.pieces])) {
      timers.push(
        setTimeout(() => {
          if (!sessionClosed) onReply(step.reply);
        }, step.at),
      );
    }
    this.timers.push(...timers);
    return {
      report: (f: WorkerFeedback) => {
        this.reports.push(f);
      },
      close: () => {
        sessionClosed = true;
        this.closed = true;
        for (const t of timers) clearTimeout(t);
      },
    };
  };
}

const pieceReply = (f: Fixture, index: number, peerId = PEER): BridgeReply => ({ pc: 'piece', index, data: bufferOf(slice(f, index)), peerId });

type OriginMode = 'range' | 'ignore-range' | 'fail';

/** A static origin: honours `Range` with 206 (or ignores it, or answers 500); streams in odd-sized chunks. */
class FakeOrigin {
  readonly ranges: Array<string | null> = [];
  bytesSent = 0;
  aborted = 0;
  constructor(
    private readonly f: Fixture,
    private readonly mode: OriginMode = 'range',
    private readonly chunk = 7_001,
  ) {}
  fetchOrigin = async (url: string, init: RequestInit): Promise<Response> => {
    assert.equal(url, URL_);
    const rangeHeader = new Headers(init.headers).get('range');
    this.ranges.push(rangeHeader);
    if (this.mode === 'fail') return new Response('boom', { status: 500 });
    let start = 0;
    let end = this.f.data.length - 1;
    let status = 200;
    const headers = new Headers({ 'Content-Type': 'video/mp4' });
    const m = rangeHeader ? /^bytes=(\d+)-(\d+)$/.exec(rangeHeader) : null;
    if (this.mode === 'range' && m) {
      start = Number(m[1]);
      end = Math.min(Number(m[2]), this.f.data.length - 1);
      status = 206;
      headers.set('Content-Range', `bytes ${start}-${end}/${this.f.data.length}`);
    }
    const body = this.f.data.subarray(start, end + 1);
    headers.set('Content-Length', String(body.length));
    let offset = 0;
    const signal = init.signal;
    const stream = new ReadableStream<Uint8Array>({
      pull: async (controller) => {
        await sleep(0);
        if (signal?.aborted) {
          this.aborted++;
          controller.error(new Error('aborted'));
          return;
        }
        if (offset >= body.length) {
          controller.close();
          return;
        }
        const part = body.slice(offset, offset + this.chunk);
        offset += part.length;
        this.bytesSent += part.length;
        controller.enqueue(part);
      },
    });
    return new Response(stream, { status, headers });
  };
}

/** The byte ranges a run of pieces [first, last] maps to, as the worker should ask for them. */
const rangeFor = (f: Fixture, first: number, last: number): string =>
  `bytes=${pieceSpan(first, f.asset.size, PIECE).start}-${pieceSpan(last, f.asset.size, PIECE).end - 1}`;

function deps(store: MemStore, origin: FakeOrigin, bridge: FakeBridge | null, timeouts?: GatherDeps['timeouts']): GatherDeps {
  const d: GatherDeps = {
    readPieces: store.readPieces,
    writePiece: store.writePiece,
    deletePiece: store.deletePiece,
    verify: matchesHash,
    openBridge: bridge ? bridge.openBridge : async () => null,
    fetchOrigin: origin.fetchOrigin,
  };
  if (timeouts) d.timeouts = timeouts;
  return d;
}

async function gatherAll(g: PieceGatherer): Promise<{ bytes: Uint8Array; pieces: GatheredPiece[] }> {
  void g.start();
  const pieces = await Promise.all(g.indexes.map((i) => g.piece(i)));
  const total = pieces.reduce((n, p) => n + p.data.length, 0);
  const bytes = new Uint8Array(total);
  let off = 0;
  for (const p of pieces) {
    bytes.set(p.data, off);
    off += p.data.length;
  }
  return { bytes, pieces };
}

const sourcesOf = (pieces: GatheredPiece[]): Source[] => pieces.map((p) => p.source);
const allIndexes = (f: Fixture): number[] => range(0, f.asset.pieces.length - 1);

/** 10 pieces, the last one partial. */
const SIZE = 9 * PIECE + 1234;

// ---------------------------------------------------------------- PieceGatherer

describe('PieceGatherer', () => {
  it('everything cached: all from cache, no bridge, no origin', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    for (const i of allIndexes(f)) store.put(i, slice(f, i));
    const origin = new FakeOrigin(f);
    const bridge = new FakeBridge(() => []);
    const g = new PieceGatherer(f.asset, URL_, PIECE, allIndexes(f), deps(store, origin, bridge));
    const { bytes, pieces } = await gatherAll(g);
    assert.deepEqual(bytes, f.data);
    assert.ok(sourcesOf(pieces).every((s) => s === 'cache'));
    assert.deepEqual(g.bytes, { cache: SIZE, peer: 0, origin: 0 });
    assert.equal(origin.ranges.length, 0);
    assert.equal(bridge.opened, 0);
    assert.deepEqual(store.written, []);
  });

  it('a corrupted cached piece is deleted and fetched again', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    for (const i of allIndexes(f)) store.put(i, slice(f, i));
    const bad = slice(f, 3);
    bad[100] = (bad[100]! + 1) & 0xff;
    store.put(3, bad);
    const origin = new FakeOrigin(f);
    const g = new PieceGatherer(f.asset, URL_, PIECE, allIndexes(f), deps(store, origin, null));
    const { bytes, pieces } = await gatherAll(g);
    assert.deepEqual(bytes, f.data);
    assert.deepEqual(store.deleted, [3]);
    assert.deepEqual(origin.ranges, [rangeFor(f, 3, 3)]);
    assert.equal(pieces[3]!.source, 'origin');
    assert.deepEqual(g.bytes, { cache: SIZE - PIECE, peer: 0, origin: PIECE });
    assert.equal(await g.allStored(), true);
    assert.deepEqual(store.get(3), slice(f, 3), 'the good piece replaced the bad one');
  });

  it('no bridge: only the missing runs come from the origin, one Range request per run', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    for (const i of [0, 1, 4, 7]) store.put(i, slice(f, i));
    const origin = new FakeOrigin(f);
    const g = new PieceGatherer(f.asset, URL_, PIECE, allIndexes(f), deps(store, origin, null));
    const { bytes, pieces } = await gatherAll(g);
    assert.deepEqual(bytes, f.data);
    assert.deepEqual([...origin.ranges].sort(), [rangeFor(f, 2, 3), rangeFor(f, 5, 6), rangeFor(f, 8, 9)].sort());
    assert.equal(origin.ranges.includes(`bytes=${8 * PIECE}-${SIZE - 1}`), true, 'the last run ends at the last byte');
    assert.equal(origin.bytesSent, SIZE - 4 * PIECE, 'no byte fetched twice or needlessly');
    assert.deepEqual(sourcesOf(pieces), ['cache', 'cache', 'origin', 'origin', 'cache', 'origin', 'origin', 'cache', 'origin', 'origin']);
    assert.deepEqual(g.bytes, { cache: 4 * PIECE, peer: 0, origin: SIZE - 4 * PIECE });
    assert.equal(await g.allStored(), true);
    assert.deepEqual([...store.written].sort((a, b) => a - b), [2, 3, 5, 6, 8, 9]);
  });

  it('a gather of a sub-range of pieces fetches only those', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const g = new PieceGatherer(f.asset, URL_, PIECE, [4, 5, 6], deps(store, origin, null));
    const { bytes } = await gatherAll(g);
    assert.deepEqual(bytes, f.data.subarray(4 * PIECE, 7 * PIECE));
    assert.deepEqual(origin.ranges, [rangeFor(f, 4, 6)]);
    await assert.rejects(g.piece(0), /not part of this gather/);
  });

  it('an origin that ignores Range (200) still yields exact pieces', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    for (const i of [0, 1, 4, 7]) store.put(i, slice(f, i));
    const origin = new FakeOrigin(f, 'ignore-range', 5_000);
    const g = new PieceGatherer(f.asset, URL_, PIECE, allIndexes(f), deps(store, origin, null));
    const { bytes } = await gatherAll(g);
    assert.deepEqual(bytes, f.data);
    assert.equal(origin.ranges.length, 3);
    assert.equal(await g.allStored(), true);
  });

  it('bridge answers no-peers: everything missing comes from the origin', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    store.put(0, slice(f, 0));
    const origin = new FakeOrigin(f);
    const bridge = new FakeBridge(() => [{ at: 5, reply: { pc: 'no-peers', reason: 'no signaling' } }]);
    const started = Date.now();
    const g = new PieceGatherer(f.asset, URL_, PIECE, allIndexes(f), deps(store, origin, bridge, { accept: 5_000, firstPiece: 5_000, stall: 5_000 }));
    const { bytes } = await gatherAll(g);
    assert.ok(Date.now() - started < 2_000, 'no-peers is acted on at once, not after a deadline');
    assert.deepEqual(bytes, f.data);
    assert.deepEqual(bridge.requests[0]?.pieces, range(1, 9), 'the bridge is asked only for missing pieces');
    assert.equal(bridge.requests[0]?.hash, f.asset.hash);
    assert.equal(bridge.requests[0]?.size, SIZE);
    assert.deepEqual(origin.ranges, [rangeFor(f, 1, 9)]);
    assert.equal(bridge.closed, true);
    assert.deepEqual(g.bytes, { cache: PIECE, peer: 0, origin: SIZE - PIECE });
  });

  it('openBridge rejecting is the same as no bridge', T, async () => {
    const f = await makeAsset(3 * PIECE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const d = deps(store, origin, null);
    d.openBridge = async () => {
      throw new Error('no clients');
    };
    const { bytes } = await gatherAll(new PieceGatherer(f.asset, URL_, PIECE, allIndexes(f), d));
    assert.deepEqual(bytes, f.data);
    assert.deepEqual(origin.ranges, [rangeFor(f, 0, 2)]);
  });

  it('peers deliver everything (out of order): zero origin bytes, every piece stored', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const order = [3, 0, 9, 1, 2, 8, 4, 7, 6, 5];
    const bridge = new FakeBridge(() => [{ at: 2, reply: { pc: 'accepted', peers: 2 } }, ...order.map((i, k) => ({ at: 5 + k * 3, reply: pieceReply(f, i) }))]);
    const g = new PieceGatherer(f.asset, URL_, PIECE, allIndexes(f), deps(store, origin, bridge, { accept: 2_000, firstPiece: 2_000, stall: 2_000 }));
    const { bytes, pieces } = await gatherAll(g);
    assert.deepEqual(bytes, f.data);
    assert.ok(sourcesOf(pieces).every((s) => s === 'peer'));
    assert.deepEqual(g.bytes, { cache: 0, peer: SIZE, origin: 0 });
    assert.equal(origin.ranges.length, 0);
    assert.equal(origin.bytesSent, 0);
    assert.equal(await g.allStored(), true);
    for (const i of allIndexes(f)) assert.deepEqual(store.get(i), slice(f, i), `piece ${i} stored`);
    assert.equal(bridge.closed, true, 'the session is closed once every piece arrived');
    assert.deepEqual(bridge.reports, []);
    assert.equal(g.badPeers.size, 0);
  });

  it('a corrupt piece from a peer: reported with that peer id, refetched from the origin, never stored', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const liar = 'peer_LIARLIARLIARLIAR';
    const corrupt = slice(f, 2);
    corrupt[0] = (corrupt[0]! ^ 0xff) & 0xff;
    const bridge = new FakeBridge((pieces) => [
      { at: 1, reply: { pc: 'accepted', peers: 2 } },
      ...pieces.filter((i) => i !== 2).map((i, k) => ({ at: 3 + k, reply: pieceReply(f, i) })),
      { at: 4, reply: { pc: 'piece', index: 2, data: bufferOf(corrupt), peerId: liar } },
    ]);
    const writes: Array<{ index: number; data: Uint8Array }> = [];
    const d = deps(store, origin, bridge, { accept: 2_000, firstPiece: 2_000, stall: 2_000 });
    d.writePiece = async (hash, index, data) => {
      writes.push({ index, data: new Uint8Array(data.slice(0)) });
      return store.writePiece(hash, index, data);
    };
    const g = new PieceGatherer(f.asset, URL_, PIECE, allIndexes(f), d);
    const { bytes, pieces } = await gatherAll(g);
    assert.deepEqual(bytes, f.data, 'the page gets exact bytes');
    assert.deepEqual(bridge.reports, [{ pc: 'bad-piece', index: 2, peerId: liar }]);
    assert.deepEqual([...g.badPeers], [liar]);
    assert.equal(pieces[2]!.source, 'origin');
    assert.deepEqual(origin.ranges, [rangeFor(f, 2, 2)]);
    assert.deepEqual(g.bytes, { cache: 0, peer: SIZE - PIECE, origin: PIECE });
    assert.equal(await g.allStored(), true);
    for (const w of writes) assert.deepEqual(w.data, slice(f, w.index), `only verified bytes are stored (piece ${w.index})`);
    assert.deepEqual(store.get(2), slice(f, 2));
  });

  it('a piece of the wrong length is treated as bad', T, async () => {
    const f = await makeAsset(4 * PIECE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const bridge = new FakeBridge(() => [
      { at: 1, reply: { pc: 'accepted', peers: 1 } },
      { at: 2, reply: pieceReply(f, 0) },
      { at: 3, reply: { pc: 'piece', index: 1, data: bufferOf(slice(f, 1).subarray(0, 100)), peerId: PEER } },
      { at: 4, reply: pieceReply(f, 2) },
      { at: 5, reply: pieceReply(f, 3) },
    ]);
    const g = new PieceGatherer(f.asset, URL_, PIECE, allIndexes(f), deps(store, origin, bridge, { accept: 2_000, firstPiece: 2_000, stall: 2_000 }));
    const { bytes } = await gatherAll(g);
    assert.deepEqual(bytes, f.data);
    assert.deepEqual(bridge.reports, [{ pc: 'bad-piece', index: 1, peerId: PEER }]);
    assert.deepEqual(origin.ranges, [rangeFor(f, 1, 1)]);
  });

  it('piece-failed: that piece comes from the origin', T, async () => {
    const f = await makeAsset(4 * PIECE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const bridge = new FakeBridge(() => [
      { at: 1, reply: { pc: 'accepted', peers: 1 } },
      { at: 2, reply: pieceReply(f, 0) },
      { at: 3, reply: { pc: 'piece-failed', index: 2, reason: 'nak' } },
      { at: 4, reply: pieceReply(f, 1) },
      { at: 5, reply: pieceReply(f, 3) },
    ]);
    const g = new PieceGatherer(f.asset, URL_, PIECE, allIndexes(f), deps(store, origin, bridge, { accept: 2_000, firstPiece: 2_000, stall: 2_000 }));
    const { bytes, pieces } = await gatherAll(g);
    assert.deepEqual(bytes, f.data);
    assert.deepEqual(sourcesOf(pieces), ['peer', 'peer', 'origin', 'peer']);
    assert.deepEqual(origin.ranges, [rangeFor(f, 2, 2)]);
  });

  it('bridge never accepts: after the accept timeout everything comes from the origin', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const bridge = new FakeBridge(() => []);
    const started = Date.now();
    const g = new PieceGatherer(f.asset, URL_, PIECE, allIndexes(f), deps(store, origin, bridge, { accept: 60, firstPiece: 5_000, stall: 5_000 }));
    const { bytes } = await gatherAll(g);
    const ms = Date.now() - started;
    assert.deepEqual(bytes, f.data);
    assert.ok(ms >= 55 && ms < 2_000, `took ${ms} ms`);
    assert.deepEqual(origin.ranges, [rangeFor(f, 0, 9)]);
    assert.equal(bridge.closed, true);
  });

  it('bridge accepts but no piece comes: after the first-piece timeout everything comes from the origin', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const bridge = new FakeBridge(() => [{ at: 5, reply: { pc: 'accepted', peers: 3 } }]);
    const started = Date.now();
    const g = new PieceGatherer(f.asset, URL_, PIECE, allIndexes(f), deps(store, origin, bridge, { accept: 40, firstPiece: 150, stall: 5_000 }));
    const { bytes } = await gatherAll(g);
    const ms = Date.now() - started;
    assert.deepEqual(bytes, f.data);
    assert.ok(ms >= 140 && ms < 2_000, `waited for the first-piece deadline, not the accept one (${ms} ms)`);
    assert.equal(g.bytes.origin, SIZE);
    assert.equal(bridge.closed, true);
  });

  it('peers stall mid-way: after the stall timeout the rest comes from the origin; late pieces are ignored', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const lateReplies: BridgeReply[] = [];
    const bridge = new FakeBridge(() => [
      { at: 1, reply: { pc: 'accepted', peers: 1 } },
      { at: 5, reply: pieceReply(f, 0) },
      { at: 10, reply: pieceReply(f, 1) },
      { at: 15, reply: pieceReply(f, 5) },
    ]);
    // Capture the reply callback so we can send a piece after the session was closed.
    let late: ((r: BridgeReply) => void) | undefined;
    const d = deps(store, origin, bridge, { accept: 1_000, firstPiece: 1_000, stall: 80 });
    d.openBridge = async (request, onReply) => {
      late = (r) => {
        lateReplies.push(r);
        onReply(r);
      };
      return bridge.openBridge(request, onReply);
    };
    const started = Date.now();
    const g = new PieceGatherer(f.asset, URL_, PIECE, allIndexes(f), d);
    const { bytes, pieces } = await gatherAll(g);
    const ms = Date.now() - started;
    assert.deepEqual(bytes, f.data);
    assert.ok(ms >= 80 && ms < 2_000, `took ${ms} ms`);
    assert.deepEqual(sourcesOf(pieces), ['peer', 'peer', 'origin', 'origin', 'origin', 'peer', 'origin', 'origin', 'origin', 'origin']);
    assert.deepEqual([...origin.ranges].sort(), [rangeFor(f, 2, 4), rangeFor(f, 6, 9)].sort());
    assert.deepEqual(g.bytes, { cache: 0, peer: 3 * PIECE, origin: SIZE - 3 * PIECE });
    assert.equal(bridge.closed, true);
    // A piece arriving after the deadline changes nothing.
    late?.(pieceReply(f, 7));
    await sleep(20);
    assert.equal(lateReplies.length, 1);
    assert.deepEqual(g.bytes, { cache: 0, peer: 3 * PIECE, origin: SIZE - 3 * PIECE });
    assert.equal((await g.piece(7)).source, 'origin');
  });

  it('origin fails (500) with no bridge: every piece rejects, nothing hangs', T, async () => {
    const f = await makeAsset(3 * PIECE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f, 'fail');
    const g = new PieceGatherer(f.asset, URL_, PIECE, allIndexes(f), deps(store, origin, null));
    void g.start();
    for (const i of allIndexes(f)) await assert.rejects(g.piece(i), /500/);
    assert.deepEqual(store.written, []);
  });

  it('cancel aborts the origin request', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f, 'range', 1_000);
    const g = new PieceGatherer(f.asset, URL_, PIECE, allIndexes(f), deps(store, origin, null));
    void g.start();
    await g.piece(0);
    g.cancel();
    await assert.rejects(g.piece(9));
    assert.ok(origin.bytesSent < SIZE, 'the origin stopped sending');
  });
});

// ---------------------------------------------------------------- serveAsset

describe('serveAsset', () => {
  const request = (headers: Record<string, string> = {}): Request => new Request(URL_, { headers });

  async function serve(
    f: Fixture,
    d: GatherDeps,
    headers: Record<string, string> = {},
  ): Promise<{ response: Response; done: Promise<ServeOutcome | null> }> {
    let resolveDone: (o: ServeOutcome | null) => void = () => undefined;
    let calls = 0;
    const done = new Promise<ServeOutcome | null>((r) => (resolveDone = r));
    const response = await serveAsset(request(headers), f.asset, PIECE, d, (o) => {
      calls++;
      assert.equal(calls, 1, 'onDone is called once');
      resolveDone(o);
    });
    return { response, done };
  }

  it('200: exact body and headers (from the origin, no bridge)', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const { response, done } = await serve(f, deps(store, origin, null));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-length'), String(SIZE));
    assert.equal(response.headers.get('content-type'), 'video/mp4');
    assert.equal(response.headers.get('accept-ranges'), 'bytes');
    assert.equal(response.headers.get(SOURCE_HEADER), 'origin');
    assert.equal(response.headers.get('content-range'), null);
    const body = new Uint8Array(await response.arrayBuffer());
    assert.deepEqual(body, f.data);
    const outcome = await done;
    assert.ok(outcome);
    assert.deepEqual(outcome.bytes, { cache: 0, peer: 0, origin: SIZE });
    assert.equal(outcome.status, 200);
    assert.equal(outcome.complete, true);
  });

  it('200 from cache says so', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    for (const i of allIndexes(f)) store.put(i, slice(f, i));
    const origin = new FakeOrigin(f);
    const { response, done } = await serve(f, deps(store, origin, null));
    assert.equal(response.headers.get(SOURCE_HEADER), 'cache');
    assert.deepEqual(new Uint8Array(await response.arrayBuffer()), f.data);
    assert.deepEqual((await done)?.bytes, { cache: SIZE, peer: 0, origin: 0 });
    assert.equal(origin.ranges.length, 0);
  });

  it('206 for bytes=100-70000: Content-Range, Content-Length and exact bytes', T, async () => {
    const f = await makeAsset(100_000);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const { response, done } = await serve(f, deps(store, origin, null), { Range: 'bytes=100-70000' });
    assert.equal(response.status, 206);
    assert.equal(response.headers.get('content-range'), 'bytes 100-70000/100000');
    assert.equal(response.headers.get('content-length'), String(70000 - 100 + 1));
    const body = new Uint8Array(await response.arrayBuffer());
    assert.equal(body.length, 69_901);
    assert.deepEqual(body, f.data.subarray(100, 70_001));
    assert.deepEqual(origin.ranges, [rangeFor(f, 0, 4)], 'only the pieces covering the range');
    const outcome = await done;
    assert.equal(outcome?.status, 206);
    assert.equal(outcome?.complete, false, 'a range does not make the asset complete');
  });

  it('206 for a suffix range inside the last partial piece', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const { response } = await serve(f, deps(store, origin, null), { Range: 'bytes=-500' });
    assert.equal(response.status, 206);
    assert.equal(response.headers.get('content-range'), `bytes ${SIZE - 500}-${SIZE - 1}/${SIZE}`);
    assert.deepEqual(new Uint8Array(await response.arrayBuffer()), f.data.subarray(SIZE - 500));
    assert.deepEqual(origin.ranges, [rangeFor(f, 9, 9)]);
  });

  it('206 with a one-byte range spanning nothing else', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const { response } = await serve(f, deps(store, origin, null), { Range: `bytes=${PIECE}-${PIECE}` });
    assert.equal(response.status, 206);
    assert.equal(response.headers.get('content-length'), '1');
    assert.deepEqual(new Uint8Array(await response.arrayBuffer()), f.data.subarray(PIECE, PIECE + 1));
    assert.deepEqual(origin.ranges, [rangeFor(f, 1, 1)]);
  });

  it('416 past the end, with bytes */size and no fetch at all', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const bridge = new FakeBridge(() => []);
    let doneCalls = 0;
    const response = await serveAsset(request({ Range: `bytes=${SIZE}-` }), f.asset, PIECE, deps(store, origin, bridge), () => doneCalls++);
    assert.equal(response.status, 416);
    assert.equal(response.headers.get('content-range'), `bytes */${SIZE}`);
    assert.equal((await response.arrayBuffer()).byteLength, 0);
    assert.equal(origin.ranges.length, 0);
    assert.equal(bridge.opened, 0);
    assert.ok(doneCalls <= 1);
  });

  it('several ranges → 200 with the whole file', T, async () => {
    const f = await makeAsset(3 * PIECE + 5);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const { response } = await serve(f, deps(store, origin, null), { Range: 'bytes=0-1,5-9' });
    assert.equal(response.status, 200);
    assert.deepEqual(new Uint8Array(await response.arrayBuffer()), f.data);
  });

  it('empty asset: 200, empty body, Content-Length 0, onDone called', T, async () => {
    const f = await makeAsset(0);
    assert.equal(f.asset.pieces.length, 0);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const { response, done } = await serve(f, deps(store, origin, null));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-length'), '0');
    assert.equal((await response.arrayBuffer()).byteLength, 0);
    const outcome = await done;
    assert.ok(outcome);
    assert.deepEqual(outcome.bytes, { cache: 0, peer: 0, origin: 0 });
    assert.equal(origin.ranges.length, 0);
  });

  it('origin fails (500) and nothing is cached: the response promise rejects, onDone(null)', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f, 'fail');
    const outcomes: Array<ServeOutcome | null> = [];
    await assert.rejects(serveAsset(request(), f.asset, PIECE, deps(store, origin, null), (o) => outcomes.push(o)), /500/);
    assert.deepEqual(outcomes, [null]);
  });

  it('origin fails after the first piece came from cache: the body errors, onDone(null), no hang', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    store.put(0, slice(f, 0));
    const origin = new FakeOrigin(f, 'fail');
    const outcomes: Array<ServeOutcome | null> = [];
    const response = await serveAsset(request(), f.asset, PIECE, deps(store, origin, null), (o) => outcomes.push(o));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get(SOURCE_HEADER), 'cache');
    await assert.rejects(response.arrayBuffer());
    assert.deepEqual(outcomes, [null]);
  });

  it('onDone reports the bytes by source (cache + peer + origin)', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    store.put(0, slice(f, 0));
    store.put(1, slice(f, 1));
    const origin = new FakeOrigin(f);
    const bridge = new FakeBridge(() => [
      { at: 1, reply: { pc: 'accepted', peers: 1 } },
      { at: 3, reply: pieceReply(f, 2) },
      { at: 4, reply: pieceReply(f, 3) },
      { at: 5, reply: pieceReply(f, 4) },
      { at: 6, reply: { pc: 'piece-failed', index: 5, reason: 'gone' } },
      // 6..9: never sent; the stall deadline sends them to the origin.
    ]);
    const { response, done } = await serve(f, deps(store, origin, bridge, { accept: 1_000, firstPiece: 1_000, stall: 60 }));
    assert.equal(response.status, 200);
    assert.equal(response.headers.get(SOURCE_HEADER), 'cache');
    assert.deepEqual(new Uint8Array(await response.arrayBuffer()), f.data);
    const outcome = await done;
    assert.ok(outcome);
    assert.deepEqual(outcome.bytes, { cache: 2 * PIECE, peer: 3 * PIECE, origin: SIZE - 5 * PIECE });
    assert.equal(outcome.bytes.cache + outcome.bytes.peer + outcome.bytes.origin, SIZE);
    assert.equal(outcome.status, 200);
    assert.equal(outcome.complete, true);
    assert.ok(outcome.ms >= 0);
    assert.deepEqual([...origin.ranges].sort(), [rangeFor(f, 5, 5), rangeFor(f, 6, 9)].sort());
  });

  it('a peer-first response says peer, and a corrupt peer piece never reaches the body', T, async () => {
    const f = await makeAsset(4 * PIECE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const corrupt = slice(f, 1);
    corrupt[PIECE - 1] = (corrupt[PIECE - 1]! + 1) & 0xff;
    const bridge = new FakeBridge(() => [
      { at: 1, reply: { pc: 'accepted', peers: 1 } },
      { at: 2, reply: pieceReply(f, 0) },
      { at: 3, reply: { pc: 'piece', index: 1, data: bufferOf(corrupt), peerId: PEER } },
      { at: 4, reply: pieceReply(f, 2) },
      { at: 5, reply: pieceReply(f, 3) },
    ]);
    const { response, done } = await serve(f, deps(store, origin, bridge, { accept: 1_000, firstPiece: 1_000, stall: 1_000 }));
    assert.equal(response.headers.get(SOURCE_HEADER), 'peer');
    assert.deepEqual(new Uint8Array(await response.arrayBuffer()), f.data);
    assert.deepEqual(bridge.reports, [{ pc: 'bad-piece', index: 1, peerId: PEER }]);
    assert.deepEqual((await done)?.bytes, { cache: 0, peer: 3 * PIECE, origin: PIECE });
  });

  it('cancelling the body reports onDone(null) and stops the origin', T, async () => {
    const f = await makeAsset(SIZE);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f, 'range', 2_000);
    const { response, done } = await serve(f, deps(store, origin, null));
    const reader = response.body!.getReader();
    await reader.read();
    await reader.cancel();
    assert.equal(await done, null);
    await sleep(20);
    assert.ok(origin.bytesSent < SIZE);
  });
});

describe('WindowedGatherer: a long range window by window', () => {
  it('asks the bridge one window at a time, the next at half the current, and yields every byte in order', T, async () => {
    const f = await makeAsset(PIECE * 10 + 123);
    const store = new MemStore(f.asset.hash);
    const origin = new FakeOrigin(f);
    const bridge = new FakeBridge((pieces) => [{ at: 0, reply: { pc: 'accepted', peers: 1 } }, ...pieces.map((i, k) => ({ at: 2 + k, reply: pieceReply(f, i) }))]);
    const indexes = range(0, 10);
    const g = new WindowedGatherer(f.asset, URL_, PIECE, indexes, deps(store, origin, bridge), 4);
    g.start();
    await sleep(30);
    assert.deepEqual(bridge.requests.map((r) => r.pieces), [[0, 1, 2, 3]], 'only the first window before anything is read');
    const out: Uint8Array[] = [];
    const windowsSeen: number[] = [];
    for (const i of indexes) {
      out.push((await g.piece(i)).data);
      await sleep(5); // a window's bridge request goes out after its (async) storage read
      windowsSeen.push(bridge.requests.length);
    }
    // Window 2 opens while reading piece 2 (half of window 1), window 3 at piece 6, none past the end.
    assert.deepEqual(windowsSeen, [1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 3]);
    assert.deepEqual(bridge.requests.map((r) => r.pieces), [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10]]);
    const joined = Buffer.concat(out);
    assert.ok(joined.equals(Buffer.from(f.data)), 'bytes differ');
    assert.deepEqual(g.bytes, { peer: f.asset.size, origin: 0, cache: 0 });
    assert.equal(await g.allStored(), true);
    assert.equal(origin.ranges.length, 0);
  });

  it('a cancel stops every open window (no origin fetch after it)', T, async () => {
    const f = await makeAsset(PIECE * 8);
    const origin = new FakeOrigin(f);
    const bridge = new FakeBridge(() => [{ at: 0, reply: { pc: 'accepted', peers: 1 } }]);
    const g = new WindowedGatherer(f.asset, URL_, PIECE, range(0, 7), deps(new MemStore(f.asset.hash), origin, bridge, { accept: 50, firstPiece: 50, stall: 50 }), 4);
    g.start();
    g.cancel();
    await sleep(150);
    assert.equal(bridge.closed, true);
    assert.equal(origin.bytesSent, 0);
  });
});
