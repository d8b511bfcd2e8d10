/**
 * Which first-visit mode should be the default? For each mode (swap, reload, off) and for the
 * plain origin, on an unthrottled and on a distant origin: visitor 1 views the home page and
 * stays as a seeder, visitor 2 (a newcomer, the visitor P2P exists for) views it; we report what
 * visitor 2 cost the origin and how long it waited. Prints markdown on stdout.
 *   node --import tsx bench/first-visit.ts      (scripts/bench.js runs it in a network namespace)
 */
import type { OriginServer } from '../tests/e2e/harness/origin-server.ts';
import { expectedImageCount, type TestSite } from '../tests/e2e/harness/site.ts';
import { type CellResult, type CellTarget, runCell } from './first-visit/cell.ts';
import { firstVisitSection, VARIANT_LABEL } from './first-visit/report.ts';
import type { Variant } from './first-visit/visit.ts';
import { NETWORKS, type OriginNetwork } from './lib/origin/network.ts';
import { startPeerConnectSite, startPlainOrigin } from './lib/origin/origins.ts';
import { createShaper, describeShaping } from './lib/origin/shaper.ts';
import { Budget } from './lib/run/budget.ts';
import { progress } from './lib/run/log.ts';

const REPS = 3;
const VARIANTS: readonly Variant[] = ['plain', 'swap', 'reload', 'off'];
const PAGE = 'index.html';
/** scripts/bench.js allows this file 7.5 min; leave room for closing and printing. */
const BUDGET_MS = 6.5 * 60_000;
/** A cell normally takes 3-8 s; do not start one with less than this left. */
const CELL_RESERVE_MS = 45_000;
/** A real static host's caching: `no-cache` plus validators, so the `reload` mode's second load can get 304s. */
const ORIGIN = { validators: true };

interface Servers {
  targets: CellTarget[];
  minImages: number;
  close(): Promise<void>;
}

async function startServers(net: OriginNetwork, shaper: Awaited<ReturnType<typeof createShaper>>): Promise<Servers> {
  const sites: TestSite[] = [];
  let plain: OriginServer | undefined;
  try {
    for (const mode of ['swap', 'reload', 'off'] as const) sites.push(await startPeerConnectSite(mode, net, shaper, ORIGIN));
    plain = await startPlainOrigin(net, shaper, ORIGIN);
  } catch (err) {
    for (const s of sites) await s.close();
    throw err;
  }
  const targets: CellTarget[] = [
    { variant: 'plain', origin: plain, homeUrl: `${plain.url}/${PAGE}` },
    ...sites.map((s, i) => ({ variant: (['swap', 'reload', 'off'] as const)[i]!, origin: s.origin, homeUrl: s.url(PAGE) })),
  ];
  const closePlain = plain;
  return {
    targets,
    // The images the author wrote in the page: a swap that silently failed cannot pass with fewer.
    minImages: expectedImageCount(sites[0]!, PAGE),
    async close() {
      for (const s of sites) await s.close();
      await closePlain.close();
    },
  };
}

async function runNetwork(net: OriginNetwork, budget: Budget): Promise<{ results: CellResult[]; shaping: string; skipped: number }> {
  const shaper = await createShaper(net.bitsPerSecond);
  const results: CellResult[] = [];
  let skipped = 0;
  try {
    const servers = await startServers(net, shaper);
    try {
      for (let rep = 0; rep < REPS; rep++) {
        // Rotate the order each repetition so a drift (a warming disk cache, a busy core) does not favour one variant.
        const order = VARIANTS.map((_, i) => VARIANTS[(i + rep) % VARIANTS.length]!);
        for (const variant of order) {
          if (budget.short(CELL_RESERVE_MS)) {
            skipped++;
            continue;
          }
          const target = servers.targets.find((t) => t.variant === variant)!;
          const r = await runCell(target, `fv-${net.id}-${variant}-r${rep}`, rep, servers.minImages);
          const v = r.visit;
          progress(
            `${net.id} ${variant} rep ${rep + 1}: ${r.ok && v ? `origin ${r.originBytes} B / ${r.originRequests} req, load ${Math.round(v.loadMs)} ms, images ${Math.round(v.imagesMs)} ms (${v.images}), p2p ${(r.p2pShare * 100).toFixed(0)}%, ${v.navType}` : `FAILED ${r.error}`}`,
          );
          results.push(r);
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

async function main(): Promise<void> {
  const budget = new Budget(BUDGET_MS);
  const out: string[] = [
    '## First visits: which mode should be the default',
    '',
    `Visitor 1 (fresh browser) opens \`${PAGE}\` and waits until every image is complete; it stays open as the seeder. ` +
      `Visitor 2 (fresh browser) then opens \`${PAGE}\`; the numbers are visitor 2's, median of ${REPS} runs. ` +
      'Origin KB and requests: everything the origin server sent visitor 2 (HTML, worker, bridge, CSS, JS, font, images), counted by the server. ' +
      "Load event and all images: from the first navigation start (for `reload`, of the document before the reload) to the final document's load event, " +
      'and to the last image `load` event (every image complete, naturalWidth > 0, lazy ones scrolled into view). ' +
      'P2P share: bytes from peers ÷ (bytes from peers + all origin bytes). ' +
      'Every origin answers `Cache-Control: no-cache` with ETag/Last-Modified (as Netlify/Vercel do), so a reload may revalidate with 304s; each visitor is a fresh browser profile. ' +
      `Plain origin: the unbuilt demo site from the same server, no worker. Variants: ${VARIANTS.map((v) => VARIANT_LABEL[v]).join(', ')}.`,
    '',
  ];
  for (const net of NETWORKS) {
    progress(`first-visit: ${net.label}`);
    const { results, shaping, skipped } = await runNetwork(net, budget);
    out.push(firstVisitSection(`${net.label[0]!.toUpperCase()}${net.label.slice(1)}`, results, VARIANTS));
    out.push(
      `Network: ${net.latencyMs} ms before each origin response; ${shaping}. Signaling and peers: loopback, no added latency.${skipped ? ` **${skipped} runs skipped: time budget.**` : ''}`,
      '',
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`first-visit failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
