/**
 * Fakes for the service worker's gathering and serving, shared by the unit tests: a real asset
 * with real SHA-256 piece hashes, an in-memory piece store, a scripted bridge, and an origin that
 * speaks Range (206), ignores it (200), fails (500), or answers with any status.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { BridgeReply, WorkerFeedback } from '../../../protocol/bridge-messages.ts';
import { type Clock, timerClock } from '../../../protocol/clock.ts';
import { toHex } from '../../../protocol/hex.ts';
import type { ManifestAsset } from '../../../protocol/manifest.ts';
import { encodePieceList } from '../../../protocol/piece-list.ts';
import { pieceSpan } from '../../../protocol/pieces.ts';
import { type GatherDeps, type GatheredPiece, PieceGatherer, type Source } from '../../../sw/gather-pieces.ts';
import type { ServeDeps } from '../../../sw/serve-asset.ts';
import { matchesHash } from '../../../sw/verify.ts';

/**
 * The worker's check (SHA-256 of the piece against the manifest's hex), computed synchronously:
 * `matchesHash` awaits WebCrypto's thread pool, which a test on a fake clock cannot wait for
 * deterministically. tests/unit/sw-gather.test.ts checks that it agrees with `matchesHash`.
 */
export const verifyNow = async (data: ArrayBuffer | Uint8Array, expectedHex: string): Promise<boolean> =>
  createHash('sha256')
    .update(data instanceof ArrayBuffer ? new Uint8Array(data) : data)
    .digest('hex') === expectedHex;

/** The real check, for the test that both agree. */
export { matchesHash };

export const PIECE = 16 * 1024;
export const URL_ = 'https://site.example/media/clip.bin';
export const PEER = 'peer_AAAAAAAAAAAAAAAA';
export const T = { timeout: 10_000 };

export async function sha256Hex(data: Uint8Array): Promise<string> {
  return toHex(new Uint8Array(await crypto.subtle.digest('SHA-256', data as BufferSource)));
}

export interface Fixture {
  data: Uint8Array;
  asset: ManifestAsset;
  /** Each piece's SHA-256, hex: what the asset's piece list holds (the worker fetches it by `piecesRoot`). */
  pieces: string[];
}

/** Piece hashes of every fixture made, by asset hash: what the fake `pieceHash` answers from. */
const pieceLists = new Map<string, string[]>();

export async function makeAsset(size: number): Promise<Fixture> {
  const data = new Uint8Array(randomBytes(size));
  const pieces: string[] = [];
  for (let off = 0; off < size; off += PIECE) pieces.push(await sha256Hex(data.subarray(off, off + PIECE)));
  const hash = await sha256Hex(data);
  const asset: ManifestAsset = { hash, size, type: 'video/mp4' };
  if (pieces.length > 1) asset.piecesRoot = await sha256Hex(encodePieceList(pieces));
  pieceLists.set(hash, pieces);
  return { data, asset, pieces };
}

/** The worker's piece hashes for a fixture's asset, as sw/piece-lists.ts would give them once its list verified. */
export const fakePieceHash: GatherDeps['pieceHash'] = async (asset, index) => pieceLists.get(asset.hash)?.[index] ?? '';

export const slice = (f: Fixture, index: number): Uint8Array => {
  const s = pieceSpan(index, f.asset.size, PIECE);
  return f.data.slice(s.start, s.end);
};
export const bufferOf = (u: Uint8Array): ArrayBuffer => u.slice().buffer as ArrayBuffer;
export const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, k) => from + k);
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// ---------------------------------------------------------------- fakes

export class MemStore {
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
  /** Indexes of this asset's stored pieces, ascending. */
  stored(): number[] {
    const prefix = `${this.hash}:`;
    return [...this.map.keys()]
      .filter((k) => k.startsWith(prefix))
      .map((k) => Number(k.slice(prefix.length)))
      .sort((a, b) => a - b);
  }
  /**
   * Every piece of `f` is stored, byte for byte: what makes the worker's store mark the asset
   * complete and announce it (sw/store/), so a test asks the store, not the gather.
   */
  holdsAll(f: Fixture): boolean {
    return f.pieces.every((_, i) => {
      const b = this.get(i);
      return b !== undefined && Buffer.from(b).equals(Buffer.from(slice(f, i)));
    });
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

export type Step = { at: number; reply: BridgeReply };

/** A bridge that answers a fetch with a scripted list of replies, each after a delay (ms from open). */
export class FakeBridge {
  opened = 0;
  closed = false;
  readonly reports: WorkerFeedback[] = [];
  readonly requests: Array<{ hash: string; size: number; pieces: number[] }> = [];
  /** `clock`: schedule the replies on a test's fake clock instead of real timers. */
  constructor(
    private readonly plan: (pieces: number[]) => Step[],
    private readonly clock?: Clock,
  ) {}
  openBridge: GatherDeps['openBridge'] = async (request, onReply) => {
    this.opened++;
    this.requests.push({ hash: request.hash, size: request.size, pieces: [...request.pieces] });
    // Each session (a windowed gather opens several) stops on its own close.
    let sessionClosed = false;
    const clock = this.clock ?? timerClock;
    const timers: unknown[] = [];
    for (const step of this.plan([...request.pieces])) {
      timers.push(
        clock.setTimeout(() => {
          if (!sessionClosed) onReply(step.reply);
        }, step.at),
      );
    }
    return {
      report: (f: WorkerFeedback) => {
        this.reports.push(f);
      },
      close: () => {
        sessionClosed = true;
        this.closed = true;
        for (const t of timers) clock.clearTimeout(t);
      },
    };
  };
}

export const pieceReply = (f: Fixture, index: number, peerId = PEER): BridgeReply => ({
  pc: 'piece',
  index,
  data: bufferOf(slice(f, index)),
  peerId,
});

/** `status`: answers `statusCode` with a small body, whatever is asked (a host refusing: 401, 403, 404…). */
export type OriginMode = 'range' | 'ignore-range' | 'fail' | 'status';

/** A static origin: honours `Range` with 206 (or ignores it, or answers 500); streams in odd-sized chunks. */
export class FakeOrigin {
  readonly ranges: Array<string | null> = [];
  bytesSent = 0;
  aborted = 0;
  constructor(
    private readonly f: Fixture,
    private readonly mode: OriginMode = 'range',
    private readonly chunk = 7_001,
    private readonly statusCode = 401,
  ) {}
  fetchOrigin = async (url: string, init: RequestInit): Promise<Response> => {
    assert.equal(url, URL_);
    const rangeHeader = new Headers(init.headers).get('range');
    this.ranges.push(rangeHeader);
    if (this.mode === 'fail') return new Response('boom', { status: 500 });
    if (this.mode === 'status') {
      // As a real fetch: aborting the request's signal breaks a body not yet read.
      const text = new TextEncoder().encode(`the origin says ${this.statusCode}`);
      const signal = init.signal;
      const body = new ReadableStream<Uint8Array>({
        pull: async (controller) => {
          await sleep(1);
          if (signal?.aborted) controller.error(new Error('aborted'));
          else {
            controller.enqueue(text);
            controller.close();
          }
        },
      });
      return new Response(body, { status: this.statusCode, headers: { 'x-origin': 'own' } });
    }
    let start = 0;
    let end = this.f.data.length - 1;
    let status = 200;
    const headers = new Headers({ 'Content-Type': 'video/mp4' });
    const m = rangeHeader ? /^bytes=(\d+)-(\d+)$/.exec(rangeHeader) : null;
    if (this.mode === 'range' && m) {
      start = Number(m[1]);
      end = Math.min(Number(m[2]), this.f.data.length - 1);
      status = 206;
      if (start >= this.f.data.length)
        return new Response(null, { status: 416, headers: { 'Content-Range': `bytes */${this.f.data.length}` } });
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
export const rangeFor = (f: Fixture, first: number, last: number): string =>
  `bytes=${pieceSpan(first, f.asset.size, PIECE).start}-${pieceSpan(last, f.asset.size, PIECE).end - 1}`;

/** The worker's side effects a test reads back: pass-throughs made and assets seen changed. */
export interface Effects {
  passed: Request[];
  changed: string[];
}

/** Header the fake pass-through sets, so a test can tell the network's answer from ours. */
export const PASSED_HEADER = 'x-test-passed-through';

export function deps(
  store: MemStore,
  origin: FakeOrigin,
  bridge: FakeBridge | null,
  timeouts?: GatherDeps['timeouts'],
  effects: Effects = { passed: [], changed: [] },
): ServeDeps {
  const d: ServeDeps = {
    readPieces: store.readPieces,
    writePiece: store.writePiece,
    deletePiece: store.deletePiece,
    verify: verifyNow,
    pieceHash: fakePieceHash,
    openBridge: bridge ? bridge.openBridge : async () => null,
    fetchOrigin: origin.fetchOrigin,
    passThrough: async (request) => {
      effects.passed.push(request);
      return new Response('the network answered', { status: 200, headers: { [PASSED_HEADER]: '1' } });
    },
    onAssetChanged: (hash) => effects.changed.push(hash),
  };
  if (timeouts) d.timeouts = timeouts;
  return d;
}

/** A gather of every piece of `f` whose first `head` pieces are asked of the origin at once (a torrent asset's head). */
export const headGatherer = (f: Fixture, d: GatherDeps, head = 3): PieceGatherer =>
  new PieceGatherer(f.asset, URL_, PIECE, allIndexes(f), d, { originHead: head });

export async function gatherAll(g: PieceGatherer): Promise<{ bytes: Uint8Array; pieces: GatheredPiece[] }> {
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

export const sourcesOf = (pieces: GatheredPiece[]): Source[] => pieces.map((p) => p.source);
export const allIndexes = (f: Fixture): number[] => range(0, f.pieces.length - 1);

/** 10 pieces, the last one partial. */
export const SIZE = 9 * PIECE + 1234;
