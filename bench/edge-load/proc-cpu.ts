/**
 * CPU time from /proc (Linux), in seconds: of this process's descendants (the server under test,
 * whatever runtime it is, and the load child), and of the whole machine. bench/edge-load.ts reads
 * both around its counted window to say how busy the server was and how much of the 2 shared
 * cores other work took, since a throughput number on a busy machine means little without that.
 */
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { processTree } from '../../tests/runtimes/process-tree.ts';

const TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

/** utime + stime of one process, seconds; null once it is gone. */
async function cpuSeconds(pid: number): Promise<number | null> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may contain spaces: fields start after the last ')'.
    const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // After the name: state(0) ppid(1) … utime(11) stime(12).
    return (Number(f[11]) + Number(f[12])) / TICKS_PER_SECOND;
  } catch {
    return null;
  }
}

/** CPU seconds used so far by every descendant of `root` (not `root` itself), per pid. */
export async function descendantsCpu(root: number): Promise<Map<number, number>> {
  const pids = (await processTree(root)).filter((pid) => pid !== root);
  const read = await Promise.all(pids.map(async (pid) => [pid, await cpuSeconds(pid)] as const));
  return new Map(read.filter((r): r is readonly [number, number] => r[1] !== null));
}

/** CPU seconds every core of the machine has spent busy (not idle or waiting for I/O) since boot. */
export async function machineBusyCpu(): Promise<number> {
  const line = (await readFile('/proc/stat', 'utf8')).split('\n', 1)[0] ?? '';
  const [, ...fields] = line.trim().split(/\s+/);
  const ticks = fields.map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already in user).
  const busy = ticks.slice(0, 8).reduce((a, b) => a + b, 0) - (ticks[3] ?? 0) - (ticks[4] ?? 0);
  return busy / TICKS_PER_SECOND;
}

export interface CpuSample {
  at: number;
  machine: number;
  /** This process's own CPU seconds (the orchestrator: neither server nor load). */
  self: number;
  descendants: Map<number, number>;
}

export async function sampleCpu(): Promise<CpuSample> {
  const [machine, descendants] = await Promise.all([machineBusyCpu(), descendantsCpu(process.pid)]);
  const own = process.cpuUsage();
  return { at: performance.now(), machine, self: (own.user + own.system) / 1e6, descendants };
}

/** Cores busy on average between two samples (1 = one core all the time). */
export interface WindowCpu {
  /** Every descendant but the load child: the server under test (with its tooling, for workerd). */
  server: number;
  load: number;
  /** The rest of the machine: other people's work on the shared cores. */
  others: number;
}

export function windowCpu(a: CpuSample, b: CpuSample, loadPid: number): WindowCpu {
  const seconds = (b.at - a.at) / 1000;
  let server = 0;
  let load = 0;
  for (const [pid, cpu] of b.descendants) {
    // A process born inside the window spent all its time in it.
    const used = cpu - (a.descendants.get(pid) ?? 0);
    if (pid === loadPid) load += used;
    else server += used;
  }
  const others = b.machine - a.machine - server - load - (b.self - a.self);
  return { server: server / seconds, load: load / seconds, others: Math.max(0, others) / seconds };
}
