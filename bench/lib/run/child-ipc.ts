/** Forking a benchmark's child process under tsx and waiting for its IPC replies, with a time limit on each. */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** `file`: the child's module, e.g. `new URL('./load-child.ts', import.meta.url)`. `exposeGc`: so it can collect before reading its memory. */
export function forkChild(file: URL, args: readonly string[] = [], options: { exposeGc?: boolean } = {}): ChildProcess {
  return fork(fileURLToPath(file), [...args], {
    execArgv: ['--import', 'tsx', ...(options.exposeGc ? ['--expose-gc'] : [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** The next IPC message whose `type` is one of `types`, or an error after `ms` or if the child goes away. */
export function nextMessage<T extends { type: string }, K extends T['type']>(
  proc: ChildProcess,
  types: readonly K[],
  ms: number,
): Promise<Extract<T, { type: K }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`no ${types.join('/')} from child within ${ms} ms`)), ms);
    const onMessage = (m: unknown): void => {
      const type = typeof m === 'object' && m !== null ? (m as { type?: unknown }).type : undefined;
      if ((types as readonly unknown[]).includes(type)) done(null, m as Extract<T, { type: K }>);
    };
    // 'close', not 'exit': it comes after the IPC channel drained, so a last message is never lost.
    const onClose = (code: number | null): void => done(new Error(`child exited (${code}) before ${types.join('/')}`));
    const done = (err: Error | null, value?: Extract<T, { type: K }>): void => {
      clearTimeout(timer);
      proc.off('message', onMessage);
      proc.off('close', onClose);
      if (err) reject(err);
      else resolve(value as Extract<T, { type: K }>);
    };
    proc.on('message', onMessage);
    proc.on('close', onClose);
  });
}

/** Ends a child: `politely` first (e.g. an IPC stop), SIGKILL if it is still there after `graceMs`. */
export async function endChild(proc: ChildProcess, politely: () => void, graceMs: number): Promise<void> {
  if (proc.exitCode !== null || proc.signalCode !== null) return;
  const gone = new Promise<void>((r) => proc.once('close', () => r()));
  try {
    politely();
  } catch {
    // The IPC channel is already closed; the kill below ends it.
  }
  const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
  await gone;
  clearTimeout(timer);
}
