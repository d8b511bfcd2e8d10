/** Piece math: which bytes a piece holds, which pieces a byte range needs. Pure. */

export function pieceCount(size: number, pieceSize: number): number {
  return Math.ceil(size / pieceSize);
}

/** Byte span of piece `index` as [start, end) within a file of `size` bytes. */
export function pieceSpan(index: number, size: number, pieceSize: number): { start: number; end: number } {
  const start = index * pieceSize;
  return { start, end: Math.min(start + pieceSize, size) };
}

/** Indexes of the pieces covering bytes [start, endInclusive]. */
export function piecesForRange(start: number, endInclusive: number, pieceSize: number): number[] {
  const first = Math.floor(start / pieceSize);
  const last = Math.floor(endInclusive / pieceSize);
  const out: number[] = [];
  for (let i = first; i <= last; i++) out.push(i);
  return out;
}

/**
 * Groups sorted piece indexes into runs of consecutive pieces, so the origin gets one Range
 * request per run instead of one per piece.
 */
export function consecutiveRuns(indexes: readonly number[]): Array<{ first: number; last: number }> {
  const runs: Array<{ first: number; last: number }> = [];
  for (const i of [...indexes].sort((a, b) => a - b)) {
    const run = runs[runs.length - 1];
    if (run && run.last + 1 === i) run.last = i;
    else if (!run || run.last !== i) runs.push({ first: i, last: i });
  }
  return runs;
}

export type ByteRange = { start: number; end: number }; // end inclusive, as in HTTP

/**
 * Parses a `Range` header against a file size (RFC 9110 §14.1.2).
 * - `null`: no usable range, answer 200 with the whole file (absent, not `bytes`, or several ranges).
 * - `'unsatisfiable'`: answer 416 with `Content-Range: bytes *\/size`.
 */
export function parseRange(header: string | null, size: number): ByteRange | 'unsatisfiable' | null {
  if (header === null) return null;
  const m = /^\s*bytes\s*=\s*(.+)$/i.exec(header);
  if (!m || m[1] === undefined) return null;
  const spec = m[1].trim();
  if (spec.includes(',')) return null; // multipart/byteranges is allowed to be ignored
  const parts = /^(\d*)\s*-\s*(\d*)$/.exec(spec);
  if (!parts) return null;
  const [, a = '', b = ''] = parts;
  if (a === '' && b === '') return null;
  if (a === '') {
    const suffix = Number(b);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(a);
  if (start >= size) return 'unsatisfiable';
  const end = b === '' ? size - 1 : Math.min(Number(b), size - 1);
  if (end < start) return null; // syntactically invalid: ignore the header
  return { start, end };
}
