/**
 * Resident memory of a process and its descendants, read from /proc (Linux), in bytes. Used for
 * bittorrent-tracker's child the way the runtime launchers measure theirs, so every row of
 * bench/edge-load.ts is the same measurement: no forced GC, RSS as the kernel counts it. By
 * process name, it also splits workerd from the wrangler tooling that launches it.
 */
import { readdir, readFile } from 'node:fs/promises';

async function parentOf(pid: number): Promise<number | null> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may contain spaces: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[1]);
  } catch {
    return null;
  }
}

async function rssOf(pid: number, name: string | undefined): Promise<number> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    if (name !== undefined && /^Name:\s+(.*)$/m.exec(status)?.[1] !== name) return 0;
    const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
    return kib ? Number(kib) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Summed over `root` and its descendants; only the processes called `name` when given (e.g. `workerd` under wrangler). */
export async function treeRssBytes(root: number, name?: string): Promise<number> {
  const pids = (await readdir('/proc')).filter((d) => /^\d+$/.test(d)).map(Number);
  const parents = new Map<number, number | null>(await Promise.all(pids.map(async (p) => [p, await parentOf(p)] as const)));
  const tree = new Set([root]);
  // Parents can have higher pids than children after pid wrap-around, so iterate to a fixed point.
  for (let grew = true; grew; ) {
    grew = false;
    for (const [pid, parent] of parents) {
      if (parent !== null && tree.has(parent) && !tree.has(pid)) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  const sizes = await Promise.all([...tree].map((pid) => rssOf(pid, name)));
  return sizes.reduce((a, b) => a + b, 0);
}
