import { isDeepStrictEqual } from 'node:util';
import { describeReason, type ExcludedFile, type ExclusionReason } from '../builder/exclude.ts';

/**
 * What `peer-connect build` prints about exclusions: one summary line, then one line per rule
 * (each protection found in the site's host configuration, then each `--exclude`) with how many
 * files it kept out. A rule that matched nothing is said too (a mistyped glob would
 * otherwise leave private files in the manifest without a word). Nothing when there is no rule.
 */
export function exclusionSummary(excluded: readonly ExcludedFile[], rules: readonly ExclusionReason[]): string[] {
  if (rules.length === 0) return [];
  const lines = [
    `kept ${excluded.length} file${excluded.length === 1 ? '' : 's'} out of the manifest (copied, served by the origin only, never by peers):`,
  ];
  for (const rule of rules) {
    const count = excluded.filter((e) => isDeepStrictEqual(e.reason, rule)).length;
    lines.push(`  ${describeReason(rule)}: ${count === 0 ? 'no file matched' : `${count} file${count === 1 ? '' : 's'}`}`);
  }
  return lines;
}
