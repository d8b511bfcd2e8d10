/**
 * Serves one worker request for pieces: finds sources (connected holders first, else through the
 * signaling server: holders, then visitors fetching the asset now), spreads the pieces over them a
 * few at a time, and sends each piece back on the worker's port as it arrives. The worker
 * verifies; when it reports a bad piece, the sender is banned. Anything this cannot get is
 * reported, and the worker takes it from the origin.
 *
 * Visitors arriving together (issue 13): the server registers this tab as fetching the asset and
 * lists the others fetching it, who serve each piece as soon as their worker stores it
 * (fetching-now.ts). The first of a group finds nobody and takes the origin's bytes; the r-th
 * takes its share of distinct pieces from the origin at once (schedule/origin-share.ts) and the
 * rest from the others.
 */
import {
  BRIDGE_ACCEPT_TIMEOUT_MS,
  MAX_WANT_EXCLUDE,
  PIECE_SIZE,
  PIECES_IN_FLIGHT_PER_LINK,
  PIECES_IN_FLIGHT_PER_PEER,
} from '../protocol/limits.ts';
import { pieceCount } from '../protocol/pieces.ts';
import type { PeerLink } from './peer-link.ts';
import type { PeerPool } from './peer-pool.ts';
import { expectedWaitMs, originFinishesFirst } from './peer-score.ts';
import { originShare } from './schedule/origin-share.ts';
import type { WantAnswer } from './signal-client.ts';
import { WorkerPort } from './worker-port.ts';

/** What finding holders through the signaling server takes (page-bridge/signal-client.ts). */
export interface HolderLookup {
  /** True once joined, false if not within `ms` (or the server already failed us). */
  whenOpen(ms: number): Promise<boolean>;
  /**
   * Up to a few holders, then fetchers, of `hash`, none of `exclude`; no peers when unanswered.
   * `fetching`: register this tab as fetching it (the answer then has its `rank`).
   */
  want(hash: string, exclude: string[], fetching?: boolean): Promise<WantAnswer>;
}

export interface RequestContext {
  pool: PeerPool;
  /** Null when this browser has no signaling: only links already open are asked. */
  signal: HolderLookup | null;
  onFailure(): void;
  onBadPiece(peerId: string): void;
}

/** Attempts per piece across different peers (a re-ask included) before the origin takes over. */
const TRIES_PER_PIECE = 2;

/**
 * `peersOnly`: a prefetch, which the origin never serves: no hand-off to it for being slower, and
 * this tab is not registered as fetching. `size`: the asset's bytes (its piece count sets the
 * origin's share); without it nothing is taken from the origin up front. `register`: whether the
 * signaling server lists this tab as fetching the asset (it serves the pieces as they land): not
 * for a prefetch, nor for a tab that does not upload, which would refuse every piece it is asked.
 */
export async function servePieceRequest(
  ctx: RequestContext,
  hash: string,
  pieces: number[],
  messagePort: MessagePort,
  peersOnly = false,
  size?: number,
  register = !peersOnly,
): Promise<void> {
  // The loop waits for one of its requests to settle, any link's event (a slot freed, an `hp`) or
  // the worker's cancel. Each wait is a fresh promise that those resolve: racing the requests and
  // the cancel themselves again on every wake would hang new callbacks on each, kept until they
  // settle, and a linked peer wakes the loop as often as it sends `hp`.
  let wake: () => void = () => undefined;
  const woken = (): Promise<void> => new Promise((resolve) => (wake = resolve));
  const port = new WorkerPort(messagePort, { onBadPiece: (_index, peerId) => ctx.onBadPiece(peerId), onCancel: () => wake() });
  const found = await findSources(ctx, hash, register);
  const holders = found.links;
  if (holders.length === 0) return port.noPeers(ctx.signal ? 'no holder reachable' : 'signaling off');
  port.accepted(holders.length);

  // Fellow fetchers only: this tab's share of distinct pieces, from the origin at once.
  const share =
    found.rank === undefined || size === undefined || peersOnly
      ? []
      : originShare(pieces, found.sources, found.rank, pieceCount(size, PIECE_SIZE));
  for (const index of share) port.pieceFailed(index, 'origin share');
  type Item = { index: number; tries: number; tried: Set<string> };
  const queue: Item[] = pieces.filter((i) => !share.includes(i)).map((index) => ({ index, tries: 0, tried: new Set<string>() }));
  const running = new Set<Promise<void>>();
  /** Pieces handed to the origin because the peers were slower: anything they still send is dropped. */
  const handedOff = new Set<number>();
  /** Pieces asked of peers and not yet answered, with the links asked (a second when a source said it has it). */
  const inFlight = new Map<number, { item: Item; links: Set<PeerLink> }>();
  /** Pieces sent on to the worker: a second copy (from a re-ask) is dropped. */
  const sent = new Set<number>();
  /** This response's requests in flight, per peer: at most PIECES_IN_FLIGHT_PER_PEER each, the link's other slots left to other responses. */
  const mine = new Map<string, number>();
  const busy = (l: PeerLink): boolean => l.inFlight >= PIECES_IN_FLIGHT_PER_LINK || (mine.get(l.peerId) ?? 0) >= PIECES_IN_FLIGHT_PER_PEER;
  // Only a source known to have the piece: a holder, or a fetcher that said so (`hp`), as a
  // BitTorrent peer requests only what a bitfield or `have` offered (BEP 3). A piece no source
  // has yet waits for one to say it has it (the loop wakes on every `hp`), within the worker's
  // hedge delays. Asking a fetcher blind was measured to hold each request for its whole hold
  // at a peer that was itself waiting. Then the soonest to answer: a slow peer (measured
  // throughput) is asked last, and an unmeasured one is tried.
  const pickLink = (item: Item): PeerLink | undefined =>
    ctx.pool
      .sources(hash)
      .filter((l) => !item.tried.has(l.peerId) && !busy(l) && l.hasPiece(hash, item.index))
      .map((l) => ({ l, wait: expectedWaitMs(l.inFlight, l.throughput.rate(), PIECE_SIZE) }))
      .sort((a, b) => a.wait - b.wait || a.l.inFlight - b.l.inFlight)[0]?.l;
  /**
   * When the holders, at their measured rates, would finish what is left later than the origin
   * would, the worker takes the rest from the origin (`piece-failed`, its own fallback). Only
   * complete holders count: a fetcher's rate includes its wait for pieces still coming to it.
   */
  let delivered = { bytes: 0, pieces: 0 };
  const handOffIfSlow = (): boolean => {
    // The pieces left are as large as those delivered so far (the last piece of an asset is shorter).
    const pieceBytes = delivered.pieces > 0 ? delivered.bytes / delivered.pieces : PIECE_SIZE;
    const left = queue.length + inFlight.size;
    const rates = ctx.pool.holders(hash).map((l) => l.throughput.rate());
    if (!originFinishesFirst(left * pieceBytes, rates, ctx.pool.origin.estimate())) return false;
    for (const item of queue.splice(0)) port.pieceFailed(item.index, 'peers slower than the origin');
    for (const index of inFlight.keys()) {
      handedOff.add(index);
      port.pieceFailed(index, 'peers slower than the origin');
    }
    return true;
  };

  const ask = (item: Item, link: PeerLink): void => {
    item.tries++;
    item.tried.add(link.peerId);
    const asked = inFlight.get(item.index) ?? { item, links: new Set<PeerLink>() };
    asked.links.add(link);
    inFlight.set(item.index, asked);
    mine.set(link.peerId, (mine.get(link.peerId) ?? 0) + 1);
    const task = link
      .request(hash, item.index)
      .finally(() => {
        mine.set(link.peerId, (mine.get(link.peerId) ?? 1) - 1);
        asked.links.delete(link);
      })
      .then((data) => {
        inFlight.delete(item.index);
        if (sent.has(item.index) || handedOff.has(item.index)) return;
        sent.add(item.index);
        // A copy still asked elsewhere (a re-ask) is withdrawn: its uploader's slot is free again.
        for (const other of asked.links) other.cancel(hash, item.index);
        delivered = { bytes: delivered.bytes + data.byteLength, pieces: delivered.pieces + 1 };
        port.piece(item.index, data, link.peerId);
      })
      .catch(() => {
        if (sent.has(item.index) || handedOff.has(item.index)) return;
        ctx.onFailure();
        if (asked.links.size > 0) return; // another source is still asked for it
        inFlight.delete(item.index);
        if (item.tries < TRIES_PER_PIECE) queue.push(item);
        else port.pieceFailed(item.index, 'peers failed');
      })
      .finally(() => {
        running.delete(task);
        wake();
      });
    running.add(task);
  };

  /**
   * A piece asked only of sources not known to have it (fetchers holding the request until it
   * comes to them) is asked again of one that has since said it has it (`hp`), as BitTorrent's
   * endgame asks twice: whichever copy comes first is sent on.
   */
  const reaskKnown = (): boolean => {
    let asked = false;
    for (const { item, links } of inFlight.values()) {
      if (sent.has(item.index) || links.size !== 1 || item.tries >= TRIES_PER_PIECE) continue;
      const [only] = links;
      if (!only || only.hasPiece(hash, item.index)) continue;
      const better = pickLink(item);
      if (better) {
        ask(item, better);
        asked = true;
      }
    }
    return asked;
  };

  // Until every piece is sent on or handed over (a withdrawn second copy may still be settling).
  while (!port.cancelled && (queue.length > 0 || inFlight.size > 0)) {
    if (handedOff.size > 0 || (!peersOnly && handOffIfSlow())) return;
    let started = reaskKnown();
    for (let i = 0; i < queue.length && !port.cancelled; i++) {
      const item = queue[i]!;
      const link = pickLink(item);
      if (!link) {
        if (ctx.pool.sources(hash).every((l) => item.tried.has(l.peerId))) {
          queue.splice(i--, 1);
          port.pieceFailed(item.index, 'no holder left');
        }
        continue;
      }
      queue.splice(i--, 1);
      started = true;
      ask(item, link);
    }
    // A request settling anywhere (a slot freed) or a source saying it has more pieces.
    if (running.size > 0) await Promise.race([woken(), ctx.pool.requestSettled()]);
    else if (!started && queue.length > 0) {
      // Sources exist but are busy with other responses' pieces: wait for a free slot. The
      // worker's deadlines bound this wait; past them it cancels and the origin serves the rest.
      if (ctx.pool.sources(hash).length === 0) {
        for (const item of queue.splice(0)) port.pieceFailed(item.index, 'no holder left');
      } else await Promise.race([woken(), ctx.pool.requestSettled()]);
    }
  }
}

/**
 * Links to ask for `hash`'s pieces. `sources` and `rank` (for the origin's share) only when the
 * server named fetchers and no complete holder: a holder serves every piece.
 */
interface Sources {
  links: PeerLink[];
  sources: number;
  rank?: number;
}

async function findSources(ctx: RequestContext, hash: string, fetching: boolean): Promise<Sources> {
  // Open links that said they fetch it count too, but only a holder spares the server's answer:
  // asking registers this tab as a fetcher, so later visitors find it.
  const linked = (): Sources => {
    const links = ctx.pool.sources(hash);
    return { links, sources: links.length };
  };
  if (ctx.pool.holders(hash).length > 0 || !ctx.signal) return linked();
  if (!(await ctx.signal.whenOpen(BRIDGE_ACCEPT_TIMEOUT_MS / 2))) return linked();
  // Open links are not excluded: a peer tells a link only the assets its page used
  // (local-have.ts), so a linked peer may hold this one unsaid; the server names it and
  // connectTo reuses the link.
  const exclude = [...ctx.pool.banned].slice(0, MAX_WANT_EXCLUDE);
  const answer = await ctx.signal.want(hash, exclude, fetching);
  // A fetcher is asked like a holder: it serves each piece once stored, and refuses (`nak
  // missing`) what it does not get in time, which sends that piece elsewhere.
  await ctx.pool.connectTo(answer.peers, hash);
  const links = ctx.pool.sources(hash);
  const onlyFetchers = answer.peers.length > 0 && answer.peers.every((p) => p.fetching === true);
  return onlyFetchers && answer.rank !== undefined
    ? { links, sources: answer.peers.length, rank: answer.rank }
    : { links, sources: links.length };
}
