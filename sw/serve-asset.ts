/**
 * Answers one request for a manifest asset: 200, 206 or 416, with a streamed body built from
 * verified pieces. Resolves once the first piece is ready and the gather has proven which
 * version of the file it serves (see PieceGatherer.versionProven), so a response is always one
 * version, whole:
 * - the manifest's, when stored pieces, peers or the origin supply it;
 * - the origin's current file, when the origin turned out to serve another version before any
 *   byte went out, or the asset's piece-hash list could not be had or failed its root: the page's
 *   own request is then passed to the network, as if we were not there;
 * - the origin's own answer when it refused (401, 403, 404, 410, 5xx), body and all.
 * `x-peer-connect-source` says where the first bytes came from (the exact split is reported after).
 */
import type { SourceBytes } from '../protocol/bridge-messages.ts';
import { GATHER_WINDOW_PIECES } from '../protocol/limits.ts';
import type { ManifestAsset } from '../protocol/manifest.ts';
import { parseRange, pieceSpan, piecesForRange } from '../protocol/pieces.ts';
import { SOURCE_HEADER } from './direct-fetch.ts';
import { isGatherError } from './gather-errors.ts';
import type { GatherDeps, GatheredPiece } from './gather-pieces.ts';
import { isCritical, originHeadPieces } from './hedge-policy.ts';
import { WindowedGatherer } from './windowed-gather.ts';

/** What serving needs beyond gathering: the network as the page would reach it. */
export interface ServeDeps extends GatherDeps {
  /** The page's request, unchanged, to the network (a changed file is served whole from there). */
  passThrough(request: Request): Promise<Response>;
  /**
   * The page's request, unchanged, to the network, its answer streamed to the page while a copy
   * is verified and stored (sw/direct-fetch.ts): used when peers cannot help before any byte was
   * served. `onDone` as serveAsset's. Without it, the origin is read in Range runs instead.
   */
  direct?(request: Request, onDone: (outcome: ServeOutcome | null) => void): Promise<Response>;
  /**
   * The build marked this asset critical for the asking page (its LCP candidate): like a
   * stylesheet, it goes to the network at once when not stored (hedge-policy.ts isCritical).
   */
  marked?: boolean;
  /**
   * Whether this read of a torrent asset gets its head from the origin (sw/torrent-heads.ts
   * claimTorrentHead: the page's first read of it, before its torrent delivered anything). Without
   * it, a read from byte 0 does.
   */
  claimHead?(): boolean;
}

/** What one fully read response served: its bytes by source, its status, how long it took. */
export interface ServeOutcome {
  bytes: SourceBytes;
  status: number;
  ms: number;
}

export { SOURCE_HEADER };
/** On an answer handed to the network: why peers were not used (`critical`: a critical destination or a build-marked LCP candidate; `no-bridge`, `no-peers`, `no-peers-known`, `hedge`). */
export const WHY_HEADER = 'x-peer-connect-why';

/** `response` with one more header (a fetch answer's headers are immutable). */
function withHeader(response: Response, name: string, value: string | null): Response {
  if (value === null) return response;
  try {
    response.headers.set(name, value);
    return response;
  } catch {
    const headers = new Headers(response.headers);
    headers.set(name, value);
    return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
  }
}

export async function serveAsset(
  request: Request,
  asset: ManifestAsset,
  pieceSize: number,
  deps: ServeDeps,
  /** Called once: with the outcome when the body was fully read, with null if it was not. */
  onDone: (outcome: ServeOutcome | null) => void,
): Promise<Response> {
  const started = Date.now();
  const headers = new Headers({ 'Content-Type': asset.type, 'Accept-Ranges': 'bytes' });
  const range = parseRange(request.headers.get('range'), asset.size);
  if (range === 'unsatisfiable') {
    headers.set('Content-Range', `bytes */${asset.size}`);
    // Called here too: the worker keeps an event open until onDone, and an event that never ends
    // keeps a new worker waiting behind this one for good.
    onDone(null);
    return new Response(null, { status: 416, headers });
  }
  if (asset.size === 0) {
    headers.set('Content-Length', '0');
    headers.set(SOURCE_HEADER, 'cache');
    onDone({ bytes: { peer: 0, origin: 0, cache: 0 }, status: 200, ms: 0 });
    return new Response(null, { status: 200, headers });
  }
  const first = range ? range.start : 0;
  const last = range ? range.end : asset.size - 1;
  const indexes = piecesForRange(first, last, pieceSize);
  const direct = deps.direct?.bind(deps);
  const gatherer = new WindowedGatherer(asset, request.url, pieceSize, indexes, deps, GATHER_WINDOW_PIECES, {
    // A Range request (media, a script's partial read) stays in Range runs of whole pieces: its
    // own answer may hold no whole piece to store, and its priority is rarely the page's render.
    mayHandOver: direct !== undefined && !request.headers.has('range'),
    critical: isCritical(request.destination) || deps.marked === true,
    // A media element's first read (a Range request) of a torrent asset in the page: its first
    // bytes from the origin at once, while the torrent starts (issue 14). Later reads and seeks
    // find it started; a whole-file GET keeps the hand-over instead.
    originHead: asset.torrent && range && (deps.claimHead ? deps.claimHead() : first === 0) ? originHeadPieces(asset.size, pieceSize) : 0,
  });
  gatherer.start();
  let why: string | null = null;
  const handedOver = gatherer.handedOver().then((reason) => {
    why = reason;
    return 'handed-over' as const;
  });
  const status = range ? 206 : 200;
  if (range) headers.set('Content-Range', `bytes ${first}-${last}/${asset.size}`);
  headers.set('Content-Length', String(last - first + 1));

  let firstPiece: GatheredPiece;
  try {
    const ready = Promise.all([gatherer.piece(indexes[0]!), gatherer.versionProven()]).then(([p]) => p);
    ready.catch(() => undefined); // lost to a hand-over: cancelled below
    const won = await Promise.race([ready, handedOver]);
    if (won === 'handed-over') {
      gatherer.cancel();
      // Peers could not help and nothing was served: the page's own request, as the browser made it.
      if (direct) return direct(request, onDone).then((r) => withHeader(r, WHY_HEADER, why));
    }
    firstPiece = won === 'handed-over' ? await ready : won;
  } catch (error) {
    gatherer.cancel();
    onDone(null);
    // The origin's file changed, or its piece list cannot be trusted: the network answers, as without us.
    if (isGatherError(error, 'asset-changed') || isGatherError(error, 'piece-list')) return deps.passThrough(request);
    if (isGatherError(error, 'origin-status') && error.response) return error.response;
    throw error; // respondWith rejects: the page sees a network error, as it would from the origin
  }
  gatherer.commit();
  headers.set(SOURCE_HEADER, firstPiece.source);

  let next = 0;
  const body = new ReadableStream<Uint8Array>({
    pull: async (controller) => {
      const index = indexes[next];
      if (index === undefined) return;
      try {
        const piece = await gatherer.piece(index);
        const span = pieceSpan(index, asset.size, pieceSize);
        const from = Math.max(first, span.start) - span.start;
        const to = Math.min(last + 1, span.end) - span.start;
        controller.enqueue(piece.data.subarray(from, to));
        next++;
        if (next === indexes.length) {
          controller.close();
          onDone({ bytes: gatherer.bytes, status, ms: Date.now() - started });
        }
      } catch (error) {
        gatherer.cancel();
        controller.error(error);
        onDone(null);
      }
    },
    cancel: () => {
      gatherer.cancel();
      onDone(null);
    },
  });
  return new Response(body, { status, headers });
}
