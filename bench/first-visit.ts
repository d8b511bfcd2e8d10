/**
 * What does a newcomer's first visit cost, per first-visit mode? For `auto` (the default: the
 * build picks `reload` or `off` per page), `swap` and `off`, and for the plain origin, on two
 * pages (the demo home page, with images; a script-heavy page: a large bundle, two stylesheets, a
 * web font, no images) and on an unthrottled and on a distant origin: visitor 1 views the page and
 * stays as a seeder, visitor 2 (a newcomer, the visitor P2P exists for) views it; we report what
 * visitor 2 cost the origin and how long it waited (load event, LCP). Prints markdown on stdout.
 *   node --import tsx bench/first-visit.ts      (scripts/bench.js runs it in a network namespace)
 *   FIRST_VISIT_REPS=1 node --import tsx bench/first-visit.ts     a quick look (the default is REPS)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSite, type PageFirstVisit } from '../build.ts';
import type { OriginServer } from '../tests/e2e/harness/origin-server.ts';
import { SCRIPT_HEAVY_PAGE, writeScriptHeavySite } from '../tests/e2e/harness/script-heavy-site.ts';
import { DEMO_SITE, expectedImageCount, type TestSite } from '../tests/e2e/harness/site.ts';
import { type CellResult, type CellTarget, runCell } from './first-visit/cell.ts';
import { firstVisitSection, VARIANT_LABEL } from './first-visit/report.ts';
import type { Variant } from './first-visit/visit.ts';
import { NETWORKS, type OriginNetwork } from './lib/origin/network.ts';
import { startPeerConnectSite, startPlainOrigin } from './lib/origin/origins.ts';
import { createShaper, describeShaping, type Shaper } from './lib/origin/shaper.ts';
import { Budget } from './lib/run/budget.ts';
import { progress } from './lib/run/log.ts';

/**
 * 3 runs per cell: 4 variants × 2 pages × 2 networks = 16 cells a repetition, ~5-8 s each. The
 * `reload` mode is not a variant of its own: `auto` picks it on both pages (the report prints the
 * build's choice), so it would measure the same thing twice.
 */
const REPS = Number(process.env.FIRST_VISIT_REPS ?? 3);
const VARIANTS: readonly Variant[] = ['plain', 'auto', 'swap', 'off'];
const MODES = ['auto', 'swap', 'off'] as const;
/** scripts/bench.js allows this file 7.5 min; leave room for closing and printing. */
const BUDGET_MS = 6.5 * 60_000;
/** Kept back from each network's share of the budget: closing servers and browsers, printing. */
const CLOSE_RESERVE_MS = 20_000;
/** A cell normally takes 5-8 s (both visitors, settling); do not start one with less than this left of the network's share. */
const CELL_RESERVE_MS = 12_000;
/** A real static host's caching: `no-cache` plus validators, so a `reload` page's second load can get 304s. */
const ORIGIN = { validators: true };

interface BenchPage {
  id: string;
  label: string;
  siteDir: string;
  path: string;
  /** Null: the images the author wrote in the page (a swap that silently failed cannot pass with fewer). */
  minImages: number | null;
}

interface PageServers {
  page: BenchPage;
  targets: CellTarget[];
  minImages: number;
}

interface Servers {
  pages: PageServers[];
  close(): Promise<void>;
}

async function startServers(pages: readonly BenchPage[], net: OriginNetwork, shaper: Shaper): Promise<Servers> {
  const sites: TestSite[] = [];
  const plains: OriginServer[] = [];
  const close = async (): Promise<void> => {
    for (const s of sites) await s.close();
    for (const p of plains) await p.close();
  };
  const out: PageServers[] = [];
  try {
    for (const page of pages) {
      const mine: TestSite[] = [];
      for (const mode of MODES) {
        const site = await startPeerConnectSite(mode, page.siteDir, net, shaper, ORIGIN);
        sites.push(site);
        mine.push(site);
      }
      const plain = await startPlainOrigin(page.siteDir, net, shaper, ORIGIN);
      plains.push(plain);
      out.push({
        page,
        targets: [
          { variant: 'plain', origin: plain, url: `${plain.url}/${page.path}` },
          ...mine.map((s, i) => ({ variant: MODES[i]!, origin: s.origin, url: s.url(page.path) })),
        ],
        minImages: page.minImages ?? expectedImageCount(mine[0]!, page.path),
      });
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { pages: out, close };
}

interface NetworkRun {
  results: Map<string, CellResult[]>;
  shaping: string;
  skipped: number;
}

async function runNetwork(net: OriginNetwork, pages: readonly BenchPage[], share: Budget): Promise<NetworkRun> {
  const shaper = await createShaper(net.bitsPerSecond);
  const results = new Map<string, CellResult[]>(pages.map((p) => [p.id, []]));
  let skipped = 0;
  try {
    const servers = await startServers(pages, net, shaper);
    try {
      for (let rep = 0; rep < REPS; rep++) {
        for (const { page, targets, minImages } of servers.pages) {
          // Rotate the order each repetition so a drift (a warming disk cache, a busy core) does not favour one variant.
          const order = VARIANTS.map((_, i) => VARIANTS[(i + rep) % VARIANTS.length]!);
          for (const variant of order) {
            if (share.short(CELL_RESERVE_MS)) {
              skipped++;
              continue;
            }
            const target = targets.find((t) => t.variant === variant)!;
            const r = await runCell(target, `fv-${net.id}-${page.id}-${variant}-r${rep}`, rep, minImages);
            const v = r.visit;
            progress(
              `${net.id} ${page.id} ${variant} rep ${rep + 1}: ${r.ok && v ? `origin ${r.originBytes} B / ${r.originRequests} req, load ${Math.round(v.loadMs)} ms, LCP ${Math.round(v.lcpMs)} ms, images ${Math.round(v.imagesMs)} ms (${v.images}), peer ${v.peerBytes} B (final page ${v.finalPagePeerBytes} B), p2p ${(r.p2pShare * 100).toFixed(0)}%, ${v.navType}` : `FAILED ${r.error}`}`,
            );
            results.get(page.id)!.push(r);
          }
        }
      }
    } finally {
      await servers.close();
    }
  } finally {
    await shaper.close();
  }
  return { results, shaping: describeShaping(shaper.kind), skipped };
}

/** What `auto` picks for the page: a build of its own (the sites under test are built by the harness, which keeps no report). */
async function autoChoice(page: BenchPage): Promise<PageFirstVisit | undefined> {
  const outDir = await mkdtemp(join(tmpdir(), 'pc-bench-fv-choice-'));
  try {
    const built = await buildSite({ siteDir: page.siteDir, outDir, signal: 'ws://127.0.0.1:9/peer-connect/signal', firstVisit: 'auto' });
    return built.firstVisits.find((f) => f.page === page.path);
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const budget = new Budget(BUDGET_MS);
  const heavyDir = await mkdtemp(join(tmpdir(), 'pc-bench-script-heavy-'));
  try {
    await writeScriptHeavySite(heavyDir);
    const pages: BenchPage[] = [
      { id: 'demo', label: 'demo home page (`index.html`: images, CSS, font)', siteDir: DEMO_SITE, path: 'index.html', minImages: null },
      {
        id: 'script-heavy',
        label: 'script-heavy page (320 KB script bundle, two 60 KB stylesheets, a web font, no images)',
        siteDir: heavyDir,
        path: SCRIPT_HEAVY_PAGE,
        minImages: 0,
      },
    ];
    const choices: string[] = [];
    for (const page of pages) {
      const c = await autoChoice(page);
      choices.push(`- ${page.label}: \`auto\` picks **${c?.mode ?? '?'}** (${c?.reason ?? 'page not in the build report'})`);
    }
    const out: string[] = [
      '## First visits: what each mode costs a newcomer, on two pages',
      '',
      'Visitor 1 (fresh browser) opens the page and waits until it is complete; it stays open as the seeder. ' +
        `Visitor 2 (fresh browser) then opens the same page; the numbers are visitor 2's, median of ${REPS} runs. ` +
        'Origin KB and requests: everything the origin server sent visitor 2 (HTML, worker, bridge, CSS, JS, font, images), counted by the server. ' +
        "Load event, LCP and all images: from the first navigation start (for a `reload` page, of the held document before the reload) to the final document's load event, " +
        "to the final document's largest contentful paint (its last candidate, on the browser's clock), " +
        'and to the last image `load` event (every image complete, naturalWidth > 0, lazy ones scrolled into view). ' +
        'Peer KB and P2P share: bytes from peers (the `peerconnect:served` events of every document of the tab, summed in sessionStorage: ' +
        "the held document's bridge fetched them, and its counters are gone after the reload; `final page peer KB` in the raw runs is what the final page's `stats()` says) " +
        '÷ (bytes from peers + all origin bytes); the plain origin has none, so there is no ratio for it. ' +
        'Every origin answers `Cache-Control: no-cache` with ETag/Last-Modified (as Netlify/Vercel do), so a reload may revalidate with 304s; each visitor is a fresh browser profile. ' +
        `Plain origin: the unbuilt site from the same server, no worker. Variants: ${VARIANTS.map((v) => VARIANT_LABEL[v]).join(', ')}. ` +
        `\`reload\` is not run on its own: \`auto\` picks it on both pages. ${REPS} runs per cell (4 variants × 2 pages × 2 networks), ` +
        `within a ${BUDGET_MS / 60_000}-minute budget shared equally by the two networks; cells past it are skipped and counted below.`,
      '',
      "The build's choice under `auto` (BuildResult.firstVisits):",
      '',
      ...choices,
      '',
    ];
    for (const [i, net] of NETWORKS.entries()) {
      progress(`first-visit: ${net.label}`);
      const share = new Budget(Math.max(0, (budget.remainingMs() - CLOSE_RESERVE_MS) / (NETWORKS.length - i)));
      const { results, shaping, skipped } = await runNetwork(net, pages, share);
      const netTitle = `${net.label[0]!.toUpperCase()}${net.label.slice(1)}`;
      for (const page of pages) {
        out.push(firstVisitSection(`${netTitle}: ${page.label}`, results.get(page.id) ?? [], VARIANTS, page.minImages !== 0));
      }
      out.push(
        `Network: ${net.latencyMs} ms before each origin response; ${shaping}. Signaling and peers: loopback, no added latency.${skipped ? ` **${skipped} runs skipped: time budget.**` : ''}`,
        '',
      );
    }
    process.stdout.write(`${out.join('\n')}\n`);
  } finally {
    await rm(heavyDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`first-visit failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
