/**
 * Keeping files out of the manifest. A file in the manifest can be fetched by anyone through
 * peers, and its name and size are public in the worker script, so a file the host protects must
 * not be there. Excluded files are still copied to the output and served by the origin, which
 * applies its own rules to them.
 */
import picomatch from 'picomatch';

/** Why a file is kept out of the manifest. */
export type ExclusionReason = { kind: 'option'; pattern: string };

export interface ExclusionRule {
  reason: ExclusionReason;
  /** `path`: site-relative, `/`-separated, decoded (a manifest key). */
  matches(path: string): boolean;
}

export interface ExcludedFile {
  path: string;
  reason: ExclusionReason;
}

/**
 * One rule per `--exclude` glob (picomatch, `dot: true`), relative to the site root: a leading
 * `/` or `./` is dropped, so `/members/**` and `members/**` are the same. A pattern that matches a
 * folder excludes everything under it (`members`, `members/`, `members/**` all keep the members
 * folder out); `*.pdf` is the root's PDFs, `**\/*.pdf` all of them.
 */
export function optionRules(patterns: readonly string[]): ExclusionRule[] {
  return patterns.map((raw) => {
    const pattern = raw.trim().replace(/^(\.?\/)+/, '').replace(/\/+$/, '');
    if (pattern === '') throw new Error(`--exclude ${JSON.stringify(raw)} is empty: give a glob relative to the site root, e.g. --exclude 'members/**'`);
    if (pattern.split('/').includes('..')) throw new Error(`--exclude ${raw} leaves the site: globs are relative to the site root`);
    const isMatch = picomatch(pattern, { dot: true });
    return { reason: { kind: 'option', pattern: raw }, matches: (path) => selfOrFolders(path).some((p) => isMatch(p)) };
  });
}

/** `a/b/c.png` → `a/b/c.png`, `a/b`, `a`: the file and every folder it is in. */
function selfOrFolders(path: string): string[] {
  const segments = path.split('/');
  return segments.map((_, i) => segments.slice(0, segments.length - i).join('/'));
}

/** Splits candidate asset paths into those kept and those excluded, each with its first matching rule's reason. */
export function applyExclusions(paths: readonly string[], rules: readonly ExclusionRule[]): { kept: string[]; excluded: ExcludedFile[] } {
  const kept: string[] = [];
  const excluded: ExcludedFile[] = [];
  for (const path of paths) {
    const rule = rules.find((r) => r.matches(path));
    if (rule) excluded.push({ path, reason: rule.reason });
    else kept.push(path);
  }
  return { kept, excluded };
}

/** A reason as the CLI prints it. */
export function describeReason(reason: ExclusionReason): string {
  return `--exclude ${reason.pattern}`;
}
