/** Helpers the build's test files share: temp sites, and the markup the build inserts. */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before } from 'node:test';
import { type BuildResult, buildSite } from '../../build.ts';

export const WRAP_OPEN = '<noscript data-peer-connect>';
export const WRAP_CLOSE = '</noscript>';
export const scriptTag = (src: string): string => `<script src="${src}" async fetchpriority="high"></script>`;
/** The build's inline page script (builder/page-script.ts; its text holds no `<`). */
export const PAGE_SCRIPT = /<script data-peer-connect-page(?: nonce="[^"]*")?>[^<]*<\/script>/g;
/** `html` without the page script, which must be there exactly once. */
export function withoutPageScript(html: string): string {
  assert.equal(html.match(PAGE_SCRIPT)?.length ?? 0, 1, 'exactly one page script');
  return html.replace(PAGE_SCRIPT, '');
}

/** Writes `files` (site-relative path → content) under `dir`, making folders as needed. */
export async function writeFiles(dir: string, files: Iterable<[string, string | Buffer]>): Promise<void> {
  for (const [path, data] of files) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), data);
  }
}

/** A site in a temp folder, written before a suite's tests and removed after (see `tempSite`). */
export interface TempSite {
  root: string;
  siteDir: string;
}

/** Inside a describe: writes `files` (then runs `extra`) to `<temp>/site` before the tests; removes the temp folder after. */
export function tempSite(files: Iterable<[string, string | Buffer]>, extra?: (siteDir: string) => Promise<void>): TempSite {
  const site: TempSite = { root: '', siteDir: '' };
  before(async () => {
    site.root = await mkdtemp(join(tmpdir(), 'pc-build-'));
    site.siteDir = join(site.root, 'site');
    await writeFiles(site.siteDir, files);
    await extra?.(site.siteDir);
  });
  after(async () => {
    if (site.root) await rm(site.root, { recursive: true, force: true });
  });
  return site;
}

/** `tempSite`, built with default options into `out` once before the tests. */
export function builtSite(
  files: Iterable<[string, string | Buffer]>,
  extra?: (siteDir: string) => Promise<void>,
): TempSite & { out: string; result: () => BuildResult } {
  let result: BuildResult | null = null;
  const site = Object.assign(tempSite(files, extra), {
    out: '',
    result: (): BuildResult => result ?? assert.fail('the site was not built'),
  });
  before(async () => {
    site.out = join(site.root, 'out');
    result = await buildSite({ siteDir: site.siteDir, outDir: site.out, firstVisit: 'swap' });
  });
  return site;
}

/**
 * What a build publishes about its assets, as text: the worker script and the asset table file
 * (protocol/asset-table.ts), which together hold everything the worker knows of them. A name
 * kept out of the swarm must be in neither.
 */
export async function publishedAssetText(outDir: string): Promise<string> {
  const { readFile, readdir } = await import('node:fs/promises');
  const { WORKER_FILE } = await import('../../protocol/bridge-config.ts');
  const { ASSET_TABLE_DIR } = await import('../../protocol/asset-table.ts');
  const tables = await readdir(join(outDir, ASSET_TABLE_DIR));
  assert.equal(tables.length, 1, 'one asset table');
  return (await readFile(join(outDir, WORKER_FILE), 'utf8')) + (await readFile(join(outDir, ASSET_TABLE_DIR, tables[0]!), 'utf8'));
}
