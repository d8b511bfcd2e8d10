/** Byte-for-byte checks: what a page got through the worker against the file on disk. */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { urlPathFor } from '../../../protocol/manifest.ts';
import type { TestSite } from './site.ts';

const diskHashes = new Map<string, string>();

/** Forgets the remembered file hashes: a redeploy replaces the files under the same paths. */
export const forgetDiskHashes = (): void => diskHashes.clear();

export async function diskSha256(site: TestSite, key: string): Promise<string> {
  const file = join(site.outDir, key);
  const cached = diskHashes.get(file);
  if (cached) return cached;
  const h = createHash('sha256')
    .update(await readFile(file))
    .digest('hex');
  diskHashes.set(file, h);
  return h;
}

export interface AssetCheck {
  key: string;
  status: number;
  /** `x-peer-connect-source`, or null if the response did not come from our worker. */
  source: string | null;
  bytes: number;
  sha256: string;
  expected: string;
  ok: boolean;
}

/**
 * Fetches each asset from inside the page (so through the worker, exactly as the page's own
 * requests go), hashes it there, and compares with the file on disk. Run it AFTER reading the
 * origin's counts: if the worker lacks a piece, this fetch may itself go to the origin.
 */
export async function checkAssets(page: Page, site: TestSite, keys: string[]): Promise<AssetCheck[]> {
  const got = await page.evaluate(
    async (paths: string[]) => {
      const hex = (b: ArrayBuffer): string => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, '0')).join('');
      const out: Array<{ status: number; source: string | null; bytes: number; sha256: string }> = [];
      for (const p of paths) {
        try {
          const r = await fetch(p);
          const body = await r.arrayBuffer();
          out.push({
            status: r.status,
            source: r.headers.get('x-peer-connect-source'),
            bytes: body.byteLength,
            sha256: hex(await crypto.subtle.digest('SHA-256', body)),
          });
        } catch (e) {
          out.push({ status: 0, source: `fetch failed: ${String(e)}`, bytes: 0, sha256: '' });
        }
      }
      return out;
    },
    keys.map((k) => `/${urlPathFor(k)}`),
  );
  const checks: AssetCheck[] = [];
  for (const [i, key] of keys.entries()) {
    const g = got[i];
    const expected = await diskSha256(site, key);
    if (!g) throw new Error(`no result for ${key}`);
    checks.push({ key, ...g, expected, ok: g.status === 200 && g.sha256 === expected && g.sha256 === site.manifest.assets[key]?.hash });
  }
  return checks;
}

export const describeBad = (checks: AssetCheck[]): string =>
  JSON.stringify(
    checks
      .filter((c) => !c.ok)
      .map(({ key, status, source, bytes, sha256, expected }) => ({
        key,
        status,
        source,
        bytes,
        got: sha256.slice(0, 12),
        want: expected.slice(0, 12),
      })),
  );

/** What the page read for one path: status, SHA-256 of the whole body, the worker's `x-peer-connect-source`. */
export interface FetchedBody {
  path: string;
  status: number;
  /** SHA-256 (hex) of the body the page read. */
  digest: string;
  source: string | null;
}

/** Fetches each path from the page (through its worker when it answers), reading each body whole. */
export const fetchAll = (page: Page, paths: string[]): Promise<FetchedBody[]> =>
  page.evaluate(async (list) => {
    const out: FetchedBody[] = [];
    for (const path of list) {
      const response = await fetch(path);
      const body = new Uint8Array(await response.arrayBuffer());
      const digest = [...new Uint8Array(await crypto.subtle.digest('SHA-256', body))].map((b) => b.toString(16).padStart(2, '0')).join('');
      out.push({ path, status: response.status, digest, source: response.headers.get('x-peer-connect-source') });
    }
    return out;
  }, paths);
