import { readdir, lstat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

export interface SiteFile {
  /** Path relative to the site root, with `/` separators, decoded (as on disk). */
  path: string;
  absolute: string;
  size: number;
}

/**
 * Lists a site's files. Hidden files and folders (`.git`, `.DS_Store`) are skipped, except
 * `.well-known`, which static hosts serve; symlinks are skipped so a build never reads outside
 * the site folder. Sorted, so builds are reproducible.
 */
export async function walkSite(root: string): Promise<SiteFile[]> {
  const out: SiteFile[] = [];
  async function visit(dir: string): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      if (entry.name.startsWith('.') && entry.name !== '.well-known') continue;
      const absolute = join(dir, entry.name);
      if (entry.isDirectory()) await visit(absolute);
      else if (entry.isFile()) {
        const stat = await lstat(absolute);
        out.push({ path: relative(root, absolute).split(sep).join('/'), absolute, size: stat.size });
      }
    }
  }
  await visit(root);
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
