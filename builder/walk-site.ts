import { lstat, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

export interface SiteFile {
  /** Path relative to the site root, with `/` separators, decoded (as on disk). */
  path: string;
  absolute: string;
  size: number;
}

/** Version control folders (or, for git worktrees and submodules, files): never part of a site. */
export const VCS_NAMES: ReadonlySet<string> = new Set(['.git', '.hg', '.svn']);

/**
 * Lists a site's files: every regular file, hidden ones included (`.htaccess`, `.htpasswd` and
 * `.nojekyll` change how the host serves the site, so the output must keep them; which files
 * peers may serve is decided elsewhere), except version control. Symlinks are skipped so a build
 * never reads outside the site folder. Sorted, so builds are reproducible.
 */
export async function walkSite(root: string): Promise<SiteFile[]> {
  const out: SiteFile[] = [];
  async function visit(dir: string): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true });
    for (const entry of entries) {
      if (VCS_NAMES.has(entry.name)) continue;
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
