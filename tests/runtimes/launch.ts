/** One entry for the compliance suite and the load benchmark: start `name` for real on 127.0.0.1. */
import { launchBun } from './launch-bun.ts';
import { launchDeno } from './launch-deno.ts';
import { launchNode } from './launch-node.ts';
import { type LaunchOptions, type RuntimeName, type RuntimeServer, RuntimeUnavailable } from './types.ts';

export async function launchRuntime(name: RuntimeName, options: LaunchOptions = {}): Promise<RuntimeServer> {
  switch (name) {
    case 'node':
      return launchNode(options);
    case 'deno':
      return launchDeno(options);
    case 'bun':
      return launchBun(options);
    case 'workerd':
      return launchWorkerdModule(options);
  }
}

/**
 * launch-workerd.ts is written separately; loaded on demand so the other runtimes launch (and
 * this file compiles) whether or not it exists yet, and its absence fails by runtime name.
 */
async function launchWorkerdModule(options: LaunchOptions): Promise<RuntimeServer> {
  const specifier = './launch-workerd.ts';
  let module: { launchWorkerd?: (options: LaunchOptions) => Promise<RuntimeServer> };
  try {
    module = (await import(specifier)) as typeof module;
  } catch (err) {
    throw new RuntimeUnavailable('workerd', `tests/runtimes/launch-workerd.ts could not be loaded: ${(err as Error).message}`);
  }
  if (typeof module.launchWorkerd !== 'function')
    throw new RuntimeUnavailable('workerd', 'tests/runtimes/launch-workerd.ts exports no launchWorkerd');
  return module.launchWorkerd(options);
}
