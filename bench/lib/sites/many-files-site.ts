/**
 * A site of many files, for what grows with a site's file count (the worker's manifest): 3,000
 * files in 30 folders, sizes log-uniform from 1 KiB to 384 KiB (most are one piece, a third are
 * 2–6 pieces: a site of thumbnails, icons, photos, scripts and styles), random bytes so every
 * piece hash differs, and one page. Seeded: the same site in every run (~190 MB).
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { GeneratedSite } from './large-site.ts';
import { seededRandom } from './seeded-random.ts';

export const MANY_FILES = 3_000;
const FOLDERS = 30;
const MIN_BYTES = 1024;
const MAX_BYTES = 384 * 1024;

/** Bytes from a seeded xorshift stream: different per file, the same in every run. */
function fill(size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i + 4 <= size; i += 4) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out.writeUInt32LE(x >>> 0, i);
  }
  for (let i = size - (size % 4); i < size; i++) out[i] = i & 0xff;
  return out;
}

export async function generateManyFilesSite(count = MANY_FILES): Promise<GeneratedSite> {
  const dir = await mkdtemp(join(tmpdir(), 'pc-bench-many-files-'));
  try {
    const random = seededRandom(0x3000);
    let bytes = 0;
    const links: string[] = [];
    for (let f = 0; f < FOLDERS; f++) await mkdir(join(dir, 'files', `f${f}`), { recursive: true });
    for (let i = 0; i < count; i++) {
      const size = Math.round(MIN_BYTES * (MAX_BYTES / MIN_BYTES) ** random());
      const path = `files/f${i % FOLDERS}/file-${i}.bin`;
      await writeFile(join(dir, path), fill(size, i + 1));
      bytes += size;
      if (i < 50) links.push(`<a href="${path}">${path}</a>`);
    }
    await writeFile(join(dir, 'index.html'), `<!doctype html><title>many files</title><body>${links.join('\n')}</body>\n`);
    return { dir, bytes, files: count, close: () => rm(dir, { recursive: true, force: true }) };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
