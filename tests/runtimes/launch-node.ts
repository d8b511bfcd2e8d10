/** Node: signal-worker/adapter/node/main.ts in its own `node --import tsx` process, so RSS is its own. */
import { join } from 'node:path';
import { launchStandalone, REPO_ROOT } from './spawn-server.ts';
import type { LaunchOptions, RuntimeServer } from './types.ts';

export function launchNode(options: LaunchOptions = {}): Promise<RuntimeServer> {
  return launchStandalone(
    { runtime: 'node', command: process.execPath, args: ['--import', 'tsx', join(REPO_ROOT, 'signal-worker/adapter/node/main.ts')] },
    options,
  );
}
