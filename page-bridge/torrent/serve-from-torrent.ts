/**
 * Answers one worker `fetch` from a torrent: reads the requested manifest pieces through
 * WebTorrent's file iterator (which selects those torrent pieces first and yields bytes as soon as
 * each torrent piece passed its SHA-1), cuts them into the manifest's pieces and posts each to the
 * worker, which checks it against its own SHA-256 before a byte is used. Same port protocol, and
 * the same code for it, as the peer path (page-bridge/worker-port.ts).
 */

import type { TorrentFile } from 'webtorrent/dist/webtorrent.min.js';
import { STORED_PEER_ID, WEB_SEED_PEER_ID } from '../../protocol/bridge-messages.ts';
import { PieceCutter } from '../../protocol/piece-cutter.ts';
import { consecutiveRuns } from '../../protocol/pieces.ts';
import { WorkerPort } from '../worker-port.ts';
import type { PieceSource } from './piece-sources.ts';

/** The `peerId` a piece is posted with: the worker counts `web-seed` as origin bytes, `stored` as cache. */
export const SOURCE_PEER_IDS: Record<PieceSource, string> = { peer: 'torrent-peer', 'web-seed': WEB_SEED_PEER_ID, stored: STORED_PEER_ID };

/**
 * A User Timing mark (`peer-connect:<step>`) on the page's timeline, so a site owner sees in
 * DevTools (Performance panel, or `performance.getEntriesByType('mark')`) where a video's start
 * waits, and bench/video.ts reads the same marks. Only once-per-torrent steps and one mark per
 * worker request are marked: a handful of entries per video, never one per piece or block.
 */
export function markStep(step: string, infoHash?: string): void {
  try {
    performance.mark(`peer-connect:${step}`, infoHash === undefined ? undefined : { detail: { infoHash } });
  } catch {
    // No User Timing (an old browser, a test runtime): the marks are only ever informative.
  }
}

export interface TorrentReadTarget {
  infoHash: string;
  file: TorrentFile;
  pieceLength: number;
  sourceOf(torrentPiece: number): PieceSource;
  /** A piece the worker found wrong after WebTorrent verified it (a corrupted store): fetch it again. */
  forget(torrentPiece: number): void;
  /** Bracket a read, for the web seed policy. */
  reading(active: boolean): void;
}

export async function serveFromTorrent(
  target: Promise<TorrentReadTarget>,
  request: { size: number; pieceSize: number; pieces: number[] },
  messagePort: MessagePort,
): Promise<void> {
  let iterator: AsyncIterator<Uint8Array> | null = null;
  let ready: TorrentReadTarget | null = null;
  const port = new WorkerPort(messagePort, {
    onCancel: () => void iterator?.return?.(),
    onBadPiece: (index) => ready?.forget(Math.floor((index * request.pieceSize) / ready.pieceLength)),
  });
  // Accepted before the torrent is even loaded: the worker's next deadline (first piece) then
  // covers loading WebTorrent, the .torrent and the first bytes.
  port.accepted(0);
  try {
    ready = await target;
  } catch (error) {
    port.noPeers(`torrent unavailable: ${String(error)}`);
    return port.close();
  }
  ready.reading(true);
  const posting: RunPosting = { ready, port, pieceSize: request.pieceSize, posted: false };
  try {
    for (const run of consecutiveRuns(request.pieces)) {
      if (port.cancelled) break;
      const start = run.first * request.pieceSize;
      const end = Math.min(request.size, (run.last + 1) * request.pieceSize) - 1;
      iterator = ready.file[Symbol.asyncIterator]({ start, end });
      await postRun(iterator, new PieceCutter({ size: request.size, pieceSize: request.pieceSize, ...run }), posting);
    }
  } catch (error) {
    // A stream that failed (store error, torrent destroyed): the worker takes what is left from the origin.
    port.noPeers(`torrent read failed: ${String(error)}`);
  } finally {
    ready.reading(false);
    port.close();
  }
}

/** What posting a request's runs shares: `posted` turns true with its first piece. */
interface RunPosting {
  ready: TorrentReadTarget;
  port: WorkerPort;
  pieceSize: number;
  posted: boolean;
}

/** Reads one run to the iterator's end and posts each manifest piece as soon as it is whole. */
async function postRun(iterator: AsyncIterator<Uint8Array>, cutter: PieceCutter, posting: RunPosting): Promise<void> {
  const { ready, port, pieceSize } = posting;
  for (;;) {
    const next = await iterator.next();
    if (next.done || port.cancelled) return;
    for (const piece of cutter.push(next.value)) {
      const source = ready.sourceOf(Math.floor((piece.index * pieceSize) / ready.pieceLength));
      port.piece(piece.index, piece.data.buffer as ArrayBuffer, SOURCE_PEER_IDS[source]);
      // The worker can answer the media element from here on: the end of the torrent's part.
      if (!posting.posted) markStep('first-piece-posted', ready.infoHash);
      posting.posted = true;
    }
  }
}
