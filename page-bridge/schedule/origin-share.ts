/**
 * The origin as a coordinated seed: which pieces of a response a visitor asks the origin for at
 * once, before any peer is asked. Pure; the bridge (page-bridge/piece-requests.ts) and the swarm
 * simulator (bench/swarm-sim/) use this one rule.
 *
 * The signaling server answers `want` with the peers that hold the asset or are fetching it, and
 * registers the asker as a fetcher (signal-worker/core/signal/swarm-index.ts). Visitors arriving
 * together ask one after another (the server handles one message at a time), so exactly one of a
 * group finds nobody: it takes every piece from the origin, in one Range request, at the
 * origin's speed, and each piece is stored and announced piece by piece (`hp`) as it verifies.
 * Every later one finds it (and the others), and takes from the origin only what no peer holds
 * or is fetching; the pieces the first one is fetching arrive from the swarm. A later visitor
 * that took a share of its own would duplicate bytes the first one's Range request is already
 * carrying. Whatever no peer delivers within the worker's hedge delays (sw/hedge-policy.ts: to a
 * first piece, between pieces) is asked of the origin as well, so no one waits much longer than
 * the origin alone would, and a peer that claims pieces and never sends costs at most a delay.
 */
import { ORIGIN_SEED_FIRST_RANK } from '../../protocol/limits.ts';

/**
 * Pieces to ask the origin for now. `sources`: other visitors known to hold or be fetching the
 * asset (the server's answer and open links that told us); `rank`: how many visitors were
 * already fetching it when the server registered us (its `peers` answer; absent from an older
 * server, and left out by the caller when a holder of the whole asset was named: it serves
 * every piece); `pieceCount`: the asset's pieces.
 *
 * All of them when there is no other source. Otherwise the r-th fetcher (r < pieceCount) takes
 * piece pieceCount − r, counting from the end, which the first fetcher's Range request reaches
 * last: the first pieceCount fetchers inject distinct pieces into the swarm at once, instead of
 * all waiting on the first one's upload. And the fetchers of ranks ORIGIN_SEED_FIRST_RANK (8),
 * 16, 32, ... take all of them (isSeedRank): a crowd gets log2(N / 4) whole copies seeded at once,
 * where the first fetcher's upload alone spreads the asset more slowly than the worker's hedge
 * waits. The origin then sends each piece about log2(N) times for N fetchers; other later
 * fetchers take nothing from it up front.
 */
export function originShare(pieces: readonly number[], sources: number, rank?: number, pieceCount?: number): number[] {
  if (sources === 0) return [...pieces];
  if (rank !== undefined && isSeedRank(rank)) return [...pieces];
  if (rank === undefined || pieceCount === undefined || rank < 1 || rank >= pieceCount) return [];
  const piece = pieceCount - rank;
  return pieces.includes(piece) ? [piece] : [];
}

/** Whether the fetcher of `rank` takes a whole copy from the origin: ORIGIN_SEED_FIRST_RANK × 2^k, k ≥ 0. */
export function isSeedRank(rank: number): boolean {
  if (!Number.isInteger(rank) || rank < ORIGIN_SEED_FIRST_RANK) return false;
  let r = rank / ORIGIN_SEED_FIRST_RANK;
  while (r > 1 && Number.isInteger(r)) r /= 2;
  return r === 1;
}
