/**
 * The one build all three plugins run: `buildSite` on a framework's output folder, leaving the
 * PeerConnect build in that same folder. `buildSite` never writes into its input (it empties its
 * output first: builder/check-out-dir.ts), so the build goes to a hidden sibling folder (same
 * parent, so the same filesystem and `rename` is a move, not a copy), which then takes the
 * folder's place. A failed build leaves the framework's output exactly as it was and no sibling
 * behind, and the error goes up to fail the framework's build.
 */
import { randomBytes } from 'node:crypto';
import { realpath, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { type BuildOptions, type BuildResult, buildSite } from '../build.ts';

/** What the swap touches, so a test can fail each step. */
export interface InPlaceDeps {
  build(options: BuildOptions): Promise<BuildResult>;
  rename(from: string, to: string): Promise<void>;
}

const realDeps: InPlaceDeps = { build: buildSite, rename };

/**
 * Builds `dir` (a framework's output folder; symlinks resolved) into itself. Steps: build into
 * `.<name>.peer-connect-<random>` beside it; rename `dir` to `.<name>.peer-connect-old-<random>`;
 * rename the build to `dir`; delete the old one. Two renames, not one atomic exchange (Node has no
 * `renameat2(RENAME_EXCHANGE)`): between them `dir` is absent for an instant, and if the second
 * rename fails the first is undone. Throws the build's error unchanged, or a rename's.
 */
export async function buildInPlace(
  dir: string,
  options: Omit<BuildOptions, 'siteDir' | 'outDir'>,
  deps: InPlaceDeps = realDeps,
): Promise<BuildResult> {
  const info = await stat(dir).catch(() => null);
  if (!info?.isDirectory()) throw new Error(`the output folder ${dir} does not exist: nothing was built there`);
  const site = await realpath(dir);
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
