/**
 * Keeping files out of the manifest. A file in the manifest can be fetched by anyone through
 * peers, and its name and size are public in the worker script, so a file the host protects must
 * not be there. Excluded files are still copied to the output and served by the origin, which
 * applies its own rules to them.
 */
import picomatch from 'picomatch';

/** Why a file is kept out of the manifest: an `--exclude` glob, or a protection the site's host configuration sets (builder/host-protection.ts). */
export type ExclusionReason =
  | { kind: 'option'; pattern: string }
  /** `section`: the `<Files>`/`<FilesMatch>` line the directive is in, or null when it covers the whole folder. */
  | { kind: 'htaccess'; file: string; directive: string; section: string | null }
  | { kind: 'htpasswd'; file: string }
  /** A `_headers` block for `pattern` (Netlify path syntax) sets `Basic-Auth`. */
  | { kind: 'headers'; file: string; pattern: string };

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
    const pattern = raw
      .trim()
      .replace(/^(\.?\/)+/, '')
      .replace(/\/+$/, '');
    if (pattern === '')
      throw new Error(`--exclude ${JSON.stringify(raw)} is empty: give a glob relative to the site root, e.g. --exclude 'members/**'`);
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
  switch (reason.kind) {
    case 'option':
      return `--exclude ${reason.pattern}`;
    case 'htaccess':
      return reason.section === null
        ? `${reason.file} (${reason.directive}), ${subtree(reason.file)}`
        : `${reason.file} (${reason.directive} in ${reason.section}), the files it names in ${subtree(reason.file)}`;
    case 'htpasswd':
      return `${reason.file} (a password file), ${subtree(reason.file)}`;
    case 'headers':
      return `${reason.file} (Basic-Auth on ${reason.pattern})`;
  }
}

/** `members/.htaccess` → `everything under members/`; a root file → `the whole site`. */
function subtree(file: string): string {
  const slash = file.lastIndexOf('/');
  return slash < 0 ? 'the whole site' : `everything under ${file.slice(0, slash + 1)}`;
}
