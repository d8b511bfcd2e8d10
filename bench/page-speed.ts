/**
 * Page speed: does PeerConnect make pages slower or faster? A fresh visitor reads a site's home
 * page (its first visit) and one more page (a navigation); we time the load event and the
 * largest image's `load` on the page's own clock, for the plain origin, for PeerConnect with one
 * peer that has the pages, and for PeerConnect with no peers at all (which shows what the worker
 * and its fallback cost), on an unthrottled and on a distant origin, on the demo site and on the
 * larger generated one. Prints markdown on stdout and writes bench/charts/page-speed.svg.
 *   node --import tsx bench/page-speed.ts      (scripts/bench.js runs it in a network namespace)
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NETWORKS } from './lib/origin/network.ts';
import { createShaper, describeShaping } from './lib/origin/shaper.ts';
import { Budget } from './lib/run/budget.ts';
import { progress } from './lib/run/log.ts';
import { type BenchSite, demoSite, largeSite } from './lib/sites/bench-sites.ts';
import { routeOf, runCells, type Sample } from './page-speed/cells.ts';
import { speedChart } from './page-speed/chart.ts';
import { speedTable, VARIANT_LABEL } from './page-speed/report.ts';
import { slowestTable } from './page-speed/slowest.ts';

const REPS = 3;
/** scripts/bench.js allows a file 8 min; this one is budgeted at 4.5, closing and printing included. */
const BUDGET_MS = 4.5 * 60_000;
const CHART = join(dirname(fileURLToPath(import.meta.url)), 'charts', 'page-speed.svg');

async function main(): Promise<void> {
  const t0 = Date.now();
  const budget = new Budget(BUDGET_MS);
  const samples: Sample[] = [];
  const sections: string[] = [];
  const sites: BenchSite[] = [demoSite()];
  try {
    sites.push(await largeSite());
    for (const net of NETWORKS) {
      const shaper = await createShaper(net.bitsPerSecond);
      const notes: string[] = [];
      let skipped = 0;
      try {
        for (const site of sites) {
          progress(`page-speed: ${net.label}: ${site.id}`);
          const r = await runCells(site, { net, shaper }, REPS, budget);
          samples.push(...r.samples);
          skipped += r.skipped;
          notes.push(...r.notes.map((n) => `${site.id}: ${n}`));
        }
      } finally {
        await shaper.close();
      }
      sections.push(
        `### ${net.label[0]!.toUpperCase()}${net.label.slice(1)}`,
        '',
        speedTable(samples, net.id, sites),
        '',
        "Where PeerConnect's time goes: the response the worker took longest over, per page (its `peerconnect:served` report; time from the request reaching the worker to its last byte):",
        '',
        slowestTable(samples, net.id, sites),
        '',
        `- Network: ${net.latencyMs} ms before each origin response; ${describeShaping(shaper.kind)}. Signaling and peers: loopback, no added latency.`,
        ...notes.map((n) => `- ${n}`),
        ...(skipped ? [`- **${skipped} runs skipped: time budget.**`] : []),
        '',
      );
    }
  } finally {
    for (const s of sites) await s.close();
  }
  await mkdir(dirname(CHART), { recursive: true });
  await writeFile(
    CHART,
    speedChart(samples, NETWORKS, sites, `Median of ${REPS} fresh visitors per bar; ms from navigation start, on the page's clock.`),
  );
  const failed = samples
    .filter((s) => !s.session.ok)
    .map((s) => `- ${s.network} ${s.site} ${s.variant} rep ${s.rep + 1}: ${s.session.error ?? ''}`);
  process.stdout.write(
    `${[
      '## Page speed: time to load, with and without PeerConnect',
      '',
      `A fresh visitor (own Chromium process and profile) opens a site's home page (its first visit) and then one more page (a navigation, in the same tab): ` +
        `${sites
          .map(
            (s) =>
              `${s.id}: ${routeOf(s)
                .map((p) => `\`${p}\``)
                .join(' → ')}`,
          )
          .join('; ')}. ` +
        "Load event: `loadEventStart` of the page's navigation timing. Largest image: the `load` event of the page's largest image by pixel area (the hero photo, the LCP candidate). " +
        "Both in ms from that page's navigation start, on the page's own clock; each view ends once every image is complete (lazy ones scrolled into view). " +
        `Medians of ${REPS} runs per cell, each a new visitor, variants in rotating order. "added" = median − plain median, "×" = median ÷ plain median. ` +
        'Origin KB: what the origin server sent this visitor for that page (HTML, scripts, CSS, font, images). ' +
        `Variants: ${Object.values(VARIANT_LABEL).join('; ')}. ` +
        '"One peer": a seeder visitor read the same two pages first and stays open; each measured visitor is closed after its run, so the seeder is the only peer. ' +
        '"No peers": a fresh build and signaling server per run, and nobody else in the swarm: every asset is asked of the swarm, found nowhere, and fetched from the origin through the worker. ' +
        '"Navigation after prefetch": one peer, and the visitor navigates only once its home page\'s prefetch through peers has ended (README "Prefetch through peers"); in the other variants it navigates as soon as the home page is complete, its prefetch possibly still running. ' +
        "PeerConnect uses the `swap` first-visit mode: a first visit's images start only once the worker controls the page; a navigation's once the page is parsed (the inline page script puts them back), so the load event waits for them. " +
        "The `--lcp-from-origin` variants are built with that option (off by default): each page's LCP image is asked of the origin at once and `swap` does not hold it for the worker; faster largest image, less offload. " +
        'The origin sends `Cache-Control: no-cache` with ETag/Last-Modified, so the navigation revalidates the CSS/font it already has.',
      '',
      '![Median time to the largest image and to the load event, per network, page and variant](charts/page-speed.svg)',
      '',
      ...sections,
      ...(failed.length ? ['Failed runs (left out of the medians):', '', ...failed, ''] : []),
      `Wall time of this benchmark: ${((Date.now() - t0) / 1000).toFixed(0)} s.`,
      '',
    ].join('\n')}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`page-speed failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
