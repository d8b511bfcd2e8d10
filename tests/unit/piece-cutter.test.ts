/** protocol/piece-cutter.ts: byte chunks of any size in, whole pieces of a run out, in order. */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { type CutPiece, PieceCutter, type PieceRun } from '../../protocol/piece-cutter.ts';
import { pieceSpan } from '../../protocol/pieces.ts';

const PIECE = 1024;
/** Five pieces, the last one 100 bytes. */
const FILE = new Uint8Array(randomBytes(4 * PIECE + 100));
const run = (first: number, last: number): PieceRun => ({ size: FILE.length, pieceSize: PIECE, first, last });
const pieceOf = (index: number): Uint8Array => {
  const s = pieceSpan(index, FILE.length, PIECE);
  return FILE.subarray(s.start, s.end);
};

/** Pushes `bytes` in chunks of `chunk` bytes; returns every piece cut. */
function cutAll(cutter: PieceCutter, bytes: Uint8Array, chunk: number): CutPiece[] {
  const out: CutPiece[] = [];
  for (let off = 0; off < bytes.length; off += chunk) out.push(...cutter.push(bytes.subarray(off, off + chunk)));
  return out;
}

describe('PieceCutter', () => {
  it('cuts exact pieces whatever the chunk size, the short last piece included', () => {
    for (const chunk of [1, 7, PIECE - 1, PIECE, PIECE + 1, 3 * PIECE + 5, FILE.length]) {
      const cutter = new PieceCutter(run(0, 4));
      const pieces = cutAll(cutter, FILE, chunk);
      assert.deepEqual(
        pieces.map((p) => p.index),
        [0, 1, 2, 3, 4],
        `chunks of ${chunk}`,
      );
      for (const p of pieces) assert.deepEqual(p.data, pieceOf(p.index), `piece ${p.index}, chunks of ${chunk}`);
      assert.equal(cutter.complete, true);
    }
  });

  it('each piece owns a buffer of exactly its bytes, so it can be transferred', () => {
    const pieces = cutAll(new PieceCutter(run(3, 4)), FILE.subarray(3 * PIECE), 300);
    assert.deepEqual(
      pieces.map((p) => [p.data.byteOffset, p.data.buffer.byteLength]),
      [
        [0, PIECE],
        [0, 100],
      ],
    );
  });

  it('a chunk that completes several pieces returns them all, in order', () => {
    const cutter = new PieceCutter(run(1, 3));
    assert.deepEqual(cutter.push(FILE.subarray(PIECE, PIECE + 10)), []);
    assert.deepEqual(
      cutter.push(FILE.subarray(PIECE + 10, 4 * PIECE)).map((p) => p.index),
      [1, 2, 3],
    );
  });

  it('skips the bytes before the run (an origin that ignored Range sends the file from 0)', () => {
    const cutter = new PieceCutter(run(2, 3), 0);
    const pieces = cutAll(cutter, FILE, 333);
    assert.deepEqual(
      pieces.map((p) => p.index),
      [2, 3],
    );
    assert.deepEqual(pieces[0]?.data, pieceOf(2));
    assert.deepEqual(pieces[1]?.data, pieceOf(3));
  });

  it("ignores bytes past the run's last piece once complete", () => {
    const cutter = new PieceCutter(run(0, 1));
    const pieces = cutter.push(FILE);
    assert.deepEqual(
      pieces.map((p) => p.index),
      [0, 1],
    );
    assert.equal(cutter.complete, true);
    assert.deepEqual(cutter.push(FILE), []);
  });

  it('position is the file offset of the next byte, for a stream that ends early', () => {
    const cutter = new PieceCutter(run(1, 4));
    cutter.push(FILE.subarray(PIECE, PIECE + 1500));
    assert.equal(cutter.position, PIECE + 1500);
    assert.equal(cutter.complete, false);
  });

  it("refuses bytes that start after the run's first byte", () => {
    assert.throws(() => new PieceCutter(run(1, 2), PIECE + 1), RangeError);
  });
});
