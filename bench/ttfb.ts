/**
 * What the worker adds to one asset request: time to first byte and total time of a fetch made
 * from inside a page, served by the PeerConnect worker from each source it can use, against the
 * same fetch from a plain origin (no worker), on an unthrottled and a distant origin.
 * Prints markdown on stdout.
 *   node --import tsx bench/ttfb.ts      (scripts/bench.js runs it in a network namespace)
 */

import { urlPathFor } from '../protocol/manifest.ts';
import { pieceCount } from '../protocol/pieces.ts';
import { launchVisitor, type Visitor } from '../tests/e2e/harness/browser.ts';
import type { OriginServer } from '../tests/e2e/harness/origin-server.ts';
import { DEMO_SITE, stats, type TestSite, viewPage, waitForImages, waitForReady } from '../tests/e2e/harness/site.ts';
import { waitStored } from './lib/browser/local-store.ts';
import { NETWORKS, type OriginNetwork } from './lib/origin/network.ts';
import { startPeerConnectSite, startPlainOrigin } from './lib/origin/origins.ts';
import { createShaper, describeShaping } from './lib/origin/shaper.ts';
import { Budget, sleep } from './lib/run/budget.ts';
import { progress } from './lib/run/log.ts';
import { SOURCE_LABEL, ttfbTable } from './ttfb/report.ts';
import { type BenchAsset, measureStage, REPS, type Sample, type Source } from './ttfb/stage.ts';
import { timedFetch } from './ttfb/timed-fetch.ts';

const ASSETS = [
  { id: 'small', key: 'img/thumbs/lighthouse-point.jpg' },
  { id: 'large', key: 'img/harbour-dawn.jpg' },
] as const;
const SOURCES: readonly Source[] = ['plain', 'cache', 'peer', 'origin', 'signal-down'];
const PAGE = 'index.html';
/** scripts/bench.js allows this file 6 min; leave room for closing and printing. */
const BUDGET_MS = 5 * 60_000;
/** The bridge announces a stored asset on the next message after the worker's `stored`. */
const ANNOUNCE_GRACE_MS = 300;
/** No validators: every fetch, the page's and the worker's own, is a full transfer from the origin. */
const ORIGIN = { validators: false };

function benchAssets(site: TestSite): BenchAsset[] {
  return ASSETS.map(({ id, key }) => {
    const a = site.manifest.assets[key];
    if (!a) throw new Error(`${key} is not in the manifest`);
    return { id, key, urlPath: `/${urlPathFor(key)}`, hash: a.hash, size: a.size, pieces: pieceCount(a.size, site.manifest.pieceSize) };
  });
}

async function quiet(origin: OriginServer): Promise<void> {
  await origin.idle(15_000).catch(() => undefined);
  await sleep(300);
}

interface NetworkRun {
  assets: BenchAsset[];
  samples: Sample[];
  notes: string[];
}

async function runNetwork(net: OriginNetwork, budget: Budget): Promise<NetworkRun> {
  const shaper = await createShaper(net.bitsPerSecond);
  const samples: Sample[] = [];
  const notes: string[] = [
    `Network: ${net.latencyMs} ms before each origin response; ${describeShaping(shaper.kind)}. Signaling and peers: loopback, no added latency.`,
  ];
  const visitors: Visitor[] = [];
  const launch = async (name: string): Promise<Visitor> => {
    const v = await launchVisitor(`tt-${net.id}-${name}`);
    visitors.push(v);
    return v;
  };
  let site: TestSite | undefined;
  let plain: OriginServer | undefined;
  let skipped = 0;
  let assets: BenchAsset[] = [];
  const stage = async (v: Visitor, source: Source, assets: BenchAsset[]): Promise<void> => {
    progress(`${net.id}: ${SOURCE_LABEL[source]}`);
    skipped += await measureStage(v.page, source, assets, budget, samples);
  };
  try {
    site = await startPeerConnectSite('swap', DEMO_SITE, net, shaper, ORIGIN);
    plain = await startPlainOrigin(DEMO_SITE, net, shaper, ORIGIN);
    assets = benchAssets(site);

    // The baseline: a page of the unbuilt site, no worker anywhere.
    const p = await launch('plain');
    await p.open(`${plain.url}/${PAGE}`);
    await waitForImages(p.page, 30_000);
    await quiet(plain);
    await stage(p, 'plain', assets);
    await p.close();

    // One visitor alone in the swarm: no one else holds the assets, so the worker falls back to the origin.
    const m = await launch('measured');
    await viewPage(m.page, site, PAGE);
    await quiet(site.origin);
    await stage(m, 'origin', assets);
    for (const a of assets) await waitStored(m.page, a.hash, a.pieces);
    await stage(m, 'cache', assets);

    // A second browser gets the assets (from the first, as it happens) and seeds them.
    const s = await launch('seeder');
    await viewPage(s.page, site, PAGE);
    for (const a of assets) {
      await timedFetch(s.page, a.urlPath, a.key, 20_000);
      await waitStored(s.page, a.hash, a.pieces);
    }
    await sleep(ANNOUNCE_GRACE_MS);
    await stage(m, 'peer', assets);
    notes.push(
      `Peer source: the seeder fetched the assets from the measured visitor, so their link was open before the first timed fetch (${(await stats(m.page)).peers} open link(s) at the end): ` +
        'these are warm-link numbers, and "TTFB 1st" does not include a WebRTC set-up; the first-visit timeline shows a cold one.',
    );

    // Signaling down: the seeder is gone and the measured page starts again with no server to reach.
    await s.close();
    await site.stopSignal();
    await m.reload();
    await waitForReady(m.page, 15_000);
    await waitForImages(m.page, 20_000);
    await quiet(site.origin);
    const before = await stats(m.page);
    notes.push(`Signaling down: the bridge's signaling state was \`${before.signaling}\`, ${before.peers} peers.`);
    await stage(m, 'signal-down', assets);
  } finally {
    for (const v of visitors) await v.close();
    await site?.close();
    await plain?.close();
    await shaper.close();
  }
  if (skipped) notes.push(`**${skipped} fetches skipped: time budget.**`);
  return { assets, samples, notes };
}

async function main(): Promise<void> {
  const budget = new Budget(BUDGET_MS);
  const out: string[] = [
    '## Time to first byte: what the worker adds to one request',
    '',
    `A \`fetch()\` from inside a page, timed on the page's clock: TTFB = until the first body chunk can be read, total = until the last. ` +
      `${REPS} repetitions per cell (small and large alternating); ms; "added" = median − plain median, "×" = median ÷ plain median. ` +
      `Assets: ${ASSETS.map((a) => `\`${a.key}\` (${a.id})`).join(', ')}. ` +
      'Plain origin: the same file from the unbuilt site, no worker. PeerConnect sources: local cache = pieces already in IndexedDB; ' +
      'peer = forgotten locally, another browser holds it; origin fallback = forgotten locally, signaling up but nobody else holds it; ' +
      'signaling down = the signaling server stopped before the page loaded. "first bytes from" is the worker\'s `x-peer-connect-source` header; ' +
      "the byte split is from the worker's `peerconnect:served` reports.",
    '',
  ];
  for (const net of NETWORKS) {
    progress(`ttfb: ${net.label}`);
    const { assets, samples, notes } = await runNetwork(net, budget);
    out.push(
      `### ${net.label[0]!.toUpperCase()}${net.label.slice(1)}`,
      '',
      ttfbTable(assets, SOURCES, samples),
      '',
      ...notes.map((n) => `- ${n}`),
      '',
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`ttfb failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
