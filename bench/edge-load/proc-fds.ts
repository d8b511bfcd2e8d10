/**
 * Open files (sockets included) of this process's descendants, from /proc (Linux). Each peer is
 * one WebSocket, so a server's open files per peer, against the per-process limit, is how many
 * peers it can hold before `accept` fails, whatever its memory.
 */
import { readdir, readFile } from 'node:fs/promises';
import { processTree } from '../../tests/runtimes/process-tree.ts';

/**
 * Open files of the server under test: every descendant of this process except `exclude` (the
 * load child). The limit is per process, so the busiest one (wrangler's proxy, for workerd) is
 * what runs out first.
 */
export async function serverOpenFiles(exclude: number): Promise<{ busiest: number }> {
  const pids = (await processTree(process.pid)).filter((pid) => pid !== process.pid && pid !== exclude);
  const counts = await Promise.all(
    pids.map((pid) =>
      readdir(`/proc/${pid}/fd`).then(
        (fds) => fds.length,
        () => 0,
      ),
    ),
  );
  return { busiest: Math.max(0, ...counts) };
}

/** The soft limit on open files each process here inherits (`ulimit -n`). */
export async function openFilesLimit(): Promise<number> {
  const limits = await readFile('/proc/self/limits', 'utf8').catch(() => '');
  return Number(/^Max open files\s+(\d+)/m.exec(limits)?.[1] ?? Number.NaN);
}
