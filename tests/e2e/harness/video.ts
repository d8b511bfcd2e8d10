/**
 * Playing a <video> in a visitor's page the way a viewer does (play, seek, play to the end) and
 * reading what happened, plus the bridge's WebTorrent counters and its torrent store.
 */
import type { Page } from 'playwright-core';
import type { TorrentClientStats } from '../../../page-bridge/torrent/api.ts';
import { TORRENT_CHUNK_TAG, TORRENT_DB_NAME, TORRENT_STORE_NAME } from '../../../protocol/store-keys.ts';

export interface Playback {
  /** From play() to the first frame that could be shown (`canplay`), in ms. */
  /** A first frame came (`canplay`) before the hang guard. */
  firstFrame: boolean;
  firstFrameMs: number;
  duration: number;
  /** The seek (to the middle) completed and playback went on from there. */
  seeked: boolean;
  timeAfterSeek: number;
  ended: boolean;
  error: string | null;
}

/** Plays the page's first <video>: waits for a first frame, seeks to the middle, plays to the end. */
/** `endMs` guards each step against a hang; it is no speed limit (steps take < 1 s here). */
export function playVideo(page: Page, endMs = 45_000): Promise<Playback> {
  return page.evaluate(async (limit: number) => {
    const video = document.querySelector('video');
    if (!video) throw new Error('no <video> on the page');
    const within = <T>(p: Promise<T>, ms: number, fallback: T): Promise<T> =>
      Promise.race([p, new Promise<T>((r) => setTimeout(() => r(fallback), ms))]);
    const once = (name: string): Promise<boolean> => new Promise((r) => video.addEventListener(name, () => r(true), { once: true }));
    video.muted = true;
    const started = performance.now();
    const canPlay = video.readyState >= 3 ? Promise.resolve(true) : once('canplay');
    await video.play();
    const firstFrame = await within(canPlay, limit, false);
    const firstFrameMs = performance.now() - started;
    const middle = video.duration / 2;
    const seekedEvent = once('seeked');
    video.currentTime = middle;
    const seeked = await within(seekedEvent, limit, false);
    await within(once('timeupdate'), limit, false);
    const timeAfterSeek = video.currentTime;
    const ended = video.ended || (await within(once('ended'), limit, false));
    return {
      firstFrame,
      firstFrameMs,
      duration: video.duration,
      seeked: seeked && timeAfterSeek >= middle,
      timeAfterSeek,
      ended,
      error: video.error?.message ?? null,
    };
  }, endMs);
}

export function torrentStats(page: Page): Promise<TorrentClientStats | null> {
  return page.evaluate(
    () => (window as Window & { peerConnect?: { torrentStats(): TorrentClientStats | null } }).peerConnect?.torrentStats() ?? null,
  );
}

/** Chunks in the bridge's torrent store: per info hash, the chunk indexes and their bytes. */
export function storedChunks(page: Page): Promise<Record<string, { indexes: number[]; bytes: number }>> {
  return page.evaluate(
    async ([db, storeName, chunkTag]: [string, string, string]) => {
      const open = indexedDB.open(db);
      const database: IDBDatabase = await new Promise((res, rej) => {
        open.onsuccess = () => res(open.result);
        open.onerror = () => rej(open.error);
      });
      const out: Record<string, { indexes: number[]; bytes: number }> = {};
      if (!database.objectStoreNames.contains(storeName)) return out;
      const tx = database.transaction(storeName, 'readonly');
      const store = tx.objectStore(storeName);
      const keys: IDBValidKey[] = await new Promise((res, rej) => {
        const r = store.getAllKeys();
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      for (const key of keys) {
        if (!Array.isArray(key) || key.length !== 3 || key[0] !== chunkTag) continue;
        const value: unknown = await new Promise((res, rej) => {
          const r = store.get(key);
          r.onsuccess = () => res(r.result);
          r.onerror = () => rej(r.error);
        });
        const bytes = value instanceof ArrayBuffer ? value.byteLength : ArrayBuffer.isView(value) ? value.byteLength : 0;
        const entry = (out[String(key[1])] ??= { indexes: [], bytes: 0 });
        entry.indexes.push(Number(key[2]));
        entry.bytes += bytes;
      }
      database.close();
      for (const e of Object.values(out)) e.indexes.sort((a, b) => a - b);
      return out;
    },
    [TORRENT_DB_NAME, TORRENT_STORE_NAME, TORRENT_CHUNK_TAG] as [string, string, string],
  );
}
