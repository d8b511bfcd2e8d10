/**
 * Exclusion rules from what the site itself says its host protects: Apache's `.htaccess` (auth
 * directives, see builder/htaccess.ts) and `.htpasswd`, and a Netlify `_headers` block with a
 * `Basic-Auth` header (https://docs.netlify.com/site-deploys/password-protected-deploys/, parsed
 * and matched by Netlify's own @netlify/headers-parser). Reads those files; the rest is pure.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Header, parseAllHeaders } from '@netlify/headers-parser';
import { urlPathFor } from '../protocol/manifest.ts';
import type { ExclusionReason, ExclusionRule } from './exclude.ts';
import { htaccessProtections } from './htaccess.ts';

export interface HostRules {
  rules: ExclusionRule[];
  /** Host configuration we could not fully read (a malformed `_headers` line), for the CLI to show. */
  warnings: string[];
}

/** `paths`: every site file, site-relative; the `.htaccess`, `.htpasswd` and root `_headers` among them are read from `siteDir`. */
export async function hostRules(siteDir: string, paths: readonly string[]): Promise<HostRules> {
  const rules: ExclusionRule[] = [];
  for (const path of paths) {
    const { folder, name } = splitPath(path);
    if (name === '.htaccess') rules.push(...htaccessRules(path, await readFile(join(siteDir, path), 'utf8')));
    if (name === '.htpasswd') rules.push(folderRule(folder, { kind: 'htpasswd', file: path }));
  }
  if (!paths.includes('_headers')) return { rules, warnings: [] };
  const parsed = await parseAllHeaders({ headersFiles: [join(siteDir, '_headers')], configHeaders: [], minimal: false });
  const headers = parsed.headers.filter((h): h is Header => 'forRegExp' in h);
  return { rules: [...rules, ...headersRules('_headers', headers)], warnings: parsed.errors.map((e) => `_headers: ${e.message}`) };
}

/**
 * One rule per protected scope of an `.htaccess`: its folder's whole subtree when any protecting
 * directive stands outside a `<Files>` section, else one rule per `<Files>`/`<FilesMatch>`
 * section that protects, covering the matching base names in the subtree.
 */
export function htaccessRules(path: string, text: string): ExclusionRule[] {
  const { folder } = splitPath(path);
  const protections = htaccessProtections(text);
  const whole = protections.find((p) => p.scope.section === null);
  if (whole) return [folderRule(folder, { kind: 'htaccess', file: path, directive: whole.directive, section: null })];
  const rules = new Map<string, ExclusionRule>();
  for (const { directive, scope } of protections) {
    if (scope.section === null || rules.has(scope.section)) continue;
    const reason: ExclusionReason = { kind: 'htaccess', file: path, directive, section: scope.section };
    rules.set(scope.section, { reason, matches: (p) => inFolder(p, folder) && scope.matchesName(splitPath(p).name) });
  }
  return [...rules.values()];
}

/**
 * One rule per `_headers` block that sets `Basic-Auth` (header names are case-insensitive). A
 * file matches when Netlify's pattern matches its URL path, decoded or percent-encoded.
 */
export function headersRules(file: string, headers: readonly Header[]): ExclusionRule[] {
  return headers
    .filter((h) => Object.keys(h.values).some((name) => name.toLowerCase() === 'basic-auth'))
    .map((h) => ({
      reason: { kind: 'headers', file, pattern: h.for },
      matches: (path: string) => h.forRegExp.test(`/${path}`) || h.forRegExp.test(`/${urlPathFor(path)}`),
    }));
}

function folderRule(folder: string, reason: ExclusionReason): ExclusionRule {
  return { reason, matches: (path) => inFolder(path, folder) };
}

/** `folder` is site-relative, `''` for the root. */
const inFolder = (path: string, folder: string): boolean => folder === '' || path.startsWith(`${folder}/`);

function splitPath(path: string): { folder: string; name: string } {
  const slash = path.lastIndexOf('/');
  return { folder: slash < 0 ? '' : path.slice(0, slash), name: path.slice(slash + 1) };
}
