/** Bun from node_modules/.bin; `--no-install` so a missing package fails instead of being fetched. */
import { join } from 'node:path';
import { launchStandalone, REPO_ROOT } from './spawn-server.ts';
import type { LaunchOptions, RuntimeServer } from './types.ts';

export function launchBun(options: LaunchOptions = {}): Promise<RuntimeServer> {
  return launchStandalone(
    {
      runtime: 'bun',
      command: join(REPO_ROOT, 'node_modules/.bin/bun'),
      args: ['run', '--no-install', join(REPO_ROOT, 'signal-worker/adapter/bun/main.ts')],
      env: { NO_COLOR: '1' },
    },
    options,
  );
}
