/**
 * Which windows have had the head of which torrent asset from the origin (issue 14, "video: the
 * first window from the origin"): a window's first read of a torrent asset gets one, its later
 * reads none (sw/serve-asset.ts). Pure and worker-global; sw/client-registry.ts forgets the
 * windows that are gone.
 */
import { TORRENT_HEADS_PER_WINDOW } from '../protocol/limits.ts';

/**
 * Per window: the torrent assets whose head it took, or whose torrent delivered it a piece (see
 * claimTorrentHead). Apart from the client registry's entries: a video's first read can come
 * before the page's bridge script is even requested, and a hello must not make it forget.
 */
const torrentHeads = new Map<string, Set<string>>();
/** Windows remembered in `torrentHeads` at most (the browser's open windows, in practice). */
const TORRENT_HEAD_WINDOWS = 256;

/** A piece of torrent asset `hash` came through `clientId`'s bridge (peers, web seed or its store). */
export function torrentServing(clientId: string, hash: string): void {
  if (!clientId) return;
  let set = torrentHeads.get(clientId);
  if (!set) {
    set = new Set();
    torrentHeads.set(clientId, set);
    if (torrentHeads.size > TORRENT_HEAD_WINDOWS) torrentHeads.delete(torrentHeads.keys().next().value as string);
  }
  set.delete(hash);
  set.add(hash);
  if (set.size > TORRENT_HEADS_PER_WINDOW) set.delete(set.values().next().value as string);
}

/**
 * Whether a read of torrent asset `hash` by window `clientId` gets a head from the origin
 * (serve-asset.ts): only its first, while that torrent has delivered the page nothing. A media
 * element makes several reads while the torrent starts (and a download reads in chunks): a head
 * for each would take most of a short file from the origin. Records the claim. A request with no
 * window (`clientId` empty) gets none.
 */
export function claimTorrentHead(clientId: string, hash: string): boolean {
  if (!clientId || torrentHeads.get(clientId)?.has(hash) === true) return false;
  torrentServing(clientId, hash);
  return true;
}

/** Forgets every window not in `alive` (the worker's current window list). */
export function forgetTorrentHeads(alive: ReadonlySet<string>): void {
  for (const id of torrentHeads.keys()) if (!alive.has(id)) torrentHeads.delete(id);
}
