/**
 * The worker's size (issue 14: "the worker's script a few tens of KB whatever the site's size"):
 * `peer-connect-sw.js` as the build writes it now (the assets in `peer-connect-assets/<root>.json`,
 * only their key set and the table's root inlined; piece lists in `peer-connect-pieces/`), against
 * the same build with the assets inlined (the layout before the asset table) and with every piece
 * hash inlined too (the layout before piece lists, bench/worker-size/inlined-layout.ts), on the
 * demo site, the large bench site and a generated 3,000-file site; and the asset table file. Raw
 * and gzip bytes (what a first visitor downloads from a host that compresses). Prints markdown.
 *   node --import tsx bench/worker-size.ts
 */
import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { buildSite } from '../build.ts';
import { bundleWorker } from '../builder/bundle.ts';
import { splitManifest } from '../builder/worker-manifest.ts';
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
  /** Every piece hash inlined (before piece lists). */
  before: Buffer;
  /** The assets inlined (before the asset table). */
  assetsInlined: Buffer;
  after: Buffer;
  table: Buffer;
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
    const { manifest, assetTable } = await buildSite({ siteDir, outDir, signal: 'wss://signal.example/peer-connect/signal' });
    const after = await readFile(join(outDir, WORKER_FILE));
    const table = await readFile(join(outDir, assetTable.path));
    const withAssets = { ...splitManifest(manifest).inlined, assets: manifest.assets };
    const assetsInlined = Buffer.from(await bundleWorker(withAssets, { storeQuotaBytes: PIECE_STORE_QUOTA_BYTES }, true));
    const old = (await inlinedManifest(outDir, manifest)) as unknown as WorkerManifest;
    const before = Buffer.from(await bundleWorker(old, { storeQuotaBytes: PIECE_STORE_QUOTA_BYTES }, true));
    const assets = Object.values(manifest.assets);
    return {
      site,
      assets: assets.length,
      pieces: assets.reduce((n, a) => n + pieceCount(a.size, manifest.pieceSize), 0),
      multiPiece: assets.filter((a) => a.piecesRoot).length,
      before,
      assetsInlined,
      after,
      table,
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

const both = (b: Buffer): string => `${kib(b.length)} / ${kib(gz(b))}`;
const out = [
  '## Worker size: the asset table and piece-hash lists out of `peer-connect-sw.js`',
  '',
  'The worker a first visitor downloads before it can install, and again after each deploy. "Pieces inlined" is',
  'the layout before piece lists (every 64 KiB piece\'s SHA-256 in the manifest); "assets inlined" the layout',
  'before the asset table (per asset its path, hash, size, type, list root in the script); both rebuilt from the',
  'same build with the same worker code. "Now" is what the build writes: the script inlines a 32-bit hash per',
  "asset path and the asset table's SHA-256; the table (`peer-connect-assets/<root>.json`) is fetched once at",
  "install; each list (`peer-connect-pieces/`) on that asset's first request.",
  '',
  '| site | assets (multi-piece) | pieces | worker, pieces inlined: raw / gzip | worker, assets inlined: raw / gzip | worker now: raw / gzip | now / assets inlined (raw) | asset table: raw / gzip | lists: files, total, largest |',
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.site} | ${r.assets} (${r.multiPiece}) | ${r.pieces} | ${both(r.before)} | ${both(r.assetsInlined)} | ${both(r.after)} | ${(r.after.length / r.assetsInlined.length).toFixed(2)} | ${both(r.table)} | ${r.lists.files}, ${kib(r.lists.bytes)}, ${kib(r.lists.largest)} |`,
  ),
  '',
  'What is left in the script grows by 4 B (about 5.3 B of base64) per asset: the key set. The table, ~150–250 B',
  'of JSON an asset, is one more request per visitor per deploy, made during install (a first visit held for',
  'the worker waits for it), and cached by the worker in IndexedDB for its restarts.',
];
console.log(out.join('\n'));
