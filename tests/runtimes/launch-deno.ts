/**
 * Deno 2 from node_modules/.bin. It resolves `hono` from the project's node_modules because
 * there is a package.json (`--node-modules-dir=manual` says so explicitly and never installs);
 * `--no-remote`, no lock file and no update check keep it off the network, which tests lack.
 */
import { join } from 'node:path';
import { launchStandalone, REPO_ROOT } from './spawn-server.ts';
import type { LaunchOptions, RuntimeServer } from './types.ts';

export function launchDeno(options: LaunchOptions = {}): Promise<RuntimeServer> {
  return launchStandalone(
    {
      runtime: 'deno',
      command: join(REPO_ROOT, 'node_modules/.bin/deno'),
      args: [
        'run',
        '--allow-net',
        '--allow-env',
        '--no-prompt',
        '--no-remote',
        '--no-lock',
        '--node-modules-dir=manual',
        join(REPO_ROOT, 'signal-worker/adapter/deno/main.ts'),
      ],
      env: { DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' },
    },
    options,
  );
}
