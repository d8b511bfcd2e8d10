/**
 * The servers bench/edge-load.ts compares, behind one shape: our signaling app started for real
 * in each runtime by tests/runtimes/launch.ts, and bittorrent-tracker's WebSocket server alone in
 * a Node child (bench/lib/signal-server-child.ts). A server that cannot start throws, with the
 * reason, so its row says why instead of disappearing.
 */
import type { LaunchOptions, RuntimeName, RuntimeServer } from '../../tests/runtimes/types.ts';
import { endChild, forkChild, nextMessage } from './child-ipc.ts';
import { treeRssBytes } from './proc-rss.ts';
import type { ServerKind, ServerReply, ServerRequest } from './signal-ipc.ts';

export type EdgeServerName = RuntimeName | 'bittorrent-tracker';

export interface ServerUnderTest {
  name: EdgeServerName;
  /** The WebTorrent tracker's WebSocket URL. */
  trackerUrl: string;
  /** Resident memory of the server's process tree, bytes. */
  rssBytes(): Promise<number>;
  stop(): Promise<void>;
  /** How it was started, when not the usual way (shown under the table). */
  note?: string;
  /** The processes that are the runtime itself, when the tree also holds its tooling (wrangler around workerd). */
  part?: { label: string; rssBytes(): Promise<number> };
}

type Launch = (name: RuntimeName, options?: LaunchOptions) => Promise<RuntimeServer>;

/**
 * Imported by a computed path because launch.ts is being written alongside this benchmark: until
 * it exists the runtimes' rows say so, and everything else still runs.
 */
const LAUNCH_MODULE = '../../tests/runtimes/launch.ts';

let launcher: Promise<Launch> | null = null;
function loadLauncher(): Promise<Launch> {
  launcher ??= import(new URL(LAUNCH_MODULE, import.meta.url).href).then((mod: { launchRuntime?: unknown }) => {
    if (typeof mod.launchRuntime !== 'function') throw new Error('tests/runtimes/launch.ts exports no launchRuntime');
    return mod.launchRuntime as Launch;
  }, (err: unknown) => {
    throw new Error(`tests/runtimes/launch.ts not loadable (${(err as Error).message.split('\n')[0]})`);
  });
  return launcher;
}

async function startRuntime(name: RuntimeName, startTimeoutMs: number): Promise<ServerUnderTest> {
  let launch: Launch;
  try {
    launch = await loadLauncher();
  } catch (err) {
    if (name !== 'node') throw err;
    // Node's row can still be measured without the launcher: the same app, same adapter.
    const child = await startChild('ours', name, startTimeoutMs);
    return { ...child, trackerUrl: child.trackerUrl.replace(/\/peer-connect\/signal$/, '/peer-connect/announce'), note: `started by bench/lib/signal-server-child.ts: ${(err as Error).message}` };
  }
  const server = await launch(name, { startTimeoutMs });
  return { name, trackerUrl: server.trackerUrl, rssBytes: () => server.rssBytes(), stop: () => server.stop(), ...(name === 'workerd' ? { part: workerdPart } : {}) };
}

/**
 * `wrangler dev` runs workerd twice (its proxy worker on our port, the worker and its Durable
 * Objects behind it) under two Node processes and esbuild. The launcher's RSS is that whole
 * tree; the workerd processes alone are what a workerd deployment would carry. They are this
 * process's descendants (through wrangler), so another suite's workerd is never counted.
 */
const workerdPart = { label: 'the two workerd processes alone (wrangler\'s proxy worker and the runtime)', rssBytes: () => treeRssBytes(process.pid, 'workerd') };

/** A server in a Node child of bench/lib/signal-server-child.ts; `url` is what that child reports. */
async function startChild(kind: ServerKind, name: EdgeServerName, startTimeoutMs: number): Promise<ServerUnderTest> {
  const child = forkChild('signal-server-child.ts', [kind]);
  const stop = (): Promise<void> => endChild(child, () => child.send({ type: 'stop' } satisfies ServerRequest), 2_000);
  try {
    const ready = await nextMessage<ServerReply, 'ready'>(child, ['ready'], startTimeoutMs);
    const pid = child.pid;
    if (pid === undefined) throw new Error(`${name} child has no pid`);
    return { name, trackerUrl: ready.url, rssBytes: () => treeRssBytes(pid), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

export function startServer(name: EdgeServerName, startTimeoutMs: number): Promise<ServerUnderTest> {
  return name === 'bittorrent-tracker' ? startChild('tracker', name, startTimeoutMs) : startRuntime(name, startTimeoutMs);
}
