/**
 * Starts one standalone signaling entry (signal-worker/adapter/<runtime>/main.ts) in a child
 * process and waits for its listening line: the one launcher every runtime's launch-*.ts uses,
 * so they differ only in the command they run.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DEFAULT_HEALTH_PATH, DEFAULT_SIGNAL_PATH, DEFAULT_TRACKER_PATH } from '../../protocol/routes.ts';
import { SIGNAL_CONFIG_VAR } from '../../signal-worker/adapter/signal-config.ts';
import { EXIT_WITH_STDIN_ENV, PORT_ENV, parseListeningLine } from '../../signal-worker/adapter/standalone.ts';
import { DASHBOARD_TOKEN_ENV } from '../../signal-worker/dashboard/token.ts';
import { processTree, signalAll, treeRssBytes } from './process-tree.ts';
import { type LaunchOptions, launchConfig, type RuntimeName, type RuntimeServer, RuntimeUnavailable } from './types.ts';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const DEFAULT_START_TIMEOUT_MS = 30_000;
/** How long a polite SIGTERM gets before SIGKILL; the entries exit within 1 s of it. */
const TERM_GRACE_MS = 3_000;
const KILL_WAIT_MS = 5_000;
const OUTPUT_TAIL_LINES = 30;

export interface StandaloneCommand {
  runtime: RuntimeName;
  /** Absolute path of the executable. */
  command: string;
  args: readonly string[];
  /** Added to the inherited environment. */
  env?: Readonly<Record<string, string>>;
}

/** Children still running, killed if the test process exits without stopping them. */
const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of live) if (child.pid !== undefined) signalAll([-child.pid, child.pid], 'SIGKILL');
});

export async function launchStandalone(command: StandaloneCommand, options: LaunchOptions = {}): Promise<RuntimeServer> {
  const { runtime } = command;
  if (!existsSync(command.command)) throw new RuntimeUnavailable(runtime, `${command.command} is missing (run npm install)`);
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    [PORT_ENV]: '0',
    [SIGNAL_CONFIG_VAR]: JSON.stringify(launchConfig(options)),
    [EXIT_WITH_STDIN_ENV]: '1',
    ...(options.dashboardToken === undefined ? {} : { [DASHBOARD_TOKEN_ENV]: options.dashboardToken }),
    ...command.env,
  };
  // Set by node --test for its own children; a runtime that is a Node process must not see it.
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(command.command, command.args, { cwd: REPO_ROOT, env, stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  live.add(child);
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  void exited.then(() => live.delete(child));

  const tail: string[] = [];
  const remember = (line: string): void => {
    tail.push(line);
    if (tail.length > OUTPUT_TAIL_LINES) tail.shift();
  };
  createInterface({ input: child.stderr! }).on('line', remember);
  const stdout = createInterface({ input: child.stdout! });

  let origin: string;
  try {
    origin = await new Promise<string>((resolve, reject) => {
      const timeoutMs = options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS;
      const timer = setTimeout(
        () => reject(new RuntimeUnavailable(runtime, `no listening line within ${timeoutMs} ms${outputOf(tail)}`)),
        timeoutMs,
      );
      stdout.on('line', (line) => {
        const found = parseListeningLine(line);
        if (found === null) return remember(line);
        clearTimeout(timer);
        resolve(found);
      });
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(new RuntimeUnavailable(runtime, `${command.command} did not start: ${err.message}`));
      });
      // 'close' rather than 'exit': by then the last stderr lines have been read.
      child.once('close', (code, signal) => {
        clearTimeout(timer);
        reject(new RuntimeUnavailable(runtime, `exited with ${signal ?? `code ${code}`} before listening${outputOf(tail)}`));
      });
    });
  } catch (err) {
    await stopTree(child, exited);
    throw err;
  }

  const pid = child.pid!;
  const ws = origin.replace(/^http/, 'ws');
  let stopping: Promise<void> | null = null;
  return {
    runtime,
    url: `${ws}${DEFAULT_SIGNAL_PATH}`,
    trackerUrl: `${ws}${DEFAULT_TRACKER_PATH}`,
    healthUrl: `${origin}${DEFAULT_HEALTH_PATH}`,
    rssBytes: () => treeRssBytes(pid),
    stop: () => (stopping ??= stopTree(child, exited)),
  };
}

/** SIGTERM to the whole tree, SIGKILL to whatever is left after the grace period; resolves on exit. */
async function stopTree(child: ChildProcess, exited: Promise<void>): Promise<void> {
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  // The tree is read first: a parent that exits first would orphan its children out of reach.
  const tree = await processTree(pid);
  signalAll([-pid, ...tree], 'SIGTERM');
  if (await settlesWithin(exited, TERM_GRACE_MS)) return;
  signalAll([-pid, ...tree, ...(await processTree(pid))], 'SIGKILL');
  if (!(await settlesWithin(exited, KILL_WAIT_MS))) throw new Error(`process ${pid} survived SIGKILL for ${KILL_WAIT_MS} ms`);
}

function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
  ]).finally(() => clearTimeout(timer));
}

function outputOf(tail: readonly string[]): string {
  return tail.length === 0 ? ' (no output)' : `; last output:\n${tail.join('\n')}`;
}
