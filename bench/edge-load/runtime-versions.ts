/** The versions a benchmark ran on, from the binaries npm installed, so the printed table says what it measured. */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

function firstLine(bin: string): string {
  const r = spawnSync(`${root}node_modules/.bin/${bin}`, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? (r.stdout.split('\n')[0] ?? '').trim() : 'unknown';
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(`${root}node_modules/${name}/package.json`, 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}

export function runtimeVersions(): string {
  return [
    `Node ${process.version}`,
    firstLine('deno').replace(/^deno /, 'Deno '),
    `Bun ${firstLine('bun')}`,
    firstLine('workerd').replace(/^workerd /, 'workerd '),
    `bittorrent-tracker ${packageVersion('bittorrent-tracker')}`,
  ].join(', ');
}
