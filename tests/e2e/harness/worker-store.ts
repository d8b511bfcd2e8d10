/**
 * The worker's piece store read (or tampered with) from a page: counts, digests of stored pieces
 * against what a build's piece lists name, and turning a browser into a lying peer.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { Manifest } from '../../../protocol/manifest.ts';
import { PIECE_HASH_BYTES, pieceListPath } from '../../../protocol/piece-list.ts';
import { pieceCount } from '../../../protocol/pieces.ts';

/**
 * Turns a browser into a lying peer: flips one byte in the middle of every stored piece
 * (`p:<hash>:<i>` in the worker's IndexedDB). Same length, same keys: only hashing can catch it.
 * Returns how many pieces were corrupted.
 */
export async function corruptStoredPieces(page: Page): Promise<number> {
  return page.evaluate(async () => {
    // Opening a database that does not exist would create it empty and break the worker's store.
    const dbs = await indexedDB.databases();
    if (!dbs.some((d) => d.name === 'peer-connect')) throw new Error('no peer-connect database');
    const db = await new Promise<IDBDatabase>((res, rej) => {
      const r = indexedDB.open('peer-connect');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    try {
      return await new Promise<number>((res, rej) => {
        const tx = db.transaction('pieces', 'readwrite');
        const store = tx.objectStore('pieces');
        let n = 0;
        const req = store.openCursor();
        req.onsuccess = () => {
          const cur = req.result;
          if (!cur) return;
          if (typeof cur.key === 'string' && cur.key.startsWith('p:')) {
            const v: unknown = cur.value;
            let bytes: Uint8Array | null = null;
            if (v instanceof ArrayBuffer) bytes = new Uint8Array(v.slice(0));
            else if (ArrayBuffer.isView(v)) bytes = new Uint8Array(v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength));
            if (bytes && bytes.length > 0) {
              const mid = bytes.length >> 1;
              bytes[mid] = (bytes[mid] ?? 0) ^ 0xff;
              cur.update(v instanceof ArrayBuffer ? bytes.buffer : bytes);
              n++;
            }
          }
          cur.continue();
        };
        req.onerror = () => rej(req.error);
        tx.oncomplete = () => res(n);
        tx.onerror = () => rej(tx.error);
      });
    } finally {
      db.close();
    }
  });
}

/** Counts stored pieces and complete-asset records in the visitor's IndexedDB. */
export async function storedCounts(page: Page): Promise<{ pieces: number; assets: number }> {
  return page.evaluate(async () => {
    const dbs = await indexedDB.databases();
    if (!dbs.some((d) => d.name === 'peer-connect')) return { pieces: 0, assets: 0 };
    const db = await new Promise<IDBDatabase>((res, rej) => {
      const r = indexedDB.open('peer-connect');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    try {
      const keys = await new Promise<IDBValidKey[]>((res, rej) => {
        const r = db.transaction('pieces', 'readonly').objectStore('pieces').getAllKeys();
        r.onsuccess = () => res(r.result);
        r.onerror = () => rej(r.error);
      });
      const str = keys.filter((k): k is string => typeof k === 'string');
      return { pieces: str.filter((k) => k.startsWith('p:')).length, assets: str.filter((k) => k.startsWith('a:')).length };
    } finally {
      db.close();
    }
  });
}

/**
 * Every key in the visitor's piece store, with the SHA-256 of each stored piece's bytes
 * (`p:<hash>:<index>` → hex; `a:<hash>` and other records → ''). Computed in the page.
 */
export async function storedDigests(page: Page): Promise<Record<string, string>> {
  return page.evaluate(async () => {
    const dbs = await indexedDB.databases();
    if (!dbs.some((d) => d.name === 'peer-connect')) return {};
    const db = await new Promise<IDBDatabase>((res, rej) => {
      const r = indexedDB.open('peer-connect');
      r.onsuccess = () => res(r.result);
      r.onerror = () => rej(r.error);
    });
    try {
      const [keys, values] = await new Promise<[IDBValidKey[], unknown[]]>((res, rej) => {
        const store = db.transaction('pieces', 'readonly').objectStore('pieces');
        const k = store.getAllKeys();
        const v = store.getAll();
        v.onsuccess = () => res([k.result, v.result]);
        v.onerror = () => rej(v.error);
      });
      const out: Record<string, string> = {};
      for (const [i, key] of keys.entries()) {
        const value = values[i];
        const hex =
          value instanceof ArrayBuffer
            ? Array.from(new Uint8Array(await crypto.subtle.digest('SHA-256', value)), (b) => b.toString(16).padStart(2, '0')).join('')
            : '';
        out[String(key)] = hex;
      }
      return out;
    } finally {
      db.close();
    }
  });
}

/**
 * Each asset's piece hashes (by asset hash) as a build wrote them: its list file under `outDir`
 * (protocol/piece-list.ts), or its file hash for a one-piece asset. Read while that build is the
 * one in `outDir` (a redeploy replaces the lists).
 */
export async function readPieceHashes(outDir: string, manifest: Manifest): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const a of Object.values(manifest.assets)) {
    const count = pieceCount(a.size, manifest.pieceSize);
    if (count <= 1) {
      out.set(a.hash, count === 1 ? [a.hash] : []);
      continue;
    }
    const bytes = await readFile(join(outDir, pieceListPath(a.piecesRoot ?? '')));
    out.set(
      a.hash,
      Array.from({ length: count }, (_, i) => bytes.subarray(i * PIECE_HASH_BYTES, (i + 1) * PIECE_HASH_BYTES).toString('hex')),
    );
  }
  return out;
}

/** Stored pieces whose bytes are not the piece the given builds' lists (readPieceHashes) name under that key. */
export function wrongStoredPieces(digests: Record<string, string>, builds: ReadonlyArray<Map<string, string[]>>): string[] {
  const expected = new Map<string, string>();
  for (const hashes of builds)
    for (const [hash, pieces] of hashes) for (const [i, h] of pieces.entries()) expected.set(`p:${hash}:${i}`, h);
  return Object.entries(digests)
    .filter(([key, digest]) => key.startsWith('p:') && expected.get(key) !== digest)
    .map(([key]) => key);
}
