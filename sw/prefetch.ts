/**
 * Prefetch through peers: the worker's side of a bridge's `prefetch` (protocol/bridge-messages.ts).
 * For each asset, in the order asked, the pieces not stored are asked of peers through the
 * asking window's bridge (the same `fetch` over a MessageChannel as a page request), each one
 * verified against the manifest and stored as a page request's would be. Never the origin: a
 * piece peers do not supply (no holder, `piece-failed`, a bad piece, a deadline) is skipped, and
 * the asset stays incomplete. Assets go one at a time, so a prefetch takes at most one asset's
 * worth of the bridge's links at once and the page's own requests come first on them.
 *
 * Runtime (store, bridge, hash) injected, so this runs in Node tests.
 */
import type { BridgeReply, PrefetchReply, WorkerFeedback, WorkerToBridge } from '../protocol/bridge-messages.ts';
import { type Clock, type TimerHandle, timerClock } from '../protocol/clock.ts';
import { PREFETCH_ACCEPT_TIMEOUT_MS, PREFETCH_STALL_TIMEOUT_MS } from '../protocol/limits.ts';
import type { Manifest, ManifestAsset } from '../protocol/manifest.ts';
import { pieceCount, pieceSpan } from '../protocol/pieces.ts';

export interface PrefetchDeps {
  manifest: Pick<Manifest, 'assets' | 'pieceSize'>;
  /** Stored pieces of `hash` at `indexes` (undefined where none). */
  readPieces(hash: string, indexes: readonly number[]): Promise<Array<ArrayBuffer | undefined>>;
  writePiece(hash: string, index: number, data: ArrayBuffer): Promise<boolean>;
  /** True once every piece is stored (and the asset recorded complete): the bridges then announce it. */
  markComplete(hash: string, size: number, pieces: number): Promise<boolean>;
  verify(data: ArrayBuffer, expectedHex: string): Promise<boolean>;
  /**
   * The expected SHA-256 (hex) of piece `index` (sw/piece-lists.ts). Rejects when the asset's
   * piece list cannot be had or fails its root: the prefetch of that asset stops, no peer blamed.
   */
  pieceHash(asset: ManifestAsset, index: number): Promise<string>;
  /** A session with the asking window's bridge, or null when it does no P2P (sw/bridge-session.ts). */
  openBridge(
    request: Extract<WorkerToBridge, { pc: 'fetch' }>,
    onReply: (reply: BridgeReply) => void,
  ): Promise<{ report(f: WorkerFeedback): void; close(): void } | null>;
  /** Assets whose origin file this worker saw change: not prefetched (their version is in doubt). */
  isChanged(hash: string): boolean;
  timers?: Clock;
}

/**
 * Prefetches `keys` in order, calling `reply` once per key and then with `prefetch-done`.
 * Resolves when done (the worker keeps its message event open until then).
 */
export async function prefetchAssets(keys: readonly string[], deps: PrefetchDeps, reply: (r: PrefetchReply) => void): Promise<void> {
  for (const key of keys) {
    const asset = deps.manifest.assets[key];
    // A torrent's pieces live in WebTorrent's store, which this worker does not fill.
    if (!asset || asset.torrent !== undefined || asset.size === 0 || deps.isChanged(asset.hash)) {
      reply({ pc: 'prefetched', key, hash: asset?.hash ?? null, bytes: 0, complete: false });
      continue;
    }
    const bytes = await prefetchOne(asset, deps, (n) => reply({ pc: 'prefetch-stored', hash: asset.hash, bytes: n })).catch(() => 0);
    const complete = await deps.markComplete(asset.hash, asset.size, pieceCount(asset.size, deps.manifest.pieceSize)).catch(() => false);
    reply({ pc: 'prefetched', key, hash: asset.hash, bytes, complete });
  }
  reply({ pc: 'prefetch-done' });
}

/** Verified bytes of `asset` taken from peers and stored (each piece's also told to `onStored` as it lands). */
async function prefetchOne(asset: ManifestAsset, deps: PrefetchDeps, onStored: (bytes: number) => void): Promise<number> {
  const all = Array.from({ length: pieceCount(asset.size, deps.manifest.pieceSize) }, (_, i) => i);
  const stored = await deps.readPieces(asset.hash, all).catch(() => [] as Array<ArrayBuffer | undefined>);
  const missing = new Set(all.filter((i) => stored[i] === undefined));
  if (missing.size === 0) return 0;
  const timers = deps.timers ?? timerClock;
  let bytes = 0;
  let settle: () => void = () => undefined;
  const over = new Promise<void>((resolve) => (settle = resolve));
  let timer: TimerHandle | null = null;
  let session: { report(f: WorkerFeedback): void; close(): void } | null = null;
  const arm = (ms: number): void => {
    if (timer !== null) timers.clearTimeout(timer);
    timer = timers.setTimeout(settle, ms);
  };
  const pending: Array<Promise<unknown>> = [];
  const onReply = (r: BridgeReply): void => {
    switch (r.pc) {
      case 'accepted':
        return arm(PREFETCH_STALL_TIMEOUT_MS);
      case 'no-peers':
        return settle();
      case 'piece-failed':
        if (missing.delete(r.index) && missing.size === 0) settle();
        return;
      case 'piece': {
        if (!missing.has(r.index)) return;
        arm(PREFETCH_STALL_TIMEOUT_MS);
        const check = (async () => {
          const span = pieceSpan(r.index, asset.size, deps.manifest.pieceSize);
          const expected = await deps.pieceHash(asset, r.index).catch(() => null);
          if (expected === null) {
            // No trusted list: nothing can be verified, so nothing is stored, and no peer is to blame.
            missing.clear();
            settle();
            return;
          }
          const good = r.data.byteLength === span.end - span.start && (await deps.verify(r.data, expected));
          if (!missing.delete(r.index)) return;
          const size = r.data.byteLength;
          if (good && (await deps.writePiece(asset.hash, r.index, r.data).catch(() => false))) {
            bytes += size;
            onStored(size);
          }
          if (!good) session?.report({ pc: 'bad-piece', index: r.index, peerId: r.peerId });
          if (missing.size === 0) settle();
        })();
        pending.push(check);
      }
    }
  };
  session = await deps.openBridge({ pc: 'fetch', hash: asset.hash, size: asset.size, pieces: [...missing], peersOnly: true }, onReply);
  if (!session) return 0;
  arm(PREFETCH_ACCEPT_TIMEOUT_MS);
  await over;
  if (timer !== null) timers.clearTimeout(timer);
  session.close();
  await Promise.allSettled(pending);
  return bytes;
}
