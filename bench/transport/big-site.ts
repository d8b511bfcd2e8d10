/**
 * A site made at bench time for the transport benchmark: one HTML page and a few large files of
 * random bytes (so every piece hash differs and nothing compresses), plus a small warm-up file
 * that opens the peer link before anything is timed, and a small file to fetch with a query
 * string (which the worker must pass through untouched).
 */
import { randomFillSync } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface BigFile {
  key: string;
  size: number;
}

const MiB = 1024 * 1024;
export const WARM_FILE: BigFile = { key: 'data/warm.bin', size: 256 * 1024 };
export const SMALL_FILE: BigFile = { key: 'data/small.json', size: 20 * 1024 };
export const LARGE_FILES: readonly BigFile[] = [
  { key: 'data/a-4m.bin', size: 4 * MiB },
  { key: 'data/b-8m.bin', size: 8 * MiB },
  { key: 'data/c-16m.bin', size: 16 * MiB },
];

const HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Transport bench</title></head>
<body><h1>Transport bench</h1><p>Large files for peer throughput.</p></body></html>
`;

function randomBytes(size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  // randomFillSync takes at most 2 GiB, far above our sizes; one call per file.
  return randomFillSync(b);
}

export async function makeBigSite(): Promise<{ dir: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'pc-bench-big-'));
  await mkdir(join(dir, 'data'));
  await writeFile(join(dir, 'index.html'), HTML);
  await writeFile(join(dir, SMALL_FILE.key), JSON.stringify({ filler: 'x'.repeat(SMALL_FILE.size - 14) }));
  for (const f of [WARM_FILE, ...LARGE_FILES]) await writeFile(join(dir, f.key), randomBytes(f.size));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
