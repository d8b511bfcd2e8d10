/**
 * The servers bench/edge-load.ts compares, behind one shape: our signaling app started for real
 * in each runtime by tests/runtimes/launch.ts, and bittorrent-tracker's WebSocket server alone in
 * a Node child (bench/lib/signaling/server-child.ts). A server that cannot start throws, with the
 * reason, so its row says why instead of disappearing.
 */
import { launchRuntime } from '../../tests/runtimes/launch.ts';
import { treeRssBytes } from '../../tests/runtimes/process-tree.ts';
import type { RuntimeName, RuntimeServer } from '../../tests/runtimes/types.ts';
import { endChild, forkChild, nextMessage } from '../lib/run/child-ipc.ts';
import type { ServerKind, ServerReply, ServerRequest } from '../lib/signaling/ipc.ts';

export type EdgeServerName = RuntimeName | 'bittorrent-tracker';

export interface ServerUnderTest {
  name: EdgeServerName;
  /** The WebTorrent tracker's WebSocket URL. */
  trackerUrl: string;
  /** Resident memory of the server's process tree, bytes. */
  rssBytes(): Promise<number>;
  /** Still serving: its health route answers (a runtime), or its process is alive (bittorrent-tracker). */
  alive(): Promise<boolean>;
  stop(): Promise<void>;
  /** The processes that are the runtime itself, when the tree also holds its tooling (wrangler around workerd). */
  part?: { label: string; rssBytes(): Promise<number> };
}

async function startRuntime(name: RuntimeName, startTimeoutMs: number): Promise<ServerUnderTest> {
  const server = await launchOnce(name, startTimeoutMs).catch((err: unknown) => {
    // A free port picked by the launcher can be taken by someone else's server before the runtime
    // binds it (other suites start servers on this machine too): that is no fault of the runtime.
    if (!/address already in use/i.test(String((err as Error).message))) throw err;
    return launchOnce(name, startTimeoutMs);
  });
  return {
    name,
    trackerUrl: server.trackerUrl,
    rssBytes: () => server.rssBytes(),
    alive: () =>
      fetch(server.healthUrl, { signal: AbortSignal.timeout(5_000) }).then(
        (r) => r.ok,
        () => false,
      ),
    stop: () => server.stop(),
    ...(name === 'workerd' ? { part: workerdPart } : {}),
  };
}

const launchOnce = (name: RuntimeName, startTimeoutMs: number): Promise<RuntimeServer> => launchRuntime(name, { startTimeoutMs });

/**
 * `wrangler dev` runs workerd twice (its proxy worker on our port, the worker and its Durable
 * Objects behind it) under two Node processes and esbuild. The launcher's RSS is that whole
 * tree; the workerd processes alone are the runtime's share, without the tooling. They are this
 * process's descendants (through wrangler), so another suite's workerd is never counted.
 */
const workerdPart = {
  label: "the two workerd processes alone (wrangler's proxy worker and the runtime)",
  rssBytes: () => treeRssBytes(process.pid, 'workerd'),
};

/** bittorrent-tracker in a Node child of its own (bench/lib/signaling/server-child.ts, as bench/signaling.ts runs it). */
async function startTracker(startTimeoutMs: number): Promise<ServerUnderTest> {
  const name = 'bittorrent-tracker';
  const child = forkChild(new URL('../lib/signaling/server-child.ts', import.meta.url), ['tracker' satisfies ServerKind]);
  const stop = (): Promise<void> => endChild(child, () => child.send({ type: 'stop' } satisfies ServerRequest), 2_000);
  try {
    const ready = await nextMessage<ServerReply, 'ready'>(child, ['ready'], startTimeoutMs);
    const pid = child.pid;
    if (pid === undefined) throw new Error(`${name} child has no pid`);
    return {
      name,
      trackerUrl: ready.url,
      rssBytes: () => treeRssBytes(pid),
      alive: async () => child.exitCode === null && child.signalCode === null,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

export function startServer(name: EdgeServerName, startTimeoutMs: number): Promise<ServerUnderTest> {
  return name === 'bittorrent-tracker' ? startTracker(startTimeoutMs) : startRuntime(name, startTimeoutMs);
}
