/**
 * Messages between the service worker and a page bridge (postMessage / MessageChannel).
 * Both ends are our own code from the same origin, but the boundary is still validated: a page
 * may run other scripts that post messages, and a stale tab may run an older bridge.
 */
import { HASH_PATTERN } from './limits.ts';
import { isBuildId } from './manifest.ts';
import { fail, isRecord, ok, type Result } from './result.ts';

export type SourceBytes = { peer: number; origin: number; cache: number };

/** Worker → bridge, on `navigator.serviceWorker` (a `fetch` carries a MessagePort). */
export type WorkerToBridge =
  /**
   * `peersOnly` (a prefetch: sw/prefetch.ts): the worker will not take what peers miss from the
   * origin, so the bridge does not hand pieces back because the origin would be faster. Absent: false.
   */
  | { pc: 'fetch'; hash: string; size: number; pieces: number[]; peersOnly?: boolean }
  /** Is a bridge running in this window? (After a worker restart, it no longer knows.) */
  | { pc: 'hello?' }
  /** The answer to `hello`: the worker has recorded the page's build (`build` is the worker's own). */
  | { pc: 'welcome'; build: string }
  | { pc: 'stored'; hash: string }
  /**
   * One verified piece of an asset this window asked its bridge for has landed in the store
   * (issue 13): the bridge serves a peer's request held for it (page-bridge/fetching-now.ts), so
   * a visitor fetching an asset serves its pieces while its own response still streams. Sent
   * only to the window whose request fetched it, and only while the asset is not complete.
   */
  | { pc: 'piece-stored'; hash: string; index: number }
  /**
   * The worker takes `hash` from the origin without asking this window's bridge first (peers were
   * just seen to hold nothing: sw/gather-pieces.ts `no-peers-known`). The bridge registers the tab
   * as fetching it all the same, so visitors arriving together find it and ask it for the pieces
   * it stores (`piece-stored`), instead of each going to the origin too (issue 13).
   */
  | { pc: 'fetching'; hash: string }
  /** Complete assets the worker deleted (evicted past its quota, or gone with a deploy): stop announcing them. */
  | { pc: 'lost'; hashes: string[] }
  | { pc: 'served'; path: string; hash: string; bytes: SourceBytes; ms: number; status: number };

/**
 * Bridge → worker, on `navigator.serviceWorker.controller`: this window runs a bridge that is
 * listening, in a page of build `build` (null from a bridge too old to say). Messages the worker
 * posts to a window before its bridge listens can be lost (the window's message queue opens by
 * itself when parsing ends), so the worker asks only bridges that said hello.
 *
 * `p2p`: whether this bridge does P2P now. False while a `--start manual` page has not called
 * `peerConnect.start()`, after `peerConnect.stop()`, or when the visitor opted out: the worker
 * then never asks this window (or, for this window's requests, any other) for pieces, and goes to
 * the origin at once instead of waiting deadlines for peers. Said again whenever it changes.
 * Absent (a bridge from before it existed): true.
 *
 * `passThrough`: the site owner turned P2P `off` for this swarm (protocol/usage-report.ts): the
 * worker answers none of this window's requests, not even from its store, so every one goes to
 * the network as if there were no worker. Absent: false.
 */
export type BridgeToWorker =
  | { pc: 'hello'; build: string | null; p2p: boolean; passThrough?: boolean }
  | PageNamed
  | PrefetchRequest
  | SeedAsked;

/**
 * Bridge → worker, once the worker controls the page (issue 13): same-origin URLs the page loaded
 * before it did (they are in the HTTP cache, not in the store). The worker reads each manifest
 * asset among them back from the HTTP cache only, verifies, stores and announces it
 * (sw/seed-cached.ts). At most MAX_SEED_URLS, each at most MAX_SEED_URL_CHARS.
 */
export type SeedAsked = { pc: 'seed'; urls: string[] };

/** At most this many URLs in one `seed` (a page's resource timing entries, deduplicated). */
export const MAX_SEED_URLS = 256;
export const MAX_SEED_URL_CHARS = 2048;

/**
 * Bridge → worker, with a MessagePort for the answers (PrefetchReply): gather these assets
 * (manifest keys, in this order) from peers only, through this window's bridge, verify and store
 * them; never ask the origin. An asset already stored, unknown to the worker's manifest, or a
 * torrent's is skipped, as is every piece peers cannot supply (page-bridge/prefetch/, sw/prefetch.ts).
 */
export type PrefetchRequest = { pc: 'prefetch'; keys: string[] };

/** At most this many keys in one `prefetch` (the bridge's byte budget chooses far fewer). */
export const MAX_PREFETCH_KEYS = 1024;

/**
 * Worker → bridge, on a prefetch's port: `prefetch-stored` for each verified piece stored (its
 * bytes: what the bridge counts, so a page that leaves mid-asset has counted what is stored), one
 * `prefetched` per key asked, in order (`bytes`: that asset's total; `complete`: every piece of
 * the asset is stored now), then `prefetch-done`.
 */
export type PrefetchReply =
  | { pc: 'prefetch-stored'; hash: string; bytes: number }
  | { pc: 'prefetched'; key: string; hash: string | null; bytes: number; complete: boolean }
  | { pc: 'prefetch-done' };

export function decodePrefetchReply(m: unknown): Result<PrefetchReply> {
  if (!isRecord(m)) return fail('not an object');
  if (m.pc === 'prefetch-done') return ok({ pc: 'prefetch-done' });
  if (m.pc === 'prefetch-stored') {
    return isHash(m.hash) && isIndex(m.bytes)
      ? ok({ pc: 'prefetch-stored', hash: m.hash, bytes: m.bytes })
      : fail('prefetch-stored: bad fields');
  }
  if (m.pc !== 'prefetched' || typeof m.key !== 'string' || !isIndex(m.bytes) || typeof m.complete !== 'boolean') {
    return fail('prefetched: bad fields');
  }
  if (m.hash !== null && !isHash(m.hash)) return fail('prefetched: bad hash');
  return ok({ pc: 'prefetched', key: m.key, hash: m.hash, bytes: m.bytes, complete: m.complete });
}

/**
 * Page → worker, from the build's inline page script at the top of `<head>` (before the page
 * requests anything it parses): this window is a page of build `build`. The worker holds a
 * navigated page's asset requests until it knows the page's build, and the bridge script (async,
 * at the end of `<head>`) is requested by Chromium only after the head's parser-blocking
 * scripts, which would wait for it: naming the build first ends that wait at once.
 */
export type PageNamed = { pc: 'page'; build: string };

export function decodeBridgeToWorker(m: unknown): Result<BridgeToWorker> {
  if (!isRecord(m)) return fail('unknown message');
  if (m.pc === 'page') return isBuildId(m.build) ? ok({ pc: 'page', build: m.build }) : fail('page: bad build');
  if (m.pc === 'prefetch') {
    const keys = m.keys;
    if (!Array.isArray(keys) || keys.length > MAX_PREFETCH_KEYS || !keys.every((k) => typeof k === 'string')) {
      return fail('prefetch: bad keys');
    }
    return ok({ pc: 'prefetch', keys: keys as string[] });
  }
  if (m.pc === 'seed') {
    if (!Array.isArray(m.urls) || m.urls.length > MAX_SEED_URLS) return fail('seed: bad urls');
    if (!m.urls.every((u) => typeof u === 'string' && u.length <= MAX_SEED_URL_CHARS)) return fail('seed: bad url');
    return ok({ pc: 'seed', urls: m.urls as string[] });
  }
  if (m.pc !== 'hello') return fail('unknown message');
  if (m.p2p !== undefined && typeof m.p2p !== 'boolean') return fail('hello: bad p2p');
  const p2p = m.p2p ?? true;
  if (m.passThrough !== undefined && typeof m.passThrough !== 'boolean') return fail('hello: bad passThrough');
  const extra = m.passThrough === true ? { passThrough: true } : {};
  if (m.build === undefined || m.build === null) return ok({ pc: 'hello', build: null, p2p, ...extra });
  return isBuildId(m.build) ? ok({ pc: 'hello', build: m.build, p2p, ...extra }) : fail('hello: bad build');
}

/**
 * `piece.peerId` values that are not peers: a torrent piece WebTorrent took from the web seed
 * (the origin's own file) or found already stored in this browser. The worker counts their bytes
 * as origin and cache bytes, and never reports them as bad peers.
 */
export const WEB_SEED_PEER_ID = 'web-seed';
export const STORED_PEER_ID = 'stored';

/** Bridge → worker, on the fetch's MessagePort. `piece.data` is transferred, not copied. */
export type BridgeReply =
  /** `rank`: visitors that were fetching the asset before this one, when none held it whole (a crowd: sw/hedge-policy.ts crowdFirstMs). */
  | { pc: 'accepted'; peers: number; rank?: number }
  | { pc: 'no-peers'; reason: string }
  | { pc: 'piece'; index: number; data: ArrayBuffer; peerId: string }
  | { pc: 'piece-failed'; index: number; reason: string };

/** Worker → bridge, on the fetch's MessagePort. */
export type WorkerFeedback = { pc: 'bad-piece'; index: number; peerId: string } | { pc: 'cancel' };

const isIndex = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0;
const isHash = (v: unknown): v is string => typeof v === 'string' && HASH_PATTERN.test(v);

export function decodeWorkerToBridge(m: unknown): Result<WorkerToBridge> {
  if (!isRecord(m)) return fail('not an object');
  switch (m.pc) {
    case 'fetch':
      if (!isHash(m.hash) || !isIndex(m.size) || !Array.isArray(m.pieces) || !m.pieces.every(isIndex)) {
        return fail('fetch: bad fields');
      }
      return ok({
        pc: 'fetch',
        hash: m.hash,
        size: m.size,
        pieces: m.pieces as number[],
        ...(m.peersOnly === true ? { peersOnly: true } : {}),
      });
    case 'stored':
      return isHash(m.hash) ? ok({ pc: 'stored', hash: m.hash }) : fail('stored: bad hash');
    case 'fetching':
      return isHash(m.hash) ? ok({ pc: 'fetching', hash: m.hash }) : fail('fetching: bad hash');
    case 'piece-stored':
      return isHash(m.hash) && isIndex(m.index)
        ? ok({ pc: 'piece-stored', hash: m.hash, index: m.index })
        : fail('piece-stored: bad fields');
    case 'lost':
      return Array.isArray(m.hashes) && m.hashes.every(isHash)
        ? ok({ pc: 'lost', hashes: m.hashes as string[] })
        : fail('lost: bad hashes');
    case 'hello?':
      return ok({ pc: 'hello?' });
    case 'welcome':
      return isBuildId(m.build) ? ok({ pc: 'welcome', build: m.build }) : fail('welcome: bad build');
    case 'served': {
      const b = m.bytes;
      if (typeof m.path !== 'string' || !isHash(m.hash) || !isRecord(b)) return fail('served: bad fields');
      if (!isIndex(b.peer) || !isIndex(b.origin) || !isIndex(b.cache)) return fail('served: bad bytes');
      if (typeof m.ms !== 'number' || !isIndex(m.status)) return fail('served: bad fields');
      return ok({
        pc: 'served',
        path: m.path,
        hash: m.hash,
        bytes: { peer: b.peer, origin: b.origin, cache: b.cache },
        ms: m.ms,
        status: m.status,
      });
    }
    default:
      return fail('unknown message');
  }
}

export function decodeBridgeReply(m: unknown): Result<BridgeReply> {
  if (!isRecord(m)) return fail('not an object');
  switch (m.pc) {
    case 'accepted':
      if (!isIndex(m.peers)) return fail('accepted: bad peers');
      if (m.rank === undefined) return ok({ pc: 'accepted', peers: m.peers });
      return isIndex(m.rank) ? ok({ pc: 'accepted', peers: m.peers, rank: m.rank }) : fail('accepted: bad rank');
    case 'no-peers':
      return ok({ pc: 'no-peers', reason: String(m.reason).slice(0, 200) });
    case 'piece':
      if (!isIndex(m.index) || !(m.data instanceof ArrayBuffer) || typeof m.peerId !== 'string') return fail('piece: bad fields');
      return ok({ pc: 'piece', index: m.index, data: m.data, peerId: m.peerId });
    case 'piece-failed':
      return isIndex(m.index)
        ? ok({ pc: 'piece-failed', index: m.index, reason: String(m.reason).slice(0, 200) })
        : fail('piece-failed: bad index');
    default:
      return fail('unknown reply');
  }
}

export function decodeWorkerFeedback(m: unknown): Result<WorkerFeedback> {
  if (!isRecord(m)) return fail('not an object');
  if (m.pc === 'cancel') return ok({ pc: 'cancel' });
  if (m.pc === 'bad-piece' && isIndex(m.index) && typeof m.peerId === 'string') {
    return ok({ pc: 'bad-piece', index: m.index, peerId: m.peerId });
  }
  return fail('unknown feedback');
}
