/**
 * The filesystem side of `--out`: the real `OutDirView` that `checkOutDir` decides on, and
 * preparing the folder it allowed (emptied only when it is an earlier output, then marked).
 */
import { lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { BUILD_MARKER_FILE, buildMarkerText, type FolderState, isBuildMarker, type OutDirPlan, type OutDirView } from './check-out-dir.ts';

/** Synchronous, as the check is: a handful of stat calls before a build that reads every file anyway. */
export const diskOutDirView: OutDirView = { realPath: realExistingPath, state: folderState };

/** Resolves symlinks in the longest existing prefix of `path` (absolute) and appends the rest. */
function realExistingPath(path: string): string {
  const rest: string[] = [];
  let existing = path;
  for (;;) {
    try {
      return join(realpathSync.native(existing), ...rest.reverse());
    } catch {
      const parent = dirname(existing);
      // Nothing exists, not even the root (a drive that is not there): keep the path as written.
      if (parent === existing) return path;
      rest.push(basename(existing));
      existing = parent;
    }
  }
}

function folderState(path: string): FolderState {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return 'missing';
  if (!stat.isDirectory()) return 'not-a-folder';
  if (readdirSync(path).length === 0) return 'empty';
  const marker = join(path, BUILD_MARKER_FILE);
  const isFile = lstatSync(marker, { throwIfNoEntry: false })?.isFile() ?? false;
  return isFile && isBuildMarker(readFileSync(marker, 'utf8')) ? 'earlier-build' : 'other';
}

/**
 * Makes the output folder ready: created if missing, its contents removed when it is an earlier
 * output (the folder itself stays, so a symlink to it or its permissions survive), then marked
 * with this build's id at once, so a build that fails half-way still leaves a folder the next
 * build may empty.
 */
export async function prepareOutDir(plan: OutDirPlan, build: string): Promise<void> {
  await mkdir(plan.outDir, { recursive: true });
  if (plan.emptyFirst) {
    for (const entry of await readdir(plan.outDir)) await rm(join(plan.outDir, entry), { recursive: true, force: true });
  }
  await writeFile(join(plan.outDir, BUILD_MARKER_FILE), buildMarkerText(build));
}
