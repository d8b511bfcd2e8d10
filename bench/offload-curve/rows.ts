/**
 * Which measured visitors answer "N visitors, this arrival pattern". Visitor k of a sequential
 * run meets exactly what visitor k of any longer sequential run meets (a fresh swarm and the
 * k - 1 visitors before it, all still open), so one sequential run of the largest N answers
 * every smaller N with its first N visitors. PeerConnect visitors arriving together affect each
 * other, so each N of that pattern is a run of its own (N = 1 is the sequential run's first
 * visitor). The plain origin is one run for every row: a visitor's bytes from a plain origin
 * depend only on the pages it reads (the same for visitor k in every run), never on who else is
 * there or when, so its first N visitors are the baseline for both patterns.
 */
import type { TargetKind } from '../lib/origin/site-targets.ts';
import { type Averages, averages } from './aggregate.ts';
import type { Arrival, Pattern, RunResult } from './patterns.ts';

export interface Row {
  pattern: Arrival;
  n: number;
  peerConnect: Averages | null;
  plain: Averages | null;
  /** Wall time of the run the PeerConnect visitors came from (for a sequential N: their sessions'). */
  peerConnectWallMs: number;
}

function find(runs: readonly RunResult[], kind: TargetKind, pattern?: Pattern, n?: number): RunResult | undefined {
  return runs.find((r) => r.kind === kind && (pattern === undefined || r.pattern === pattern) && (n === undefined || r.n === n));
}

function firstN(run: RunResult | undefined, n: number): Averages | null {
  if (!run || run.sessions.length < n) return null;
  return averages(run.sessions.filter((s) => s.index < n));
}

export function rowFor(runs: readonly RunResult[], pattern: Arrival, n: number): Row {
  const plain = firstN(find(runs, 'plain'), n);
  const seq = find(runs, 'peerconnect', 'sequential');
  if (pattern === 'sequential' || n === 1) {
    const wall = seq ? seq.sessions.filter((s) => s.index < n).reduce((t, s) => t + s.wallMs, 0) : Number.NaN;
    return { pattern, n, peerConnect: firstN(seq, n), plain, peerConnectWallMs: wall };
  }
  const run = find(runs, 'peerconnect', 'together', n);
  return {
    pattern,
    n,
    peerConnect: run && run.sessions.length === n ? averages(run.sessions) : null,
    plain,
    peerConnectWallMs: run?.wallMs ?? Number.NaN,
  };
}
