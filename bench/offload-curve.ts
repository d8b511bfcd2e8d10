/**
 * The offload curve: what each visitor costs the origin as the audience grows. N fresh visitors
 * (each its own Chromium process and profile) read 2 pages of a site, arriving one after
 * another or all at once; the origin server counts what it sent each of them, with PeerConnect
 * and with the plain origin, on the demo site and on a larger generated one. Prints markdown on
 * stdout and writes bench/charts/offload-curve.svg.
 *   node --import tsx bench/offload-curve.ts      (scripts/bench.js runs it in a network namespace)
 *   PEER_CONNECT_BENCH_MAX_N=5 ...                 (development: only N up to 5)
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NETWORKS } from './lib/origin/network.ts';
import { createShaper } from './lib/origin/shaper.ts';
import type { TargetNetwork } from './lib/origin/site-targets.ts';
import { Budget } from './lib/run/budget.ts';
import { progress } from './lib/run/log.ts';
import { type BenchSite, demoSite, largeSite } from './lib/sites/bench-sites.ts';
import { offloadChart, type SiteRows } from './offload-curve/chart.ts';
import { BATCH_WIDTH, type Pattern, type RunResult, type RunSpec, runPattern } from './offload-curve/patterns.ts';
import { PATTERN_LABEL, splitTable, totalsTable } from './offload-curve/report.ts';
import { rowFor } from './offload-curve/rows.ts';

const ALL_NS = [1, 2, 5, 10, 20] as const;
const MAX_N = Number(process.env.PEER_CONNECT_BENCH_MAX_N ?? ALL_NS[ALL_NS.length - 1]);
const NS: readonly number[] = ALL_NS.filter((n) => n <= MAX_N);
/**
 * The home page and one navigation. A third page measured the same things again (a navigation
 * whose CSS and font the visitor has) and cost a third more time than the run can spare.
 */
const PAGES_PER_VISITOR = 2;
/** scripts/bench.js allows a file 8 min; this one is budgeted at 7.5, closing and printing included. */
const BUDGET_MS = 7.5 * 60_000;
/** Do not start an all-at-once run with less than this left (N = 20 took 55-60 s here, N = 10 about 25). */
const reserveFor = (n: number): number => 10_000 + n * 3_000;
const CHART = join(dirname(fileURLToPath(import.meta.url)), 'charts', 'offload-curve.svg');

/**
 * Every run, most informative first across both sites, so that a short budget drops the least:
 * the sequential runs (one gives every N) and the plain origin's (one gives every row, see
 * rows.ts), then PeerConnect all at once by growing N, both sites at each N.
 */
function plan(sites: readonly BenchSite[], network: TargetNetwork): RunSpec[] {
  const maxN = NS[NS.length - 1]!;
  const spec = (site: BenchSite, kind: RunSpec['kind'], pattern: Pattern, n: number): RunSpec => ({
    site,
    kind,
    pattern,
    n,
    pagesPerVisitor: PAGES_PER_VISITOR,
    network,
  });
  return [
    ...sites.flatMap((s) => [spec(s, 'peerconnect', 'sequential', maxN), spec(s, 'plain', 'batched', maxN)]),
    ...NS.filter((n) => n > 1).flatMap((n) => sites.map((s) => spec(s, 'peerconnect', 'together', n))),
  ];
}

/** Runs the plan; a run that does not fit the budget any more is listed as not run. */
async function runAll(specs: readonly RunSpec[], budget: Budget): Promise<{ runs: RunResult[]; notRun: RunSpec[] }> {
  const runs: RunResult[] = [];
  const notRun: RunSpec[] = [];
  for (const spec of specs) {
    if (spec.pattern !== 'sequential' && budget.short(reserveFor(spec.n))) {
      notRun.push(spec);
      continue;
    }
    progress(`offload-curve: ${spec.site.id}: ${spec.kind} ${PATTERN_LABEL[spec.pattern]} N=${spec.n}`);
    runs.push(await runPattern(spec, budget));
  }
  return { runs, notRun };
}

function siteSection(site: BenchSite, allRuns: readonly RunResult[], allNotRun: readonly RunSpec[]): { markdown: string; rows: SiteRows } {
  const runs = allRuns.filter((r) => r.siteId === site.id);
  const notRun = allNotRun.filter((r) => r.site.id === site.id).map((r) => `${r.kind} ${PATTERN_LABEL[r.pattern]} N=${r.n}`);
  const rows = (['sequential', 'together'] as const).flatMap((p) => NS.map((n) => rowFor(runs, p, n)));
  const failures = runs.flatMap((r) =>
    r.sessions.filter((s) => !s.ok).map((s) => `- ${r.kind} ${PATTERN_LABEL[r.pattern]} N=${r.n}, ${s.visitor}: ${s.error ?? ''}`),
  );
  const skipped = runs.filter((r) => r.skipped > 0).map((r) => `${r.kind} ${PATTERN_LABEL[r.pattern]}: ${r.skipped} visitors`);
  const walls = runs.map(
    (r) => `${r.kind === 'plain' ? 'plain' : 'PeerConnect'} ${PATTERN_LABEL[r.pattern]} N=${r.n}: ${(r.wallMs / 1000).toFixed(0)} s`,
  );
  const markdown = [
    `### ${site.label[0]!.toUpperCase()}${site.label.slice(1)}`,
    '',
    `Each visitor reads \`${site.home}\` (its first visit), then one of ${site.others.map((p) => `\`${p}\``).join(', ')}, drawn by popularity (Zipf: the k-th page is read 1/k as often as the first).`,
    '',
    'Everything the origin sent, per visitor (mean over the N visitors):',
    '',
    totalsTable(rows),
    '',
    'First visit (home page) and navigation apart (KB and requests per visitor):',
    '',
    splitTable(rows),
    '',
    `- Runs (browser launches included): ${walls.join('; ')}.`,
    ...(notRun.length ? [`- **Not run (time budget): ${notRun.join(', ')}.**`] : []),
    ...(skipped.length ? [`- **Visitors not started (time budget): ${skipped.join(', ')}.**`] : []),
    ...(failures.length ? ['- Failed visitors (left out of the means):', ...failures.map((f) => `  ${f}`)] : []),
    '',
  ].join('\n');
  return { markdown, rows: { title: site.label, rows } };
}

async function main(): Promise<void> {
  const t0 = Date.now();
  const budget = new Budget(BUDGET_MS);
  // The curve is about bytes: an unthrottled origin keeps the 20-browser runs short, and the
  // origin's speed does not change what it is asked for (page-speed.ts covers a distant origin).
  const net = NETWORKS[0]!;
  const network: TargetNetwork = { net, shaper: await createShaper(net.bitsPerSecond) };
  const sections: string[] = [];
  const chartSites: SiteRows[] = [];
  const sites: BenchSite[] = [demoSite()];
  try {
    sites.push(await largeSite());
    const { runs, notRun } = await runAll(plan(sites, network), budget);
    for (const site of sites) {
      const { markdown, rows } = siteSection(site, runs, notRun);
      sections.push(markdown);
      chartSites.push(rows);
    }
  } finally {
    for (const s of sites) await s.close();
    await network.shaper.close();
  }
  await mkdir(dirname(CHART), { recursive: true });
  await writeFile(
    CHART,
    offloadChart(
      chartSites,
      NS,
      'Origin bytes per visitor (mean over N visitors), counted by the origin server. Solid: PeerConnect; dashed: plain origin.',
    ),
  );
  const wall = ((Date.now() - t0) / 1000).toFixed(0);
  process.stdout.write(
    `${[
      '## Offload curve: origin bytes per visitor as the audience grows',
      '',
      `N fresh visitors (N = ${NS.join(', ')}; each its own Chromium process with a fresh profile, all on this 2-core machine) each read two pages of a site, ` +
        `arriving **one after another** (each starts when the one before has finished its pages; all stay open, so all seed) or **all at once** (all launched first, then all open the home page at the same moment). ` +
        'PeerConnect: the site built with the default `swap` first-visit mode, its own signaling server (a fresh swarm for every run). ' +
        'Plain origin: the unbuilt site from the same counting server, no worker. Bytes and requests are what the origin server itself sent each visitor ' +
        "(by the `PeerConnectVisitor/<name>` tag in every request's User-Agent, the worker's own fetches included): HTML, scripts, CSS, font, images. " +
        "A first visit is everything until the home page was complete and the visitor's origin traffic had been quiet for 250 ms; the rest is the navigation's. " +
        "P2P share: bytes from peers ÷ (bytes from peers + origin bytes), from the bridge's counters. " +
        "Failed peer requests: the bridge's count of piece requests to peers that failed (timeout, refusal, closed link). " +
        "Worker's origin fetches: the origin's `Range` requests, which only the worker makes: pieces it asked the origin for while peers were still sending (a hedge after some peer pieces had come). " +
        "Hand-overs: the worker's answers that it handed to the network whole, as the page made the request (each response's `x-peer-connect-why`): `hedge` = no peer piece within the hedge delay (0.5-1.5 s, sw/hedge-policy.ts), no peers = the bridge found no holder or none was known, critical = stylesheets, scripts and fonts, which go to the network at once. " +
        'The rest of the origin bytes are the HTML, the two PeerConnect scripts and what the browser loaded before the worker controlled the page. ' +
        'The origin is unthrottled, sends `Cache-Control: no-cache` with ETag/Last-Modified (a navigation revalidates what it already has with 304s), and each visitor starts with an empty cache. ' +
        `"One after another": the rows for N < ${NS[NS.length - 1]} are the first N visitors of one run of ${NS[NS.length - 1]} (visitor k meets exactly what it would in a run of N ≥ k). ` +
        'All at once: a run of its own for each N (N = 1 is the same single visitor as above). ' +
        `Plain origin: one run of the same ${NS[NS.length - 1]} visitors (visitor k reads the same pages as PeerConnect's visitor k), ${BATCH_WIDTH} at a time, first N visitors for both patterns: ` +
        "with no worker and a fresh profile each, a visitor's bytes from the origin depend only on the pages it reads, never on who else is there or when. " +
        'Caveat for "all at once" at large N: 20 browsers share 2 cores here, which a real audience (one device each) never does; set-up and hashing slow down tenfold, and the worker\'s hedge (at most 1.5 s to a first peer piece) fires where it would not on separate devices. The same holds one after another once many browsers are open: every earlier visitor stays open to seed.',
      '',
      '![Origin KB per visitor against N, both sites](charts/offload-curve.svg)',
      '',
      ...sections,
      `Wall time of this benchmark: ${wall} s.`,
      '',
    ].join('\n')}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`offload-curve failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
