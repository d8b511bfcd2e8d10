import type { BuildResult } from '../build.ts';
import type { FirstVisitMode } from '../protocol/first-visit.ts';
import { exclusionSummary } from './exclusion-summary.ts';

/** What a build prints: `info` lines (summary, each page's first visit, exclusions) and `warnings`. */
export interface BuildReport {
  info: string[];
  warnings: string[];
}

/**
 * The report of one build, printed by `peer-connect build` and by each plugin through its
 * framework's logger. `where` is the output folder as the user named it; `ms` the build's time.
 */
export function buildReport(result: BuildResult, where: string, ms: number): BuildReport {
  const assets = Object.values(result.manifest.assets);
  const bytes = assets.reduce((n, a) => n + a.size, 0);
  const info = [
    `built ${where}: ${assets.length} assets (${(bytes / 1e6).toFixed(2)} MB) in the manifest, ` +
      `${result.htmlPages.length} pages, ${firstVisitCounts(result.firstVisits)}, ` +
      `${result.torrents.length} torrents, ${ms} ms`,
  ];
  for (const { page, mode, reason } of result.firstVisits) info.push(`  first visit ${mode.padEnd(6)} ${page}: ${reason}`);
  if (result.siteWorker) {
    const { path, registration: r } = result.siteWorker;
    info.push(`  site service worker ${path} (scope /${r.scope.replace(/^\.\//, '')}, ${r.type}): PeerConnect's worker imported into it`);
  }
  info.push(...exclusionSummary(result.excluded, result.exclusionRules));
  return { info, warnings: result.warnings.map((w) => `warning: ${w}`) };
}

/** `first visits: 3 reload, 1 off` (modes in a fixed order, zeros left out). */
function firstVisitCounts(pages: ReadonlyArray<{ mode: FirstVisitMode }>): string {
  const counts = (['reload', 'swap', 'off'] as const)
    .map((m) => [m, pages.filter((p) => p.mode === m).length] as const)
    .filter(([, n]) => n > 0);
  return `first visits: ${counts.map(([m, n]) => `${n} ${m}`).join(', ') || 'none'}`;
}
