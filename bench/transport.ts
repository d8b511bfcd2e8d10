/**
 * Transport: how fast pieces move between two browsers over our data-channel protocol, against
 * the raw RTCDataChannel ceiling between the same two Chromium processes in the same run, and
 * what the worker costs a request it does not handle (pass-through). Prints markdown on stdout.
 *   node --import tsx bench/transport.ts      (scripts/bench.js runs it in a network namespace)
 *
 * Throughput ladder, each rung adding one part of the real path (A uploads, B downloads):
 *   raw stream        page script, plain RTCPeerConnection, 64 KiB messages, ≤ 1 MiB queued
 *   raw req/resp      same channel, our protocol's shape (request → piece), W requests in flight
 *   PeerLink memory   the product's PeerLink over simple-peer, uploader reads from memory
 *   PeerLink idb      same, uploader reads each piece from IndexedDB as the bridge does
 *   full path         B fetch() → B worker → B bridge → A bridge (IndexedDB) → wire → B bridge →
 *                     MessageChannel → B worker (SHA-256 verify, IndexedDB write) → response stream
 */

import { loadavg } from 'node:os';
import { PIECE_SIZE, PIECES_IN_FLIGHT_PER_PEER } from '../protocol/limits.ts';
import { urlPathFor } from '../protocol/manifest.ts';
import { pieceCount } from '../protocol/pieces.ts';
import { launchVisitor, type Visitor } from '../tests/e2e/harness/browser.ts';
import { type OriginServer, startOriginServer } from '../tests/e2e/harness/origin-server.ts';
import { startSite, type TestSite, waitForReady } from '../tests/e2e/harness/site.ts';
import { forgetAsset, waitStored } from './lib/browser/local-store.ts';
import { Budget, sleep } from './lib/run/budget.ts';
import { progress } from './lib/run/log.ts';
import { type BigFile, LARGE_FILES, makeBigSite, SMALL_FILE, WARM_FILE } from './transport/big-site.ts';
import type { RunResult } from './transport/probe/api.ts';
import { connectProbes, injectProbe, probe } from './transport/probe/bundle.ts';
import { type FullRun, type PassSample, passThroughTable, type Rung, throughputTable, timelineTable } from './transport/report.ts';
import { addWireTap, type PieceTimeline, pieceTimeline, takeTap } from './transport/wire-tap.ts';
import { workerFetch } from './transport/worker-fetch.ts';

/** scripts/bench.js gives each file up to 8 min; this one and signaling share 6 min. */
const BUDGET_MS = 200_000;
const ROUNDS = 5;
/** One round takes ~15 s here; do not start one with less left than this. */
const ROUND_RESERVE_MS = 40_000;
/** Requested pieces per probe run: 16 MiB, the largest asset's size. */
const PROBE_PIECES = 256;
const PROBE_BYTES = PROBE_PIECES * PIECE_SIZE;
const WINDOWS = [PIECES_IN_FLIGHT_PER_PEER, 16];
const RUN_TIMEOUT_MS = 30_000;
const PASS_REPS = 60;
/** Any well-formed hash: the memory uploader ignores it. */
const ANY_HASH = '0'.repeat(64);
/** The bridge announces a stored asset on the worker's `stored` message; let it reach the server. */
const ANNOUNCE_GRACE_MS = 500;

async function openVisitor(name: string, site: TestSite): Promise<Visitor> {
  const v = await launchVisitor(name);
  await addWireTap(v.context);
  await v.open(site.url('index.html'));
  await waitForReady(v.page, 20_000);
  await injectProbe(v.page);
  return v;
}

type Step = { id: string; label: string; run(): Promise<RunResult>; tap?: boolean };

/** Every row, one run each per round, rows interleaved: CPU on this machine is shared, so load drift hits all rows alike. */
function probeSteps(a: Visitor, b: Visitor, idbHash: string): Step[] {
  const pa = probe(a.page);
  const pb = probe(b.page);
  const steps: Step[] = [
    {
      id: 'raw-stream',
      label: 'raw RTCDataChannel stream (64 KiB messages, ≤ 1 MiB queued)',
      run: async () => {
        await pb.rawArm(PROBE_BYTES);
        await pa.rawSend(PROBE_BYTES, PIECE_SIZE);
        return pb.rawResult(RUN_TIMEOUT_MS);
      },
    },
  ];
  for (const w of WINDOWS) {
    steps.push({
      id: `raw-rr-${w}`,
      label: `raw request/response, ${w} in flight (memory)`,
      run: () => pb.rawFetch(PROBE_PIECES, w, RUN_TIMEOUT_MS),
    });
  }
  for (const source of ['memory', 'idb'] as const) {
    for (const w of WINDOWS) {
      steps.push({
        id: `link-${source}-${w}`,
        label: `PeerLink over simple-peer, ${w} in flight, uploader reads ${source === 'idb' ? 'IndexedDB' : 'memory'}`,
        tap: true,
        run: async () => {
          await pa.linkServe(source);
          return pb.linkFetch(source === 'idb' ? idbHash : ANY_HASH, PROBE_PIECES, w, RUN_TIMEOUT_MS);
        },
      });
    }
  }
  return steps;
}

/** One full-path run: B fetches through its worker a file only A holds. */
async function fullRun(a: Visitor, b: Visitor, site: TestSite, f: BigFile): Promise<FullRun> {
  const asset = site.manifest.assets[f.key]!;
  await forgetAsset(b.page, asset.hash, pieceCount(asset.size, site.manifest.pieceSize));
  await takeTap(a.page);
  await takeTap(b.page);
  const fetch = await workerFetch(b.page, `/${urlPathFor(f.key)}`, f.key, RUN_TIMEOUT_MS);
  const tapB = await takeTap(b.page);
  const timeline = pieceTimeline(tapB, await takeTap(a.page));
  const lastIn = Math.max(...tapB.filter((r) => r.kind === 'piece' && r.dir === 'in').map((r) => r.t));
  // The next run must start with B's writes finished, or they compete with it.
  await waitStored(b.page, asset.hash, pieceCount(asset.size, site.manifest.pieceSize), 10_000);
  return { key: f.key, size: f.size, fetch, timeline, tailMs: fetch.endAt - lastIn };
}

async function ladder(
  a: Visitor,
  b: Visitor,
  site: TestSite,
  budget: Budget,
): Promise<{ rungs: Rung[]; timelines: Map<string, PieceTimeline>; full: FullRun[] }> {
  await connectProbes('raw', a.page, b.page);
  await connectProbes('link', a.page, b.page);
  await probe(a.page).rawServe(PIECE_SIZE);
  const largest = LARGE_FILES[LARGE_FILES.length - 1]!;
  const steps = probeSteps(a, b, site.manifest.assets[largest.key]!.hash);
  const rungs: Rung[] = steps.map((s) => ({ id: s.id, label: s.label, runs: [] }));
  const timelines = new Map<string, PieceTimeline>();
  const full: FullRun[] = [];
  // Opens B's link to A (signaling + WebRTC) so no timed fetch includes a connection set-up.
  const warm = await workerFetch(b.page, `/${urlPathFor(WARM_FILE.key)}`, WARM_FILE.key, RUN_TIMEOUT_MS);
  if (warm.peerBytes !== WARM_FILE.size)
    progress(`transport: warm-up came ${warm.peerBytes ?? 0} bytes from peers (want all ${WARM_FILE.size})`);
  for (let round = 0; round < ROUNDS && !budget.short(ROUND_RESERVE_MS); round++) {
    progress(`transport: round ${round + 1}/${ROUNDS}`);
    for (const [k, step] of steps.entries()) {
      if (step.tap) {
        await takeTap(a.page);
        await takeTap(b.page);
      }
      rungs[k]!.runs.push(await step.run());
      if (step.tap) timelines.set(step.id, pieceTimeline(await takeTap(b.page), await takeTap(a.page)));
    }
    for (const f of LARGE_FILES) full.push(await fullRun(a, b, site, f));
  }
  return { rungs, timelines, full };
}

/** Non-manifest requests: B's controlled tab against a tab of the same browser on an origin with no worker. */
async function passThrough(b: Visitor, plain: OriginServer): Promise<PassSample[]> {
  const plainTab = await b.context.newPage();
  await plainTab.goto(`${plain.url}/index.html`, { waitUntil: 'load' });
  const samples: PassSample[] = [];
  const paths = { html: () => '/index.html', query: (i: number) => `/${urlPathFor(SMALL_FILE.key)}?v=${i}` };
  for (let i = 0; i < PASS_REPS; i++) {
    for (const what of ['html', 'query'] as const) {
      for (const [worker, page] of [
        [true, b.page],
        [false, plainTab],
      ] as const) {
        const r = await workerFetch(page, paths[what](i), null, 10_000);
        if (r.ok) samples.push({ what, worker, ms: r.totalMs });
      }
    }
  }
  const controlled = await b.page.evaluate(() => navigator.serviceWorker.controller !== null);
  if (!controlled) throw new Error('pass-through: the worker tab is not controlled');
  await plainTab.close();
  return samples;
}

async function main(): Promise<void> {
  const budget = new Budget(BUDGET_MS);
  const loadBefore = loadavg()[0]!;
  const big = await makeBigSite();
  let site: TestSite | undefined;
  let plain: OriginServer | undefined;
  const visitors: Visitor[] = [];
  let rungs: Rung[] = [];
  let timelines = new Map<string, PieceTimeline>();
  let full: FullRun[] = [];
  let pass: PassSample[] = [];
  try {
    // Torrents off: this measures our data-channel wire, and files of 8 MiB and more would otherwise
    // go through WebTorrent (bench/video.ts measures that path).
    site = await startSite({ siteDir: big.dir, origin: { validators: false }, build: { torrents: 'off' } });
    plain = await startOriginServer({ root: big.dir, validators: false });
    progress('transport: launching two visitors');
    const a = await openVisitor('tp-a', site);
    visitors.push(a);
    const b = await openVisitor('tp-b', site);
    visitors.push(b);
    // A gets every file from the origin through its worker, stores and announces them: A is the seeder.
    for (const f of [WARM_FILE, ...LARGE_FILES]) {
      const asset = site.manifest.assets[f.key]!;
      await workerFetch(a.page, `/${urlPathFor(f.key)}`, f.key, RUN_TIMEOUT_MS);
      if (!(await waitStored(a.page, asset.hash, pieceCount(asset.size, site.manifest.pieceSize), 10_000)))
        throw new Error(`seeder did not store ${f.key}`);
    }
    await sleep(ANNOUNCE_GRACE_MS);
    ({ rungs, timelines, full } = await ladder(a, b, site, budget));
    progress('transport: pass-through');
    pass = await passThrough(b, plain);
  } finally {
    for (const v of visitors) await v.close();
    await site?.close();
    await plain?.close();
    await big.remove();
  }
  const out = [
    '## Transport: our data-channel protocol against raw RTCDataChannel, and worker pass-through',
    '',
    'Two Chromium processes (A uploads, B downloads) on loopback, the same two for every row. ' +
      `MB/s = 10^6 bytes per second on the receiver's clock; up to ${ROUNDS} rounds, each running every row once, in table order (rows interleaved, so load drift hits all alike); median (min–max). ` +
      `Probe rows move ${PROBE_BYTES / 2 ** 20} MiB (${PROBE_PIECES} pieces of ${PIECE_SIZE / 1024} KiB). ` +
      "Full-path rows are `fetch()` of a generated file of random bytes from B's page, every byte from A (checked from the worker's report), " +
      "B's copy forgotten before each run, the link already open. A wire tap (a wrapper around RTCDataChannel send/onmessage, in both " +
      'browsers, for every row) time-stamps each request and piece frame.',
    '',
    throughputTable(rungs, full),
    '',
    `Machine load (1-min load average, 2 cores; the CPU is shared with whatever else runs): ${loadBefore.toFixed(1)} at the start, ${loadavg()[0]!.toFixed(1)} at the end.`,
    '',
    '### Where the time goes (per piece, medians / p90, ms; last round)',
    '',
    'Wire-tap timestamps, paired by request id: B sends `req` → A receives it → A hands the piece to its channel → B receives it. ' +
      '"A backlog" = requests A had received and not yet answered when it sent a piece; "A queued" = the channel\'s bufferedAmount just after that send; ' +
      '"A idle" = share of the transfer during which A had answered every request it had received.',
    '',
    timelineTable(timelines, full),
    '',
    '### Service-worker pass-through: a request the worker does not handle',
    '',
    passThroughTable(pass, PASS_REPS),
    '',
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`transport failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
