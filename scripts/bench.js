#!/usr/bin/env node
// Runs every benchmark (bench/*.ts, in name order), each in its own `node --expose-gc --import tsx` process (gc for the memory figures),
// collects the markdown each prints on stdout, and writes it with the machine's details to
// bench/RESULTS.md. Never part of `npm test`: it takes minutes and its numbers are not pass/fail.
// Like scripts/test.js it runs inside a loopback-only network namespace when this machine allows
// it (root + unshare): Chromium gathers WebRTC candidates on every interface, and the benchmarks'
// bandwidth cap (tc on `lo`) must only ever touch a namespace of our own.
//   node scripts/bench.js             all benchmarks
//   node scripts/bench.js ttfb        only bench/ttfb.ts
//   node scripts/bench.js transport signaling   only those; RESULTS.md keeps the other sections from its previous run
//   node scripts/bench.js edge-load   only bench/edge-load.ts: the tracker on Node, Deno, Bun and workerd against
//                                     bittorrent-tracker (≤ 6 min; the runtimes come from node_modules/.bin)
//   node scripts/bench.js swarm-sim   only bench/swarm-sim.ts: the swarm simulator (issue 13), N = 10…10,000 visitors on the
//                                     real scheduling modules over simulated links (≤ 3 min; no browser)
//   node scripts/bench.js video       only bench/video.ts: time to first frame, plain vs WebTorrent through the worker
//                                     (web seed, then a peer), and where the time goes (≤ 4 min; a larger video if ffmpeg is there)
import { spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** Each file enforces its own smaller budget; this only stops a wedged one. */
const PER_FILE_LIMIT_MS = 8 * 60_000;
/** The whole run, namespace set-up included, must stay under 20 minutes (issue 5). */
const TOTAL_LIMIT_MS = 19 * 60_000;
const CHROMIUM_BINARY = '/usr/lib/chromium/chromium';

const inNamespace = process.env.PEER_CONNECT_NETNS === '1';
const canUnshare = process.getuid?.() === 0 && spawnSync('unshare', ['--version']).status === 0;
if (!inNamespace && canUnshare) {
  const args = [process.execPath, fileURLToPath(import.meta.url), ...process.argv.slice(2)];
  const quoted = args.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const result = spawnSync('unshare', ['-n', 'sh', '-c', `ip link set lo up && exec ${quoted}`], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, PEER_CONNECT_NETNS: '1' },
  });
  process.exit(result.status ?? 1);
}
if (!inNamespace) {
  console.warn(
    'warning: not root or no unshare: benchmarks run on the host network (browsers still use loopback only), and the origin bandwidth cap falls back to a per-response throttle',
  );
}

const only = process.argv.slice(2);
const allFiles = readdirSync(join(root, 'bench'))
  .filter((f) => f.endsWith('.ts'))
  .sort();
const files = allFiles.filter((f) => only.length === 0 || only.includes(f.slice(0, -'.ts'.length)));
if (files.length === 0 || files.length < only.length) {
  console.error(only.length ? `no benchmark among bench/{${only.join(',')}}.ts` : 'no benchmarks in bench/');
  process.exit(1);
}
const resultsPath = join(root, 'bench', 'RESULTS.md');

/**
 * A partial run keeps the other benchmarks' sections from the previous RESULTS.md, so running one
 * benchmark never deletes another's numbers. Each section ends with the trailer line this script
 * writes (`_bench/x.ts: N s._` or `**bench/x.ts ...**`).
 */
function previousSections() {
  const sections = new Map();
  let text;
  try {
    text = readFileSync(resultsPath, 'utf8');
  } catch {
    return sections;
  }
  let start = text.indexOf('\n## ') + 1;
  if (start === 0) return sections;
  for (const m of text.matchAll(/^(?:_bench\/([\w.-]+\.ts): [^\n]*\._|\*\*bench\/([\w.-]+\.ts) [^\n]*\*\*)$/gm)) {
    const end = m.index + m[0].length;
    sections.set(m[1] ?? m[2], `${text.slice(start, end).trim()}\n`);
    start = end;
  }
  return sections;
}
const kept = only.length ? previousSections() : new Map();

function chromiumVersion() {
  const r = spawnSync(CHROMIUM_BINARY, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}

/** The code measured: the commit, and `-dirty` when the working tree has changes beyond it. */
function codeVersion() {
  const r = spawnSync('git', ['describe', '--always', '--dirty'], { cwd: root, encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? r.stdout.trim() : 'unknown';
}

function machineInfo() {
  const cpu = cpus();
  return [
    `- Date: ${new Date().toISOString()}`,
    `- CPU: ${cpu[0]?.model.trim() ?? 'unknown'}, ${cpu.length} cores; memory ${(totalmem() / 2 ** 30).toFixed(0)} GiB; Linux ${release()}`,
    `- Browser: ${chromiumVersion()} (headless, one process per visitor; at most 3 at once, up to 20 in bench/offload-curve.ts)`,
    `- Node: ${process.version}`,
    `- Code: ${codeVersion()}`,
    `- Network: ${inNamespace ? 'loopback-only network namespace (unshare -n)' : 'host network (no namespace available)'}`,
    `- Command: \`npm run bench\``,
  ].join('\n');
}

/** Runs one benchmark file; resolves with its stdout (the markdown) and how it ended. */
function runBenchmark(file, limitMs) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', join('bench', file)], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      process.stdout.write(d);
    });
    let timedOut = false;
    // SIGTERM first: Playwright closes its browsers on it; SIGKILL only if that does not end it.
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    }, limitMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ out, code, signal, timedOut });
    });
  });
}

const started = Date.now();
const sections = new Map();
let failed = false;
for (const file of files) {
  const left = TOTAL_LIMIT_MS - (Date.now() - started);
  if (left < 60_000) {
    sections.set(file, `## bench/${file}\n\nNot run: the whole run's time limit was reached.\n`);
    failed = true;
    continue;
  }
  console.error(`\n== bench/${file}`);
  const t0 = Date.now();
  const r = await runBenchmark(file, Math.min(PER_FILE_LIMIT_MS, left));
  const took = `${((Date.now() - t0) / 1000).toFixed(0)} s`;
  if (r.code === 0) {
    sections.set(file, `${r.out.trim()}\n\n_bench/${file}: ${took}._\n`);
  } else {
    failed = true;
    const why = r.timedOut ? `stopped after ${took} (time limit)` : `exited with ${r.code ?? r.signal} after ${took}`;
    sections.set(
      file,
      `${r.out.trim() ? `${r.out.trim()}\n\n` : `## bench/${file}\n\n`}**bench/${file} ${why}; its output above, if any, is partial.**\n`,
    );
  }
}

const doc = [
  '# PeerConnect benchmarks',
  '',
  "Written by `npm run bench` (scripts/bench.js) from the benchmarks' own printed output; do not edit by hand.",
  '',
  machineInfo(),
  `- Whole run: ${((Date.now() - started) / 1000).toFixed(0)} s`,
  ...(only.length ? [`- Partial run: only ${files.map((f) => `bench/${f}`).join(', ')}; the other sections are from an earlier run`] : []),
  '',
  ...allFiles.map((f) => sections.get(f) ?? kept.get(f)).filter((s) => s !== undefined),
].join('\n');
writeFileSync(resultsPath, doc);
console.error(`\nwrote bench/RESULTS.md (${((Date.now() - started) / 1000).toFixed(0)} s)`);
process.exit(failed ? 1 : 0);
