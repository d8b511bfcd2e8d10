/**
 * "No peers, no detour" (issue 14): the page's own request goes to the network as the browser
 * made it (its destination and priority kept), the page gets that answer streamed as it arrives,
 * and a copy of the body is cut into pieces, each checked against the manifest and stored when
 * it matches, so this visitor still becomes a seeder.
 *
 * Why one version per response still holds: the page receives the origin's own answer, exactly
 * as it would without a worker; nothing of ours is stitched into it. Its bytes are unverified
 * while they pass, and that is why only pieces whose SHA-256 matches the manifest are ever stored
 * (and so shared). A piece that does not match, or a size that differs, means a deploy changed
 * the file: nothing more is stored, and `onAssetChanged` follows the rules of sw/gather-pieces.ts
 * (the asset is passed through for the rest of the worker's life, the worker asks for its update).
 */
import { PieceCutter } from '../protocol/piece-cutter.ts';
import { pieceCount } from '../protocol/pieces.ts';

/** Said by every answer of the worker: where its first bytes came from (serve-asset.ts re-exports it). */
export const SOURCE_HEADER = 'x-peer-connect-source';

export interface DirectDeps {
  /** The page's request, as it is, to the network. */
  fetch(request: Request): Promise<Response>;
  verify(data: Uint8Array, expectedHex: string): Promise<boolean>;
  /**
   * The expected SHA-256 (hex) of piece `index` (sw/piece-lists.ts). Rejects when the asset's
   * list cannot be had or fails its root: then nothing more is stored (nothing can be checked),
   * and that is not a changed file.
   */
  pieceHash(index: number): Promise<string>;
  writePiece(hash: string, index: number, data: ArrayBuffer): Promise<boolean>;
  onAssetChanged(hash: string): void;
}

export interface DirectAsset {
  hash: string;
  size: number;
}

/** What passed through: file bytes read from the answer, pieces stored, whether it proved another version. */
export interface DirectOutcome {
  status: number;
  bytes: number;
  stored: number;
  changed: boolean;
  /** ms from the request to the answer's headers, then to its last byte. */
  firstByteMs: number;
  bodyMs: number;
}

/**
 * Fetches `request` and resolves with the network's response (body streaming to the page).
 * `onDone` is called once, when the stored copy has been read to its end (or given up on):
 * `null` when the fetch itself failed. Rejects as fetch does (the page sees a network error).
 */
export async function fetchDirect(
  request: Request,
  asset: DirectAsset,
  pieceSize: number,
  deps: DirectDeps,
  onDone: (outcome: DirectOutcome | null) => void,
): Promise<Response> {
  const started = Date.now();
  let response: Response;
  try {
    response = await deps.fetch(request);
  } catch (error) {
    onDone(null);
    throw error;
  }
  const firstByteMs = Date.now() - started;
  const offset = fileOffset(response, asset.size);
  if (offset === 'changed') deps.onAssetChanged(asset.hash);
  if (typeof offset !== 'number' || !response.body) {
    onDone({ status: response.status, bytes: 0, stored: 0, changed: offset === 'changed', firstByteMs, bodyMs: 0 });
    return response;
  }
  const [toPage, toStore] = response.body.tee();
  const copy = storeCopy(toStore, offset, response.status === 200, asset, pieceSize, deps);
  void copy.then(async ({ bytes, changed, writes }) => {
    const bodyMs = Date.now() - started - firstByteMs;
    const stored = (await Promise.all(writes)).filter(Boolean).length;
    onDone({ status: response.status, bytes, stored, changed, firstByteMs, bodyMs });
  });
  // Every byte reaches the page as it arrives; only the end of its body waits until the copy's
  // last piece is verified and its write issued (about one SHA-256 of 64 KiB), so the store sees
  // assets in the order the page read them (its LRU, sw/store/) and the next request finds them.
  const gated = toPage.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({ flush: () => copy.then(() => undefined) }));
  // The origin's own headers, and ours saying where the bytes came from (as every answer of ours does).
  const headers = new Headers(response.headers);
  headers.set(SOURCE_HEADER, 'origin');
  // fetch() has already decoded a compressed body (RFC 9110 §8.4): its coding and encoded length
  // no longer describe the bytes this answer carries.
  if ((headers.get('content-encoding') ?? 'identity') !== 'identity') {
    headers.delete('content-encoding');
    headers.delete('content-length');
  }
  return new Response(gated, { status: response.status, statusText: response.statusText, headers });
}

/**
 * The file offset of the answer's first body byte, `changed` when the answer is provably another
 * version of the file (its size), or null when it carries nothing to store (a refusal, a 304...).
 */
function fileOffset(response: Response, size: number): number | 'changed' | null {
  if (response.status === 200) {
    const length = response.headers.get('content-length');
    const encoded = (response.headers.get('content-encoding') ?? 'identity') !== 'identity';
    // A compressed body's Content-Length counts encoded bytes; the body we read is decoded.
    if (length !== null && !encoded && Number(length) !== size) return 'changed';
    return 0;
  }
  if (response.status === 206) {
    const m = /^\s*bytes\s+(\d+)-(\d+)\/(\d+|\*)\s*$/i.exec(response.headers.get('content-range') ?? '');
    if (!m) return null;
    if (m[3] !== '*' && Number(m[3]) !== size) return 'changed';
    return Number(m[1]);
  }
  return null;
}

async function storeCopy(
  body: ReadableStream<Uint8Array>,
  offset: number,
  /** A 200: the whole file, so its length must be the manifest's. */
  whole: boolean,
  asset: DirectAsset,
  pieceSize: number,
  deps: DirectDeps,
): Promise<{ bytes: number; changed: boolean; writes: Array<Promise<boolean>> }> {
  const reader = body.getReader();
  let bytes = 0;
  let changed = false;
  /** The piece list could not be had: the page's answer goes on, nothing more is stored. */
  let unlisted = false;
  const writes: Array<Promise<boolean>> = [];
  // The first whole piece in the answer: a range starting mid-piece skips to the next boundary.
  const first = Math.ceil(offset / pieceSize);
  const last = pieceCount(asset.size, pieceSize) - 1;
  const cutter = first <= last && offset < asset.size ? new PieceCutter({ size: asset.size, pieceSize, first, last }, offset) : null;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      if (!cutter || changed || unlisted || cutter.complete) continue;
      for (const piece of cutter.push(value)) {
        const expected = await deps.pieceHash(piece.index).catch(() => null);
        if (expected === null) {
          unlisted = true;
          break;
        }
        if (!(await deps.verify(piece.data, expected))) {
          changed = true;
          deps.onAssetChanged(asset.hash);
          break;
        }
        // Issued now, in order; the store records each when it lands (as gather-pieces.ts does).
        writes.push(deps.writePiece(asset.hash, piece.index, piece.data.buffer as ArrayBuffer).catch(() => false));
      }
    }
    // A 200 of another length (a compressed answer has no length to check before its body).
    if (!changed && whole && bytes !== asset.size) {
      changed = true;
      deps.onAssetChanged(asset.hash);
    }
  } catch {
    // The connection broke: the page's copy fails the same way; what was verified stays stored.
  } finally {
    reader.releaseLock();
  }
  return { bytes, changed, writes };
}
