/**
 * What a compliance case is: a name and a run against one started server. Cases open their
 * sockets through the context, which terminates every one when the case ends, passed or not,
 * so a failing case never leaves connections that change what the next case sees.
 */
import type { TestContext } from 'node:test';
import type { RuntimeServer } from '../../runtimes/types.ts';
import { SignalClient } from './signal-client.ts';
import { TrackerClient } from './tracker-client.ts';

export interface CaseContext {
  server: RuntimeServer;
  t: TestContext;
  /**
   * A signaling socket for `swarm`, sent with the suite's allowed Origin unless told otherwise,
   * from 127.0.0.1 unless `from` names another loopback address (another client address).
   */
  signal(swarm: string, origin?: string, from?: string): Promise<SignalClient>;
  /** A tracker socket, with no Origin unless told otherwise, from 127.0.0.1 unless `from` names another loopback address. */
  tracker(origin?: string, from?: string): Promise<TrackerClient>;
  /** Runs when the case ends (for clients that are not plain sockets). */
  defer(cleanup: () => Promise<void> | void): void;
}

export interface ComplianceCase {
  name: string;
  run(context: CaseContext): Promise<void>;
}

/** Runs one case with a fresh context and cleans up after it. */
export async function runCase(testCase: ComplianceCase, server: RuntimeServer, t: TestContext): Promise<void> {
  const cleanups: Array<() => Promise<void> | void> = [];
  const context: CaseContext = {
    server,
    t,
    signal: async (swarm, origin, from) => {
      const client = await SignalClient.open(server, swarm, origin, from);
      cleanups.push(() => client.ws.terminate());
      return client;
    },
    tracker: async (origin, from) => {
      const client = await TrackerClient.open(server, origin, from);
      cleanups.push(() => client.ws.terminate());
      return client;
    },
    defer: (cleanup) => void cleanups.push(cleanup),
  };
  try {
    await testCase.run(context);
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
  }
}
