/**
 * The chunk store's IndexedDB transactions, through an idb-keyval UseStore (one database of its
 * own, see protocol/store-keys.ts). A chunk and its use record are written and deleted in one
 * transaction, so after any crash every chunk has a record and the quota counts every byte.
 */
import { promisifyRequest, type UseStore } from 'idb-keyval';
import {
  parseStoredUse,
  type StoredChunkUse,
  TORRENT_CHUNK_TAG,
  TORRENT_USE_TAG,
  torrentChunkKey,
  torrentUseKey,
} from '../../protocol/store-keys.ts';
import type { ChunkUse } from './lru.ts';

// Arrays sort after every string and number, so [tag] .. [tag, []] spans all keys of a tag, and
// [tag, id] .. [tag, id, []] all chunks of one torrent.
const tagRange = (tag: string): IDBKeyRange => IDBKeyRange.bound([tag], [tag, []]);
const torrentRange = (tag: string, id: string): IDBKeyRange => IDBKeyRange.bound([tag, id], [tag, id, []]);

function parseKey(key: IDBValidKey, tag: string): { torrent: string; index: number } | null {
  if (!Array.isArray(key) || key.length !== 3) return null;
  const [t, torrent, index] = key as unknown[];
  if (t !== tag || typeof torrent !== 'string' || typeof index !== 'number' || !Number.isInteger(index) || index < 0) return null;
  return { torrent, index };
}

/**
 * Every chunk's use record, for the LRU. Reads keys and small records only, never chunk bytes.
 * Records without a chunk, chunks without a record and malformed entries are deleted (left by
 * an older layout or by the batched use writes racing an eviction).
 */
export async function loadUses(db: UseStore): Promise<ChunkUse[]> {
  const { chunkKeys, useKeys, useValues } = await db('readonly', async (store) => {
    const [chunkKeys, useKeys, useValues] = await Promise.all([
      promisifyRequest(store.getAllKeys(tagRange(TORRENT_CHUNK_TAG))),
      promisifyRequest(store.getAllKeys(tagRange(TORRENT_USE_TAG))),
      promisifyRequest(store.getAll(tagRange(TORRENT_USE_TAG))),
    ]);
    return { chunkKeys, useKeys, useValues: useValues as unknown[] };
  });
  const chunks = new Set<string>();
  const stray: IDBValidKey[] = [];
  for (const key of chunkKeys) {
    const id = parseKey(key, TORRENT_CHUNK_TAG);
    if (id) chunks.add(JSON.stringify([id.torrent, id.index]));
    else stray.push(key);
  }
  const uses: ChunkUse[] = [];
  useKeys.forEach((key, i) => {
    const id = parseKey(key, TORRENT_USE_TAG);
    const use = parseStoredUse(useValues[i]);
    const chunk = id && JSON.stringify([id.torrent, id.index]);
    if (id && use && chunk && chunks.delete(chunk)) uses.push({ ...id, ...use });
    else stray.push(key);
  });
  for (const chunk of chunks) {
    const [torrent, index] = JSON.parse(chunk) as [string, number];
    stray.push(torrentChunkKey(torrent, index));
  }
  if (stray.length > 0) {
    // Cleanup only: a failure leaves strays for the next load and must not fail this one.
    await db('readwrite', (store) => {
      for (const key of stray) store.delete(key);
      return promisifyRequest(store.transaction);
    }).catch(() => undefined);
  }
  return uses;
}

export async function readChunk(db: UseStore, torrent: string, index: number): Promise<ArrayBuffer | undefined> {
  const value = await db('readonly', (store) => promisifyRequest(store.get(torrentChunkKey(torrent, index))));
  return value instanceof ArrayBuffer ? value : undefined;
}

/** Store a chunk with its use record and delete the victims, all or nothing. */
export async function writeChunk(db: UseStore, use: ChunkUse, bytes: ArrayBuffer, victims: readonly ChunkUse[]): Promise<void> {
  const record: StoredChunkUse = { bytes: use.bytes, lastUse: use.lastUse };
  await db('readwrite', (store) => {
    for (const v of victims) {
      store.delete(torrentChunkKey(v.torrent, v.index));
      store.delete(torrentUseKey(v.torrent, v.index));
    }
    store.put(bytes, torrentChunkKey(use.torrent, use.index));
    store.put(record, torrentUseKey(use.torrent, use.index));
    return promisifyRequest(store.transaction);
  });
}

/** Delete evicted chunks with their use records. */
export async function deleteChunks(db: UseStore, victims: readonly ChunkUse[]): Promise<void> {
  await db('readwrite', (store) => {
    for (const v of victims) {
      store.delete(torrentChunkKey(v.torrent, v.index));
      store.delete(torrentUseKey(v.torrent, v.index));
    }
    return promisifyRequest(store.transaction);
  });
}

/** Persist batched reads' new lastUse. */
export async function writeUses(db: UseStore, uses: readonly ChunkUse[]): Promise<void> {
  await db('readwrite', (store) => {
    for (const u of uses) {
      const record: StoredChunkUse = { bytes: u.bytes, lastUse: u.lastUse };
      store.put(record, torrentUseKey(u.torrent, u.index));
    }
    return promisifyRequest(store.transaction);
  });
}

export async function deleteTorrent(db: UseStore, torrent: string): Promise<void> {
  await db('readwrite', (store) => {
    store.delete(torrentRange(TORRENT_CHUNK_TAG, torrent));
    store.delete(torrentRange(TORRENT_USE_TAG, torrent));
    return promisifyRequest(store.transaction);
  });
}

/** Info hashes with at least one stored chunk (keys only, no bytes read). */
export async function storedTorrentIds(db: UseStore): Promise<Set<string>> {
  const keys = await db('readonly', (store) => promisifyRequest(store.getAllKeys(tagRange(TORRENT_USE_TAG))));
  const ids = new Set<string>();
  for (const key of keys) {
    const id = parseKey(key, TORRENT_USE_TAG);
    if (id) ids.add(id.torrent);
  }
  return ids;
}
