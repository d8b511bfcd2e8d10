/**
 * Serves one worker request for pieces: finds sources (connected holders first, else through the
 * signaling server: holders, then visitors fetching the asset now), spreads the pieces over them
 * with the piece picker (schedule/piece-picker.ts: rarest first, a few at a time per source, an
 * endgame for the last few), and sends each piece back on the worker's port as it arrives. The worker
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
  ENDGAME_PIECES,
  MAX_WANT_EXCLUDE,
  PIECE_SIZE,
  PIECES_IN_FLIGHT_PER_LINK,
  PIECES_IN_FLIGHT_PER_PEER,
} from '../protocol/limits.ts';
import { pieceCount } from '../protocol/pieces.ts';
import { type PeerLink, PieceRequestError } from './peer-link.ts';
import type { PeerPool } from './peer-pool.ts';
import { expectedWaitMs, originFinishesFirst } from './peer-score.ts';
import { originShare } from './schedule/origin-share.ts';
import { PiecePicker } from './schedule/piece-picker.ts';
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
  port.accepted(holders.length, peersOnly ? undefined : found.rank);

  // Fellow fetchers only: this tab's share of distinct pieces, from the origin at once.
  const share =
    found.rank === undefined || size === undefined || peersOnly
      ? []
      : originShare(pieces, found.sources, found.rank, pieceCount(size, PIECE_SIZE));
  for (const index of share) port.pieceFailed(index, 'origin share');
  // Which piece to ask which source for: BEP 3's piece picker, the same module the swarm simulator
  // runs (schedule/piece-picker.ts): rarest first among the pieces a source has (ties in file
  // order: the worker streams the response in order), at most PIECES_IN_FLIGHT_PER_PEER in flight
  // per source, and in the endgame (every piece left asked, at most ENDGAME_PIECES left) a
  // piece asked of a second source; the first copy is sent on and the other withdrawn.
  const wanted = pieces.filter((i) => !share.includes(i));
  const count = size === undefined ? Math.max(0, ...pieces) + 1 : pieceCount(size, PIECE_SIZE);
  const picker = new PiecePicker(wanted, count, { maxInFlightPerPeer: PIECES_IN_FLIGHT_PER_PEER, endgamePieces: ENDGAME_PIECES });
  const running = new Set<Promise<void>>();
  /** Pieces sent on to the worker or handed to the origin: whatever else comes for them is dropped. */
  const done = new Set<number>();
  /** Pieces asked and not yet answered, with the links asked (two in the endgame). */
  const inFlight = new Map<number, Set<PeerLink>>();
  /** Failed asks per piece (refused, timed out, link closed). */
  const failures = new Map<number, number>();
  const byPeer = new Map<string, PeerLink>();
  const withdraw = (index: number, peerIds: Iterable<string>): void => {
    for (const peerId of peerIds) byPeer.get(peerId)?.cancel(hash, index);
  };
  /** These pieces come from the origin now (`piece-failed`: the worker's own fallback). */
  const giveUp = (indexes: readonly number[], reason: string): void => {
    for (const index of indexes) {
      if (done.has(index)) continue;
      done.add(index);
      withdraw(index, picker.giveUp([index]));
      inFlight.delete(index);
      port.pieceFailed(index, reason);
    }
  };
  /**
   * When the holders, at their measured rates, would finish what is left later than the origin
   * would, the worker takes the rest from the origin. Only complete holders count: a fetcher's
   * rate includes its wait for pieces still coming to it.
   */
  let delivered = { bytes: 0, pieces: 0 };
  const handOffIfSlow = (): boolean => {
    // The pieces left are as large as those delivered so far (the last piece of an asset is shorter).
    const pieceBytes = delivered.pieces > 0 ? delivered.bytes / delivered.pieces : PIECE_SIZE;
    const rates = ctx.pool.holders(hash).map((l) => l.throughput.rate());
    if (!originFinishesFirst(picker.remaining * pieceBytes, rates, ctx.pool.origin.estimate())) return false;
    giveUp(picker.pending(), 'peers slower than the origin');
    return true;
  };

  const ask = (index: number, link: PeerLink): void => {
    const asked = inFlight.get(index) ?? new Set<PeerLink>();
    asked.add(link);
    inFlight.set(index, asked);
    const task = link
      .request(hash, index)
      .then(
        (data) => {
          if (done.has(index)) return;
          done.add(index);
          inFlight.delete(index);
          withdraw(index, picker.received(index, link.peerId));
          delivered = { bytes: delivered.bytes + data.byteLength, pieces: delivered.pieces + 1 };
          port.piece(index, data, link.peerId);
        },
        (err: unknown) => {
          if (done.has(index)) return;
          if (err instanceof PieceRequestError && err.code === 'choked') {
            // Its upload queue was full (schedule/upload-queue.ts): not a failure of the peer. The
            // piece is asked of another source now, or of this one once the choke has passed.
            // The loop wakes on this settling, and again when the choke has passed (below).
            picker.release(index, link.peerId);
            asked.delete(link);
            return;
          }
          ctx.onFailure();
          picker.failed(index, link.peerId); // never asked of it again in this response
          asked.delete(link);
          const failed = (failures.get(index) ?? 0) + 1;
          failures.set(index, failed);
          if (failed >= TRIES_PER_PIECE && asked.size === 0) giveUp([index], 'peers failed');
        },
      )
      .finally(() => {
        running.delete(task);
        wake();
      });
    running.add(task);
  };

  // Until every piece is sent on or handed over.
  while (!port.cancelled && picker.remaining > 0) {
    if (!peersOnly && handOffIfSlow()) return;
    // The soonest to answer first: a slow peer (measured throughput) is asked last, an unmeasured one tried.
    const sources = ctx.pool
      .sources(hash)
      .map((l) => ({ l, wait: expectedWaitMs(l.inFlight, l.throughput.rate(), PIECE_SIZE) }))
      .sort((a, b) => a.wait - b.wait || a.l.inFlight - b.l.inFlight)
      .map(({ l }) => l);
    if (sources.length === 0 && running.size === 0) {
      giveUp(picker.pending(), 'no holder left');
      break;
    }
    // Every source's pieces known first, so rarity counts them all.
    for (const link of sources) {
      byPeer.set(link.peerId, link);
      // Only what a source said it has: a holder's every piece, a fetcher's `hp` (BEP 3's
      // bitfield and have), read live. Asking a fetcher blind was measured to hold each request
      // its whole hold at a peer that was itself waiting.
      if (!picker.hasPeer(link.peerId)) picker.setPeer(link.peerId, { has: (i) => link.isOpen && link.hasPiece(hash, i) });
    }
    /** Ms until the first choked source may be asked again. */
    let unchokedInMs = Number.POSITIVE_INFINITY;
    for (const link of sources) {
      if (link.choked) {
        unchokedInMs = Math.min(unchokedInMs, link.chokedForMs);
        continue;
      }
      const next = (): number | null => (link.inFlight < PIECES_IN_FLIGHT_PER_LINK ? picker.pick(link.peerId) : null);
      for (let index = next(); index !== null; index = next()) ask(index, link);
    }
    for (const [index, asked] of inFlight) {
      // Asked only of sources that have since said `lost`: withdrawn, to be asked of one that has it.
      if (asked.size > 0 && [...asked].every((l) => !l.hasPiece(hash, index))) for (const l of asked) l.cancel(hash, index);
    }
    // A piece that failed and that no source still offers: the origin's. One nobody offers yet
    // waits for an `hp`, within the worker's hedge delays.
    giveUp(
      picker.pending().filter((i) => !inFlight.get(i)?.size && (failures.get(i) ?? 0) > 0 && !picker.sourceFor(i)),
      'no holder left',
    );
    if (picker.remaining === 0 || port.cancelled) break;
    // Armed each round from the link's own clock: a timer firing before the choke has passed by
    // that clock only makes one more round, which arms it again.
    const retry = Number.isFinite(unchokedInMs) ? setTimeout(() => wake(), Math.ceil(unchokedInMs)) : undefined;
    await Promise.race([woken(), ctx.pool.requestSettled()]);
    clearTimeout(retry);
  }
}

/**
 * Registers this tab with the signaling server as fetching `hash`, which its worker takes from the
 * origin without asking (sw/gather-pieces.ts `no-peers-known`), and links to the others fetching
 * it: they find this tab and ask it for the pieces it stores. Measured: without it, a crowd's
 * first fetcher whose later images took that shortcut was invisible, and the next visitor took
 * them from the origin too (tests/e2e/swarm.test.ts under load, 0.52×).
 */
export async function registerFetching(ctx: RequestContext, hash: string): Promise<void> {
  if (!ctx.signal || !(await ctx.signal.whenOpen(BRIDGE_ACCEPT_TIMEOUT_MS / 2))) return;
  const answer = await ctx.signal.want(hash, [...ctx.pool.banned].slice(0, MAX_WANT_EXCLUDE), true);
  if (answer.peers.length > 0) await ctx.pool.connectTo(answer.peers, hash);
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
