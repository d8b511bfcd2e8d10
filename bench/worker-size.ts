/**
 * The worker's size (issue 14: "the worker's script a few tens of KB whatever the site's size"):
 * `peer-connect-sw.js` as the build writes it now (one `piecesRoot` per multi-piece asset, the
 * lists in `peer-connect-pieces/`), against the same build with every piece hash inlined (the
 * layout before, bench/worker-size/inlined-layout.ts), on the demo site, the large bench site and
 * a generated 3,000-file site. Raw and gzip bytes (what a first visitor downloads from a host
 * that compresses). Prints markdown on stdout.
 *   node --import tsx bench/worker-size.ts
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildSite } from '../build.ts';
import { bundleWorker } from '../builder/bundle.ts';
import { WORKER_FILE } from '../protocol/bridge-config.ts';
import { PIECE_STORE_QUOTA_BYTES } from '../protocol/limits.ts';
import type { WorkerManifest } from '../protocol/manifest.ts';
import { PIECE_LIST_DIR } from '../protocol/piece-list.ts';
import { pieceCount } from '../protocol/pieces.ts';
import { DEMO_SITE } from '../tests/e2e/harness/site.ts';
import { generateLargeSite } from './lib/sites/large-site.ts';
import { generateManyFilesSite, MANY_FILES } from './lib/sites/many-files-site.ts';
import { inlinedManifest } from './worker-size/inlined-layout.ts';

interface Row {
  site: string;
  assets: number;
  pieces: number;
  multiPiece: number;
  before: Buffer;
  after: Buffer;
  lists: { files: number; bytes: number; largest: number };
}

const kib = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;
const gz = (b: Buffer): number => gzipSync(b).length;

async function listFiles(outDir: string): Promise<Row['lists']> {
  const names = await readdir(join(outDir, PIECE_LIST_DIR)).catch(() => [] as string[]);
  const sizes = await Promise.all(names.map(async (n) => (await stat(join(outDir, PIECE_LIST_DIR, n))).size));
  return { files: names.length, bytes: sizes.reduce((a, b) => a + b, 0), largest: Math.max(0, ...sizes) };
}

async function measure(site: string, siteDir: string): Promise<Row> {
  const outDir = await mkdtemp(join(tmpdir(), 'pc-bench-worker-size-'));
  try {
    const { manifest } = await buildSite({ siteDir, outDir, signal: 'wss://signal.example/peer-connect/signal' });
    const after = await readFile(join(outDir, WORKER_FILE));
    const old = (await inlinedManifest(outDir, manifest)) as unknown as WorkerManifest;
    const before = Buffer.from(await bundleWorker(old, { storeQuotaBytes: PIECE_STORE_QUOTA_BYTES }, true));
    const assets = Object.values(manifest.assets);
    return {
      site,
      assets: assets.length,
      pieces: assets.reduce((n, a) => n + pieceCount(a.size, manifest.pieceSize), 0),
      multiPiece: assets.filter((a) => a.piecesRoot).length,
      before,
      after,
      lists: await listFiles(outDir),
    };
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

const rows: Row[] = [];
rows.push(await measure('demo site (demo/site)', DEMO_SITE));
const large = await generateLargeSite();
try {
  rows.push(await measure(`large bench site (${large.files} JPEGs, ${(large.bytes / 2 ** 20).toFixed(0)} MB)`, large.dir));
} finally {
  await large.close();
}
const many = await generateManyFilesSite();
try {
  rows.push(await measure(`generated site (${MANY_FILES.toLocaleString('en')} files, ${(many.bytes / 2 ** 20).toFixed(0)} MB)`, many.dir));
} finally {
  await many.close();
}

const out = [
  '## Worker size: piece-hash lists out of `peer-connect-sw.js`',
  '',
  'The worker a first visitor downloads before it can install, and again after each deploy. "Inlined" is the',
  'layout before issue 14 (every 64 KiB piece\'s SHA-256 in the manifest), rebuilt from the same build; "now" is',
  'what the build writes: one `piecesRoot` per multi-piece asset, each list a file of 32 B a piece in',
  "`peer-connect-pieces/`, fetched by the worker on that asset's first request.",
  '',
  '| site | assets (multi-piece) | pieces | worker, inlined: raw / gzip | worker now: raw / gzip | now / inlined (raw) | lists: files, total, largest |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.site} | ${r.assets} (${r.multiPiece}) | ${r.pieces} | ${kib(r.before.length)} / ${kib(gz(r.before))} | ${kib(r.after.length)} / ${kib(gz(r.after))} | ${(r.after.length / r.before.length).toFixed(2)} | ${r.lists.files}, ${kib(r.lists.bytes)}, ${kib(r.lists.largest)} |`,
  ),
  '',
  'What is left grows with the file count, not with file sizes: each asset keeps its path, size, type and',
  'SHA-256 (and its list root when it has more than one piece) inlined, about 150–250 B of JSON an asset. A',
  '2 GiB video now costs the worker one root (~80 B) instead of ~2.2 MB of piece hashes; its list (1 MiB) is',
  'fetched only by a visitor who plays it.',
];
console.log(out.join('\n'));
