#!/usr/bin/env node
// Runs every test in one `node --test` process (so CI reads one closing summary), inside a
// loopback-only network namespace when this machine allows it (root + unshare): Chromium gathers
// WebRTC candidates on every interface, and our tests must never reach beyond 127.0.0.1.
// Every run type-checks both TypeScript projects and runs the format and lint check (Biome)
// first, and stops on an error.
//   node scripts/test.js                       all tests: unit, compliance, e2e, in that order
//   node scripts/test.js unit|compliance|e2e   one group
// compliance runs the signaling suite against every runtime (Node, Deno, Bun, workerd), each
// started for real; a runtime that cannot start fails by name.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// Type-check first, both projects (the worker has its own lib): tsx only strips types, so
// without this a type error would run, and land.
for (const project of ['tsconfig.json', 'sw/tsconfig.json']) {
  const checked = spawnSync(process.execPath, [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', project, '--noEmit'], {
    cwd: root,
    stdio: 'inherit',
  });
  if (checked.status !== 0) {
    console.error(`type check failed (${project}): fix the errors above; no test was run`);
    process.exit(checked.status ?? 1);
  }
}
// Then the formatter and linter (biome.jsonc): `npx biome check --write .` fixes what it can.
const linted = spawnSync(process.execPath, [join(root, 'node_modules', '@biomejs', 'biome', 'bin', 'biome'), 'ci', '.'], {
  cwd: root,
  stdio: 'inherit',
});
if (linted.status !== 0) {
  console.error('format or lint check failed: run `npx biome check --write .` and fix what remains; no test was run');
  process.exit(linted.status ?? 1);
}
const groups = process.argv[2] ? [process.argv[2]] : ['unit', 'compliance', 'e2e'];
const files = groups.flatMap((g) => {
  const dir = join('tests', g);
  if (!existsSync(join(root, dir))) return [];
  return readdirSync(join(root, dir))
    .filter((f) => f.endsWith('.test.ts'))
    .sort()
    .map((f) => join(dir, f));
});
if (files.length === 0) {
  console.error('no test files found');
  process.exit(1);
}

const nodeArgs = ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=spec', ...files];
const inNamespace = process.env.PEER_CONNECT_NETNS === '1';
const canUnshare = process.getuid?.() === 0 && spawnSync('unshare', ['--version']).status === 0;

let result;
if (!inNamespace && canUnshare) {
  const quoted = [process.execPath, ...nodeArgs].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  result = spawnSync('unshare', ['-n', 'sh', '-c', `ip link set lo up && exec ${quoted}`], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, PEER_CONNECT_NETNS: '1' },
  });
} else {
  if (!inNamespace) {
    console.warn('warning: not root or no unshare: tests run on the host network (browsers are still told to use loopback only)');
  }
  result = spawnSync(process.execPath, nodeArgs, { cwd: root, stdio: 'inherit' });
}
process.exit(result.status ?? 1);
