/**
 * Whether `--out` is safe to use. The build empties its output folder before writing, so a wrong
 * `--out` (`/`, the home folder, the site's parent) would delete files the build never wrote.
 * Pure: the filesystem is seen through `OutDirView`, so the rules are tested on fake paths and a
 * real root is never at stake in a test.
 */

import type { PlatformPath } from 'node:path';
import nodePath from 'node:path';
import { fail, isRecord, ok, parseJson, type Result } from '../protocol/result.ts';

/**
 * Written by every build at the root of its output (JSON `{"tool":"peer-connect","build":<id>}`).
 * A folder holding it is an earlier output, which a build may empty. It is never copied from a
 * site and never in the manifest.
 */
export const BUILD_MARKER_FILE = '.peer-connect-build';

export const buildMarkerText = (build: string): string => `${JSON.stringify({ tool: 'peer-connect', build })}\n`;

/** True for the text of a marker a build wrote (any build id). */
export function isBuildMarker(text: string): boolean {
  const parsed = parseJson(text);
  return parsed.ok && isRecord(parsed.value) && parsed.value.tool === 'peer-connect' && typeof parsed.value.build === 'string';
}

/** What is at a path, as far as the check cares. `earlier-build`: a folder holding our marker. */
export type FolderState = 'missing' | 'not-a-folder' | 'empty' | 'earlier-build' | 'other';

/** The filesystem as the check sees it. */
export interface OutDirView {
  /** The absolute path with every symlink in its existing part resolved; the part that does not exist yet is appended as is. */
  realPath(path: string): string;
  state(path: string): FolderState;
}

/** Where the build reads and writes (real paths), and whether the output folder must be emptied first. */
export interface OutDirPlan {
  siteDir: string;
  outDir: string;
  /** True when the folder is an earlier build's output: it is emptied before writing. */
  emptyFirst: boolean;
}

/**
 * The rules, in order: `out` must not be a filesystem root, the site folder, or a folder that
 * contains the site, compared both as written and as real paths (a symlink may lead to `/` or to
 * the site's parent); and it must be missing, empty, or an earlier build's output. A folder inside
 * the site is allowed: the walk skips it. `path` is `node:path` or one of its flavours (tests pass
 * `path.win32`); Windows paths compare case-insensitively.
 */
export function checkOutDir(site: string, out: string, view: OutDirView, path: PlatformPath = nodePath): Result<OutDirPlan> {
  const written = { site: path.resolve(site), out: path.resolve(out) };
  if (isRoot(written.out, path)) return fail(rootMessage(out, written.out));
  const real = { site: view.realPath(written.site), out: view.realPath(written.out) };
  if (isRoot(real.out, path)) return fail(rootMessage(out, real.out));
  const siteState = view.state(real.site);
  if (siteState === 'missing' || siteState === 'not-a-folder')
    return fail(`the site folder ${site} ${siteState === 'missing' ? 'does not exist' : 'is not a folder'}`);
  for (const pair of [written, real]) {
    if (isInside(pair.site, pair.out, path)) {
      return fail(
        samePath(pair.site, pair.out, path)
          ? `--out ${out} is the site folder itself: the build empties its output folder. Give a new folder, outside the site or inside it (e.g. --out ${path.join(site, 'dist')})`
          : `--out ${out} contains the site folder ${site}: emptying it would delete the site. Give a new folder, outside the site or inside it`,
      );
    }
  }
  const state = view.state(real.out);
  if (state === 'not-a-folder') return fail(`--out ${out} is a file, not a folder`);
  if (state === 'other') {
    return fail(
      `--out ${out} is a folder with files no peer-connect build wrote (it has no ${BUILD_MARKER_FILE}), and the build empties its output folder. ` +
        'Give a new or empty folder, or empty this one yourself first',
    );
  }
  return ok({ siteDir: real.site, outDir: real.out, emptyFirst: state === 'earlier-build' });
}

const rootMessage = (out: string, resolved: string): string =>
  `--out ${out} is ${resolved === out ? '' : `${resolved}, `}the root of a filesystem, and the build empties its output folder. Give a folder of its own (e.g. --out dist)`;

function isRoot(p: string, path: PlatformPath): boolean {
  return path.parse(p).root === p;
}

function samePath(a: string, b: string, path: PlatformPath): boolean {
  return path.relative(a, b) === '';
}

/** True when `child` is `parent` or lies under it (`/a/site-out` is not under `/a/site`). */
export function isInside(child: string, parent: string, path: PlatformPath = nodePath): boolean {
  const rel = path.relative(parent, child);
  return rel === '' || (rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel));
}
