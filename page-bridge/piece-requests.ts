/**
 * Serves one worker request for pieces: finds holders (connected ones first, else through the
 * signaling server), spreads the pieces over them a few at a time, and sends each piece back on
 * the worker's port as it arrives. The worker verifies; when it reports a bad piece, the sender is
 * banned. Anything this cannot get is reported, and the worker takes it from the origin.
 */
import { BRIDGE_ACCEPT_TIMEOUT_MS, MAX_WANT_EXCLUDE, PIECE_SIZE, PIECES_IN_FLIGHT_PER_PEER } from '../protocol/limits.ts';
import type { PeerCandidate } from '../protocol/signal-messages.ts';
import type { PeerLink } from './peer-link.ts';
import type { PeerPool } from './peer-pool.ts';
import { expectedWaitMs, originFinishesFirst } from './peer-score.ts';
import { WorkerPort } from './worker-port.ts';

/** What finding holders through the signaling server takes (page-bridge/signal-client.ts). */
export interface HolderLookup {
  /** True once joined, false if not within `ms` (or the server already failed us). */
  whenOpen(ms: number): Promise<boolean>;
  /** Up to a few holders of `hash`, none of `exclude`; [] when unanswered. */
  want(hash: string, exclude: string[]): Promise<PeerCandidate[]>;
}

export interface RequestContext {
  pool: PeerPool;
  /** Null when this browser has no signaling: only links already open are asked. */
  signal: HolderLookup | null;
  onFailure(): void;
  onBadPiece(peerId: string): void;
}

/** Attempts per piece across different peers before the origin takes over. */
const TRIES_PER_PIECE = 2;

/** `peersOnly`: a prefetch, which the origin never serves: no hand-off to it for being slower. */
export async function servePieceRequest(
  ctx: RequestContext,
  hash: string,
  pieces: number[],
  messagePort: MessagePort,
  peersOnly = false,
): Promise<void> {
  const port = new WorkerPort(messagePort, { onBadPiece: (_index, peerId) => ctx.onBadPiece(peerId) });
  const holders = await findHolders(ctx, hash);
  if (holders.length === 0) return port.noPeers(ctx.signal ? 'no holder reachable' : 'signaling off');
  port.accepted(holders.length);

  const queue = pieces.map((index) => ({ index, tries: 0, tried: new Set<string>() }));
  const running = new Set<Promise<void>>();
  /** Pieces handed to the origin because the peers were slower: anything they still send is dropped. */
  const handedOff = new Set<number>();
  const inFlight = new Set<number>();
  // The soonest to answer first: a slow peer (measured throughput) is asked last, and an unmeasured one is tried.
  const pickLink = (tried: Set<string>): PeerLink | undefined =>
    ctx.pool
      .holders(hash)
      .filter((l) => !tried.has(l.peerId) && l.inFlight < PIECES_IN_FLIGHT_PER_PEER)
      .map((l) => ({ l, wait: expectedWaitMs(l.inFlight, l.throughput.rate(), PIECE_SIZE) }))
      .sort((a, b) => a.wait - b.wait || a.l.inFlight - b.l.inFlight)[0]?.l;
  /**
   * When the holders, at their measured rates, would finish what is left later than the origin
   * would, the worker takes the rest from the origin (`piece-failed`, its own fallback).
   */
  let delivered = { bytes: 0, pieces: 0 };
  const handOffIfSlow = (): boolean => {
    // The pieces left are as large as those delivered so far (the last piece of an asset is shorter).
    const pieceBytes = delivered.pieces > 0 ? delivered.bytes / delivered.pieces : PIECE_SIZE;
    const left = queue.length + inFlight.size;
    const rates = ctx.pool.holders(hash).map((l) => l.throughput.rate());
    if (!originFinishesFirst(left * pieceBytes, rates, ctx.pool.origin.estimate())) return false;
    for (const item of queue.splice(0)) port.pieceFailed(item.index, 'peers slower than the origin');
    for (const index of inFlight) {
      handedOff.add(index);
      port.pieceFailed(index, 'peers slower than the origin');
    }
    return true;
  };

  while (!port.cancelled && (queue.length > 0 || running.size > 0)) {
    if (handedOff.size > 0 || (!peersOnly && handOffIfSlow())) return;
    let started = false;
    for (let i = 0; i < queue.length && !port.cancelled; i++) {
      const item = queue[i]!;
      const link = pickLink(item.tried);
      if (!link) {
        if (ctx.pool.holders(hash).every((l) => item.tried.has(l.peerId))) {
          queue.splice(i--, 1);
          port.pieceFailed(item.index, 'no holder left');
        }
        continue;
      }
      queue.splice(i--, 1);
      item.tries++;
      item.tried.add(link.peerId);
      started = true;
      inFlight.add(item.index);
      const task = link
        .request(hash, item.index)
        .then((data) => {
          inFlight.delete(item.index);
          delivered = { bytes: delivered.bytes + data.byteLength, pieces: delivered.pieces + 1 };
          if (!handedOff.has(item.index)) port.piece(item.index, data, link.peerId);
        })
        .catch(() => {
          inFlight.delete(item.index);
          if (handedOff.has(item.index)) return;
          ctx.onFailure();
          if (item.tries < TRIES_PER_PIECE) queue.push(item);
          else port.pieceFailed(item.index, 'peers failed');
        })
        .finally(() => running.delete(task));
      running.add(task);
    }
    if (running.size > 0) await Promise.race(running);
    else if (!started && queue.length > 0) {
      // Holders exist but are busy with other responses' pieces: wait for a free slot. The
      // worker's deadlines bound this wait; past them it cancels and the origin serves the rest.
      if (ctx.pool.holders(hash).length === 0) {
        for (const item of queue.splice(0)) port.pieceFailed(item.index, 'no holder left');
      } else await ctx.pool.requestSettled();
    }
  }
}

async function findHolders(ctx: RequestContext, hash: string): Promise<PeerLink[]> {
  const known = ctx.pool.holders(hash);
  if (known.length > 0 || !ctx.signal) return known;
  if (!(await ctx.signal.whenOpen(BRIDGE_ACCEPT_TIMEOUT_MS / 2))) return [];
  // Open links are not excluded: a peer tells a link only the assets its page used
  // (local-have.ts), so a linked peer may hold this one unsaid; the server names it and
  // connectTo reuses the link.
  const exclude = [...ctx.pool.banned].slice(0, MAX_WANT_EXCLUDE);
  const candidates = await ctx.signal.want(hash, exclude);
  const link = await ctx.pool.connectTo(candidates, hash);
  return link ? ctx.pool.holders(hash) : [];
}
