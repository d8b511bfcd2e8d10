/**
 * The torrent chunk store's LRU: protocol/byte-lru.ts with one entry per chunk.
 *
 * Granularity is the chunk, not the torrent: a viewer who watched the first minute of a long
 * video keeps seeding that minute, and a torrent larger than the quota still works (its oldest
 * chunks go first). Torrents open in this tab are pinned: their chunks are evicted only when
 * the quota cannot be met from closed torrents, because WebTorrent believes a verified piece
 * stays in the store (see IdbChunkStoreOptions.onEvict for what happens then).
 */
import { ByteLru, type LruEntry, type LruGuard } from '../../protocol/byte-lru.ts';

export interface ChunkId {
  torrent: string;
  index: number;
}

export type ChunkUse = LruEntry<ChunkId>;
export type ChunkLru = ByteLru<ChunkId>;
/** Pinned: the chunk's torrent is open in this tab. Busy: see TorrentSpace.acquire. */
export type EvictionGuard = LruGuard<ChunkId>;

// The index is a number (no newline), so the text after the last newline is always the index.
export const chunkKey = (c: ChunkId): string => `${c.torrent}\n${c.index}`;

export const newChunkLru = (entries: Iterable<ChunkUse> = []): ChunkLru => new ByteLru<ChunkId>(chunkKey, entries);
