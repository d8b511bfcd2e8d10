/**
 * A launched runtime's process and everything it started (workerd under wrangler, a worker
 * thread's helper), read from /proc: what its memory is, and what to kill. Linux only, as the
 * test machines are.
 */
import { readdir, readFile } from 'node:fs/promises';

/** `pid` and all its descendants alive now (just `pid` if /proc cannot be listed). */
export async function processTree(pid: number): Promise<number[]> {
  const parents = new Map<number, number>();
  const entries = await readdir('/proc').catch(() => [] as string[]);
  await Promise.all(
    entries
      .filter((name) => /^\d+$/.test(name))
      .map(async (name) => {
        const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => null);
        // Field 4 is the parent; the command name before it is in parentheses and may hold spaces.
        const ppid = stat ? Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) : NaN;
        if (Number.isInteger(ppid)) parents.set(Number(name), ppid);
      }),
  );
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) {
    for (const [child, parent] of parents) if (parent === tree[i] && !tree.includes(child)) tree.push(child);
  }
  return tree;
}

/**
 * VmRSS summed over the tree, in bytes; a process that exits while being read counts 0. With
 * `name`, only the processes called that (bench/edge-load.ts: `workerd` alone, without the
 * wrangler tooling around it).
 */
export async function treeRssBytes(pid: number, name?: string): Promise<number> {
  const sizes = await Promise.all(
    (await processTree(pid)).map(async (member) => {
      const status = await readFile(`/proc/${member}/status`, 'utf8').catch(() => '');
      if (name !== undefined && /^Name:\s+(.*)$/m.exec(status)?.[1] !== name) return 0;
      const kib = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status)?.[1];
      return kib === undefined ? 0 : Number(kib) * 1024;
    }),
  );
  return sizes.reduce((sum, size) => sum + size, 0);
}

/** Sends `signal` to every listed process that still exists. */
export function signalAll(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // Already gone.
    }
  }
}
