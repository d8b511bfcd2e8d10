/**
 * When the worker stops waiting for peers and asks the origin, and which requests never wait at
 * all. Pure: the worker feeds it what it measured (sw/serve-deps.ts) and asks it per gather.
 *
 * The rule (issue 14, "Race, don't wait"): a request waits for peers as long as peers have been
 * seen to need for a first piece; up to HEDGE_MARGIN times that when the origin has been seen to
 * need longer than that for the whole request (waiting longer cannot pay off); within
 * [HEDGE_MIN_MS, HEDGE_MAX_MS]. Peers always get their expected time: on a fast origin, a
 * shorter wait would leave them nothing, and the swarm's offload is the product's reason to be. Then the origin is asked for what peers have not delivered while peers keep
 * sending: whichever verified piece comes first is used. Between pieces the same: a gap longer
 * than a few pieces' worth of the peers' measured rate hedges the rest. Until something is
 * measured, HEDGE_PEER_FIRST_PIECE_MS and HEDGE_PEER_BYTES_PER_MS stand in (conservative: they
 * favour waiting for peers, as the fixed deadlines did, but far shorter).
 */
import { Ewma } from '../protocol/ewma.ts';
import {
  HEDGE_CROWD_MARGIN,
  HEDGE_CROWD_MAX_MS,
  HEDGE_CROWD_RANK,
  HEDGE_MARGIN,
  HEDGE_MAX_MS,
  HEDGE_MIN_MS,
  HEDGE_PEER_BYTES_PER_MS,
  HEDGE_PEER_COLD_FIRST_PIECE_MS,
  HEDGE_PEER_FIRST_PIECE_MS,
  HEDGE_STALL_MIN_MS,
  HEDGE_STALL_PIECES,
  NO_PEERS_MEMORY_MS,
  TORRENT_ORIGIN_HEAD_BYTES,
  TORRENT_ORIGIN_HEAD_MAX_SHARE,
} from '../protocol/limits.ts';

/**
 * What a page needs before it can render or run (Fetch §2.2.5 destinations). These go to the
 * network at once, as the browser made them (its priority kept), and are never held for peers:
 * a blocked render costs more than their bytes, and the worker still stores and seeds them.
 */
const CRITICAL: ReadonlySet<string> = new Set(['style', 'script', 'font', 'worker', 'sharedworker', 'manifest']);

/** Whether a request of this destination (`Request.destination`) skips peers and goes straight to the network. */
export const isCritical = (destination: string): boolean => CRITICAL.has(destination);

/**
 * How many pieces at the start of a request for a torrent asset of `size` bytes (pieces of
 * `pieceSize`) are asked of the origin at once, while the torrent starts: TORRENT_ORIGIN_HEAD_BYTES
 * rounded up to whole pieces, at most TORRENT_ORIGIN_HEAD_MAX_SHARE of the file's pieces (rounded
 * down, so a file of under four pieces gets none). 0 for an empty file.
 */
export function originHeadPieces(size: number, pieceSize: number): number {
  if (size <= 0 || pieceSize <= 0) return 0;
  const pieces = Math.ceil(size / pieceSize);
  return Math.min(Math.ceil(TORRENT_ORIGIN_HEAD_BYTES / pieceSize), Math.floor(pieces * TORRENT_ORIGIN_HEAD_MAX_SHARE));
}

/** What this worker has measured of each source: ms to a first piece / byte, bytes per ms after it. */
export class SourceSpeeds {
  readonly peerFirstPieceMs = new Ewma();
  /** The same, for gathers that started with no bridge ready (a page's bridge still starting). */
  readonly peerColdFirstPieceMs = new Ewma();
  readonly peerBytesPerMs = new Ewma();
  readonly originFirstByteMs = new Ewma();
  readonly originBytesPerMs = new Ewma();
  /**
   * Bytes this worker has asked peers for and not yet received, over every open gather: a request
   * asked while others are in flight waits behind them on the same links (PIECES_IN_FLIGHT_PER_PEER),
   * so its first piece comes that much later.
   */
  peerBacklogBytes = 0;

  /** When a bridge last answered `no-peers`, and when a peer piece last came (ms, the gathers' clock). */
  private lastNoPeers = Number.NEGATIVE_INFINITY;
  private lastPeerPiece = Number.NEGATIVE_INFINITY;

  noPeersAnswered(now: number): void {
    this.lastNoPeers = now;
  }

  peerPieceCame(now: number): void {
    this.lastPeerPiece = now;
  }

  /**
   * Whether peers were just seen to hold nothing: a `no-peers` answer and no peer piece at all
   * within NO_PEERS_MEMORY_MS. Then a request with no ready bridge goes to the network at once.
   * Not "no piece since the last no-peers": a page served by peers still gets `no-peers` for an
   * asset nobody holds (or asked before its signaling is up), and its next page must ask peers.
   */
  expectNoPeers(now: number): boolean {
    return now - this.lastNoPeers <= NO_PEERS_MEMORY_MS && now - this.lastPeerPiece > NO_PEERS_MEMORY_MS;
  }

  /** Changes the backlog by `delta` bytes (never below 0). */
  backlog(delta: number): void {
    this.peerBacklogBytes = Math.max(0, this.peerBacklogBytes + delta);
  }

  /** A gather's first peer piece came `ms` after peers were asked; `cold`: no bridge was ready then. */
  peerFirstPiece(ms: number, cold = false): void {
    (cold ? this.peerColdFirstPieceMs : this.peerFirstPieceMs).add(ms);
  }

  /** Peers delivered `bytes` in `ms` after their first piece (ignored below one piece's time). */
  peerRate(bytes: number, ms: number): void {
    if (ms > 0 && bytes > 0) this.peerBytesPerMs.add(bytes / ms);
  }

  /** An origin answer: its headers `firstByteMs` after the request, then `bytes` in `bodyMs`. */
  origin(firstByteMs: number, bytes: number, bodyMs: number): void {
    this.originFirstByteMs.add(firstByteMs);
    if (bodyMs > 0 && bytes > 0) this.originBytesPerMs.add(bytes / bodyMs);
  }
}

export interface HedgeDelays {
  /** From asking peers to asking the origin, when no peer piece has come yet. */
  firstMs: number;
  /** Longest gap between two peer pieces before the origin is asked for the rest. */
  stallMs: number;
}

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));

/**
 * The hedge delays for a gather of `bytes` bytes in pieces of `pieceSize`, from what was measured;
 * `cold` when no page bridge is ready yet (its own first-piece figures and default); `aheadBytes`:
 * bytes asked of peers by other gathers and not yet received (SourceSpeeds.peerBacklogBytes), added
 * to the expected first-piece time at the peers' rate.
 * `firstMs` = max(peer first piece, min(peer first piece × HEDGE_MARGIN, origin's whole-gather time)) within
 * [HEDGE_MIN_MS, HEDGE_MAX_MS]; `stallMs` = HEDGE_STALL_PIECES pieces at the peers' rate × margin,
 * within [HEDGE_STALL_MIN_MS, HEDGE_MAX_MS]. All in ms.
 */
export function hedgeDelays(speeds: SourceSpeeds, bytes: number, pieceSize: number, cold = false, aheadBytes = 0): HedgeDelays {
  // Cold: never below the default. A sample counts only what came before the hedge cut it off,
  // and pages whose bridge was already connected answer a "cold" request fast: learned alone, the
  // figure falls below a real navigation's start-up and hands its images to the origin.
  const peerFirst = cold
    ? Math.max(HEDGE_PEER_COLD_FIRST_PIECE_MS, speeds.peerColdFirstPieceMs.value ?? 0)
    : (speeds.peerFirstPieceMs.value ?? HEDGE_PEER_FIRST_PIECE_MS);
  const peerRate = speeds.peerBytesPerMs.value ?? HEDGE_PEER_BYTES_PER_MS;
  // What is queued ahead of this request on the same links comes first, at the peers' rate.
  const expected = peerFirst + aheadBytes / Math.max(peerRate, 1e-3);
  let wait = expected * HEDGE_MARGIN;
  const originFirst = speeds.originFirstByteMs.value;
  const originRate = speeds.originBytesPerMs.value;
  if (originFirst !== undefined && originRate !== undefined && originRate > 0) {
    wait = Math.max(expected, Math.min(wait, originFirst + bytes / originRate));
  }
  const stall = ((HEDGE_STALL_PIECES * Math.min(pieceSize, bytes)) / Math.max(peerRate, 1e-3)) * HEDGE_MARGIN;
  return {
    firstMs: Math.round(clamp(wait, HEDGE_MIN_MS, HEDGE_MAX_MS)),
    stallMs: Math.round(clamp(stall, HEDGE_STALL_MIN_MS, HEDGE_MAX_MS)),
  };
}

/**
 * The first-piece hedge delay of a gather whose bridge said it is the `rank`-th fetcher of an
 * asset nobody holds whole (`accepted` with a rank; undefined when a holder was named or the
 * bridge did not say): `firstMs` × HEDGE_CROWD_MARGIN, at most HEDGE_CROWD_MAX_MS, from rank
 * HEDGE_CROWD_RANK on; `firstMs` otherwise (never shorter). Ms.
 */
export function crowdFirstMs(firstMs: number, rank: number | undefined): number {
  if (rank === undefined || !(rank >= HEDGE_CROWD_RANK)) return firstMs;
  return Math.max(firstMs, Math.min(firstMs * HEDGE_CROWD_MARGIN, HEDGE_CROWD_MAX_MS));
}
