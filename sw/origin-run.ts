/**
 * Fetches a run of consecutive pieces from the origin with one Range request and hands each
 * piece on as soon as its last byte arrives. An origin that ignores Range (200) still works:
 * the bytes before the run are skipped as they stream past.
 */
import { pieceSpan } from '../protocol/pieces.ts';

export async function readOriginRun(
  url: string,
  size: number,
  pieceSize: number,
  first: number,
  last: number,
  fetchOrigin: (url: string, init: RequestInit) => Promise<Response>,
  signal: AbortSignal,
  onPiece: (index: number, data: Uint8Array) => Promise<void>,
): Promise<void> {
  const start = pieceSpan(first, size, pieceSize).start;
  const end = pieceSpan(last, size, pieceSize).end; // exclusive
  const response = await fetchOrigin(url, {
    headers: { Range: `bytes=${start}-${end - 1}` },
    signal,
    // Credentials and cache as the page's own request would use: the origin is the same site.
    credentials: 'same-origin',
  });
  let offset: number; // file offset of the next byte the body gives us
  if (response.status === 206) {
    const m = /bytes (\d+)-/.exec(response.headers.get('content-range') ?? '');
    offset = m?.[1] !== undefined ? Number(m[1]) : start;
  } else if (response.status === 200) offset = 0;
  else throw new Error(`origin answered ${response.status} for ${url}`);
  if (offset > start) throw new Error(`origin range starts at ${offset}, wanted ${start}`);
  if (!response.body) throw new Error(`origin sent no body for ${url}`);

  let index = first;
  let span = pieceSpan(index, size, pieceSize);
  let buffer = new Uint8Array(span.end - span.start);
  let filled = 0;
  const reader = response.body.getReader();
  try {
    while (index <= last) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`origin body for ${url} ended early at ${offset}`);
      let chunk = value;
      if (offset < span.start) {
        const skip = Math.min(span.start - offset, chunk.length);
        chunk = chunk.subarray(skip);
        offset += skip;
      }
      while (chunk.length > 0 && index <= last) {
        const take = Math.min(buffer.length - filled, chunk.length);
        buffer.set(chunk.subarray(0, take), filled);
        filled += take;
        offset += take;
        chunk = chunk.subarray(take);
        if (filled === buffer.length) {
          await onPiece(index, buffer);
          index++;
          if (index > last) break;
          span = pieceSpan(index, size, pieceSize);
          buffer = new Uint8Array(span.end - span.start);
          filled = 0;
        }
      }
    }
  } finally {
    // We may have stopped early (a 200 with bytes past the run): release the connection.
    reader.cancel().catch(() => undefined);
  }
}
