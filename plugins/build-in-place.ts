/**
 * The one build all three plugins run: `buildSite` on a framework's output folder, leaving the
 * PeerConnect build in that same folder. `buildSite` never writes into its input (it empties its
 * output first: builder/check-out-dir.ts), so the build goes to a hidden sibling folder (same
 * parent, so the same filesystem and `rename` is a move, not a copy), which then takes the
 * folder's place. A failed build leaves the framework's output exactly as it was and no sibling
 * behind, and the error goes up to fail the framework's build.
 */
import { randomBytes } from 'node:crypto';
import { readdir, realpath, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, parse, relative, resolve } from 'node:path';
import { type BuildOptions, type BuildResult, buildSite } from '../build.ts';
import { isInside } from '../builder/check-out-dir.ts';
import { diskOutDirView } from '../builder/out-dir.ts';
import { VCS_NAMES } from '../builder/walk-site.ts';

/** What the swap touches, so a test can fail each step. */
export interface InPlaceDeps {
  build(options: BuildOptions): Promise<BuildResult>;
  rename(from: string, to: string): Promise<void>;
}

const realDeps: InPlaceDeps = { build: buildSite, rename };

/**
 * Builds `dir` (a framework's output folder; symlinks resolved) into itself, after checking that
 * the swap loses nothing: refused when `dir` is a filesystem root or contains `project` (the
 * framework's project folder: an output folder set to `.` would otherwise replace the project
 * with a copy of it) or the working folder, and when it holds what the build does not copy
 * (builder/walk-site.ts: version control such as a `gh-pages` worktree's `.git`, symlinks, other
 * non-files), which the swap would delete. Steps: build into
 * `.<name>.peer-connect-<random>` beside it; rename `dir` to `.<name>.peer-connect-old-<random>`;
 * rename the build to `dir`; delete the old one. Two renames, not one atomic exchange (Node has no
 * `renameat2(RENAME_EXCHANGE)`): between them `dir` is absent for an instant, and if the second
 * rename fails the first is undone. Throws the build's error unchanged, or a rename's.
 */
export async function buildInPlace(
  dir: string,
  project: string,
  options: Omit<BuildOptions, 'siteDir' | 'outDir'>,
  deps: InPlaceDeps = realDeps,
): Promise<BuildResult> {
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory()) throw new Error(`the output folder ${dir} does not exist: nothing was built there`);
  const site = await realpath(dir);
  const refusal = await inPlaceRefusal(site, [diskOutDirView.realPath(resolve(project)), process.cwd()]);
  if (refusal) throw new Error(refusal);
  const sibling = (what: string): string => join(dirname(site), `.${basename(site)}.peer-connect-${what}${randomBytes(4).toString('hex')}`);
  const staging = sibling('');
  let result: BuildResult;
  try {
    result = await deps.build({ ...options, siteDir: site, outDir: staging });
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  const old = sibling('old-');
  try {
    await deps.rename(site, old);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  try {
    await deps.rename(staging, site);
  } catch (error) {
    await deps.rename(old, site);
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
  await rm(old, { recursive: true, force: true });
  return result;
}

/** Why `site` (a real path) may not be built in place, or null. At most 5 dropped entries are named. */
async function inPlaceRefusal(site: string, projects: string[]): Promise<string | null> {
  if (parse(site).root === site)
    return `the output folder ${site} is the root of a filesystem: set the framework's output folder to a folder of its own`;
  for (const project of projects) {
    if (isInside(project, site)) {
      return `the output folder ${site} contains the project ${project}: building it in place would replace the project. Set the framework's output folder to a folder of its own (e.g. dist)`;
    }
  }
  const dropped = await uncopied(site, site, 5);
  if (dropped.length === 0) return null;
  return (
    `the output folder ${site} holds ${dropped.map((p) => JSON.stringify(p)).join(', ')}, which the build does not copy ` +
    '(version control, symlinks, other non-files), so building it in place would delete them. ' +
    'Move them out of the output folder, or run `peer-connect build <output> --out <another folder>` instead'
  );
}

/** Up to `max` entries under `dir` that the build's walk leaves out, relative to `root`. */
async function uncopied(root: string, dir: string, max: number): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (found.length >= max) break;
    const path = join(dir, entry.name);
    if (VCS_NAMES.has(entry.name) || !(entry.isFile() || entry.isDirectory())) found.push(relative(root, path));
    else if (entry.isDirectory()) found.push(...(await uncopied(root, path, max - found.length)));
  }
  return found;
}
