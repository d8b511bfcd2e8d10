/**
 * Fetches a run of consecutive pieces from the origin with one Range request and hands each
 * piece on as soon as its last byte arrives. An origin that ignores Range (200) still works:
 * the bytes before the run are skipped as they stream past.
 *
 * Before any byte is used, the answer is checked against the manifest's size: a `Content-Range`
 * total (RFC 9110 §14.4) or a 200's `Content-Length` that differs, or a 416 for a range inside the
 * manifest's size, means the origin's file is another version than the manifest's, and the run
 * fails with `asset-changed` (piece hashes, checked by the caller, catch a same-size change).
 */
import { MAX_REFUSAL_BODY_BYTES } from '../protocol/limits.ts';
import { PieceCutter, type PieceRun } from '../protocol/piece-cutter.ts';
import { pieceSpan } from '../protocol/pieces.ts';
import { GatherError, type GatherErrorCode } from './gather-errors.ts';

export interface OriginRun extends PieceRun {
  url: string;
  fetchOrigin: (url: string, init: RequestInit) => Promise<Response>;
  signal: AbortSignal;
  onPiece: (index: number, data: Uint8Array) => Promise<void>;
}

/** Rejects with a GatherError: `asset-changed`, `origin-status` (with the response), `origin-failed`. */
export async function readOriginRun(run: OriginRun): Promise<void> {
  const start = pieceSpan(run.first, run.size, run.pieceSize).start;
  const end = pieceSpan(run.last, run.size, run.pieceSize).end; // exclusive
  const response = await run
    .fetchOrigin(run.url, {
      headers: { Range: `bytes=${start}-${end - 1}` },
      signal: run.signal,
      // Credentials as the page's own request would use: the origin is the same site.
      credentials: 'same-origin',
    })
    .catch((e: unknown) => {
      throw new GatherError('origin-failed', `origin unreachable for ${run.url}: ${e instanceof Error ? e.message : String(e)}`);
    });
  const offset = await bodyOffset(response, run, start);
  if (!response.body) throw new GatherError('origin-failed', `origin sent no body for ${run.url}`);
  // A 200 whose length we could not check and whose body ends short is a shorter file, not a cut connection.
  const lengthChecked = response.status === 206 || (response.headers.get('content-length') !== null && !isEncoded(response));
  await cutIntoPieces(response.body, offset, run, lengthChecked ? 'origin-failed' : 'asset-changed');
}

/** File offset of the body's first byte, once the answer is known to be the manifest's file. */
async function bodyOffset(response: Response, run: OriginRun, start: number): Promise<number> {
  const changed = (why: string): GatherError => new GatherError('asset-changed', `${run.url}: ${why}, the manifest says ${run.size} bytes`);
  if (response.status === 416) throw changed('the origin refuses a range inside the file (416)');
  if (response.status === 206) {
    const m = /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(response.headers.get('content-range') ?? '');
    if (!m) throw new GatherError('origin-failed', `${run.url}: 206 without a usable Content-Range`);
    if (m[3] !== '*' && Number(m[3]) !== run.size) throw changed(`the origin's file has ${m[3]} bytes`);
    const offset = Number(m[1]);
    if (offset > start) throw new GatherError('origin-failed', `${run.url}: origin range starts at ${offset}, wanted ${start}`);
    return offset;
  }
  if (response.status === 200) {
    // A compressed body's Content-Length counts encoded bytes; only an identity length is the file's.
    const length = response.headers.get('content-length');
    if (length !== null && !isEncoded(response) && Number(length) !== run.size) throw changed(`the origin's file has ${length} bytes`);
    return 0;
  }
  throw new GatherError('origin-status', `origin answered ${response.status} for ${run.url}`, await detached(response));
}

/**
 * The origin's answer with its body read into memory, so cancelling the gather (which aborts the
 * fetch, and with it an unread body) cannot break it on its way to the page. Refusals are short
 * pages; a body past MAX_REFUSAL_BODY_BYTES is no refusal page, and fails as `origin-failed`.
 */
async function detached(response: Response): Promise<Response> {
  const length = Number(response.headers.get('content-length') ?? 0);
  if (length > MAX_REFUSAL_BODY_BYTES) throw new GatherError('origin-failed', `origin answered ${response.status} with ${length} bytes`);
  const body = await response.arrayBuffer().catch(() => null);
  if (body === null || body.byteLength > MAX_REFUSAL_BODY_BYTES)
    throw new GatherError('origin-failed', `origin answered ${response.status}, body unreadable`);
  return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
}

const isEncoded = (response: Response): boolean => (response.headers.get('content-encoding') ?? 'identity') !== 'identity';

async function cutIntoPieces(
  body: ReadableStream<Uint8Array>,
  firstOffset: number,
  run: OriginRun,
  shortBody: GatherErrorCode,
): Promise<void> {
  const cutter = new PieceCutter(run, firstOffset);
  const reader = body.getReader();
  try {
    while (!cutter.complete) {
      const { done, value } = await reader.read().catch((e: unknown) => {
        throw new GatherError('origin-failed', `origin body for ${run.url} broke off: ${e instanceof Error ? e.message : String(e)}`);
      });
      if (done) throw new GatherError(shortBody, `origin body for ${run.url} ended early at ${cutter.position}`);
      for (const piece of cutter.push(value)) await run.onPiece(piece.index, piece.data);
    }
  } finally {
    // We may have stopped early (a 200 with bytes past the run): release the connection.
    reader.cancel().catch(() => undefined);
  }
}
