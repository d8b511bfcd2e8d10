/**
 * protocol/pieces.ts: piece math and the Range header parser (RFC 9110 §14.1.2 / §14.2).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { consecutiveRuns, parseRange, pieceCount, pieceSpan, piecesForRange } from '../../protocol/pieces.ts';

const P = 1024;

describe('pieceCount', () => {
  it('is 0 for an empty file', () => {
    assert.equal(pieceCount(0, P), 0);
  });
  it('is 1 for 1 byte and for exactly one piece', () => {
    assert.equal(pieceCount(1, P), 1);
    assert.equal(pieceCount(P, P), 1);
  });
  it('counts exact multiples without an extra piece', () => {
    assert.equal(pieceCount(4 * P, P), 4);
  });
  it('adds one piece for a partial last piece', () => {
    assert.equal(pieceCount(4 * P + 1, P), 5);
    assert.equal(pieceCount(5 * P - 1, P), 5);
  });
});

describe('pieceSpan', () => {
  it('gives [start, end) of full pieces', () => {
    assert.deepEqual(pieceSpan(0, 3 * P, P), { start: 0, end: P });
    assert.deepEqual(pieceSpan(2, 3 * P, P), { start: 2 * P, end: 3 * P });
  });
  it('clamps the last partial piece to the file size', () => {
    assert.deepEqual(pieceSpan(3, 3 * P + 17, P), { start: 3 * P, end: 3 * P + 17 });
  });
  it('spans of all pieces tile the file exactly', () => {
    const size = 7 * P + 333;
    let expectedStart = 0;
    for (let i = 0; i < pieceCount(size, P); i++) {
      const s = pieceSpan(i, size, P);
      assert.equal(s.start, expectedStart);
      assert.ok(s.end > s.start);
      expectedStart = s.end;
    }
    assert.equal(expectedStart, size);
  });
});

describe('piecesForRange', () => {
  it('one byte at the start is piece 0', () => {
    assert.deepEqual(piecesForRange(0, 0, P), [0]);
  });
  it('a range ending on the last byte of a piece does not take the next piece', () => {
    assert.deepEqual(piecesForRange(0, P - 1, P), [0]);
    assert.deepEqual(piecesForRange(P, 2 * P - 1, P), [1]);
  });
  it('a range crossing a boundary by one byte takes both pieces', () => {
    assert.deepEqual(piecesForRange(P - 1, P, P), [0, 1]);
  });
  it('covers every piece in between', () => {
    assert.deepEqual(piecesForRange(100, 4 * P + 5, P), [0, 1, 2, 3, 4]);
  });
  it('the whole file with a partial last piece', () => {
    const size = 3 * P + 10;
    assert.deepEqual(piecesForRange(0, size - 1, P), [0, 1, 2, 3]);
    assert.equal(piecesForRange(0, size - 1, P).length, pieceCount(size, P));
  });
});

describe('consecutiveRuns', () => {
  it('empty input gives no runs', () => {
    assert.deepEqual(consecutiveRuns([]), []);
  });
  it('a single index is one run', () => {
    assert.deepEqual(consecutiveRuns([5]), [{ first: 5, last: 5 }]);
  });
  it('groups sorted input', () => {
    assert.deepEqual(consecutiveRuns([0, 1, 2, 5, 6, 9]), [
      { first: 0, last: 2 },
      { first: 5, last: 6 },
      { first: 9, last: 9 },
    ]);
  });
  it('sorts unsorted input numerically (not as strings)', () => {
    assert.deepEqual(consecutiveRuns([10, 2, 9, 1, 3]), [
      { first: 1, last: 3 },
      { first: 9, last: 10 },
    ]);
  });
  it('ignores duplicates', () => {
    assert.deepEqual(consecutiveRuns([3, 3, 4, 4, 4, 7, 7]), [
      { first: 3, last: 4 },
      { first: 7, last: 7 },
    ]);
    assert.deepEqual(consecutiveRuns([2, 2]), [{ first: 2, last: 2 }]);
  });
  it('does not mutate its input', () => {
    const input = [3, 1, 2];
    consecutiveRuns(input);
    assert.deepEqual(input, [3, 1, 2]);
  });
});

describe('parseRange (RFC 9110)', () => {
  const size = 1000;
  it('absent header → null (whole file)', () => {
    assert.equal(parseRange(null, size), null);
  });
  it('bytes=0-0 → the first byte', () => {
    assert.deepEqual(parseRange('bytes=0-0', size), { start: 0, end: 0 });
  });
  it('bytes=100-199 → 100 bytes', () => {
    assert.deepEqual(parseRange('bytes=100-199', size), { start: 100, end: 199 });
  });
  it('is case-insensitive on the unit and tolerates whitespace', () => {
    assert.deepEqual(parseRange('Bytes=100-199', size), { start: 100, end: 199 });
    assert.deepEqual(parseRange('bytes = 100 - 199 ', size), { start: 100, end: 199 });
  });
  it('open-ended bytes=N- → to the last byte', () => {
    assert.deepEqual(parseRange('bytes=500-', size), { start: 500, end: 999 });
    assert.deepEqual(parseRange('bytes=0-', size), { start: 0, end: 999 });
    assert.deepEqual(parseRange('bytes=999-', size), { start: 999, end: 999 });
  });
  it('suffix bytes=-N → the last N bytes', () => {
    assert.deepEqual(parseRange('bytes=-1', size), { start: 999, end: 999 });
    assert.deepEqual(parseRange('bytes=-100', size), { start: 900, end: 999 });
  });
  it('suffix longer than the file → the whole file', () => {
    assert.deepEqual(parseRange('bytes=-5000', size), { start: 0, end: 999 });
    assert.deepEqual(parseRange(`bytes=-${size}`, size), { start: 0, end: 999 });
  });
  it('bytes=-0 → unsatisfiable', () => {
    assert.equal(parseRange('bytes=-0', size), 'unsatisfiable');
  });
  it('first byte at or past the end → unsatisfiable', () => {
    assert.equal(parseRange(`bytes=${size}-`, size), 'unsatisfiable');
    assert.equal(parseRange(`bytes=${size}-${size + 10}`, size), 'unsatisfiable');
    assert.equal(parseRange('bytes=5000-6000', size), 'unsatisfiable');
  });
  it('last byte past the end is clamped to the last byte', () => {
    assert.deepEqual(parseRange('bytes=900-5000', size), { start: 900, end: 999 });
    assert.deepEqual(parseRange(`bytes=0-${size}`, size), { start: 0, end: 999 });
  });
  it('several ranges → null (answer 200 with the whole file)', () => {
    assert.equal(parseRange('bytes=0-0,5-9', size), null);
    assert.equal(parseRange('bytes=0-99, -100', size), null);
  });
  it('garbage → null', () => {
    for (const h of [
      '',
      'bytes',
      'bytes=',
      'bytes=-',
      'bytes=abc',
      'bytes=1-x',
      'items=0-1',
      'bytes=0-1-2',
      'bytes=1.5-3',
      'bytes=+1-2',
      '0-1',
    ]) {
      assert.equal(parseRange(h, size), null, `header ${JSON.stringify(h)}`);
    }
  });
  it('last before first is invalid → null (ignored)', () => {
    assert.equal(parseRange('bytes=200-100', size), null);
  });
  it('size 0: every range is unsatisfiable, absent/garbage stays null', () => {
    assert.equal(parseRange('bytes=0-0', 0), 'unsatisfiable');
    assert.equal(parseRange('bytes=0-', 0), 'unsatisfiable');
    assert.equal(parseRange('bytes=-10', 0), 'unsatisfiable');
    assert.equal(parseRange(null, 0), null);
    assert.equal(parseRange('nonsense', 0), null);
  });
  it('a one-byte file', () => {
    assert.deepEqual(parseRange('bytes=0-0', 1), { start: 0, end: 0 });
    assert.deepEqual(parseRange('bytes=-10', 1), { start: 0, end: 0 });
    assert.equal(parseRange('bytes=1-', 1), 'unsatisfiable');
  });
});
