/**
 * How visitors arrive. `sequential`: one after another, each starting once the one before has
 * finished its pages, every one staying open (and seeding) to the end. `together`: all
 * launched first, then all start their first page at the same moment. `batched` (the plain
 * origin only, where visitors cannot affect each other): a few at a time, each group closed
 * before the next, which is quicker than either. Each run gets a fresh target (for PeerConnect:
 * a fresh build, signaling server and so swarm) and closes every browser it started.
 */
import type { Visitor } from '../../tests/e2e/harness/browser.ts';
import { runSession, type SessionResult } from '../lib/browser/session.ts';
import { closeAll, launchLight, launchMany } from '../lib/browser/visitors.ts';
import { startTarget, type Target, type TargetKind, type TargetNetwork } from '../lib/origin/site-targets.ts';
import { kb } from '../lib/report/format.ts';
import type { Budget } from '../lib/run/budget.ts';
import { progress } from '../lib/run/log.ts';
import { type BenchSite, routeFor } from '../lib/sites/bench-sites.ts';

/** How PeerConnect visitors arrive (the table's rows). */
export type Arrival = 'sequential' | 'together';
export type Pattern = Arrival | 'batched';

export interface RunSpec {
  site: BenchSite;
  kind: TargetKind;
  pattern: Pattern;
  /** Visitors in the run. */
  n: number;
  pagesPerVisitor: number;
  network: TargetNetwork;
}

export interface RunResult extends Omit<RunSpec, 'site' | 'network'> {
  siteId: BenchSite['id'];
  sessions: SessionResult[];
  wallMs: number;
  /** Visitors not started: the time budget ran out. */
  skipped: number;
}

/** A page normally completes in 0.3-3 s; 20 browsers on two cores can take ten times that. */
const PER_PAGE_MS = 45_000;
/** Do not start another sequential visitor or batch with less than this left. */
const VISITOR_RESERVE_MS = 20_000;
/** Plain-origin visitors at a time: enough to use both cores, few enough not to starve them. */
export const BATCH_WIDTH = 4;

const describe = (r: SessionResult): string =>
  r.ok
    ? `origin ${kb(r.firstOrigin.bytes)}+${kb(r.navOrigin.bytes)} KB, peers ${kb(r.firstPeerBytes + r.navPeerBytes)} KB, ${(r.wallMs / 1000).toFixed(1)} s`
    : `FAILED ${r.error ?? ''}`;

interface Run {
  spec: RunSpec;
  tag: string;
  /** Every browser the run started, closed at its end. */
  visitors: Visitor[];
  session(v: Visitor, index: number): Promise<SessionResult>;
}

/** One at a time; the next browser starts while the current visitor reads (a launch takes ~1 s here), but opens nothing until it has finished. */
async function sequential(run: Run, budget: Budget, sessions: SessionResult[]): Promise<number> {
  const name = (i: number): string => `oc-${run.tag}-v${i + 1}`;
  let next: Promise<Visitor> | null = launchLight(name(0));
  try {
    for (let i = 0; i < run.spec.n && next; i++) {
      const v: Visitor = await next;
      run.visitors.push(v);
      next = null;
      if (budget.short(VISITOR_RESERVE_MS)) return run.spec.n - i;
      if (i + 1 < run.spec.n) next = launchLight(name(i + 1));
      const r = await run.session(v, i);
      sessions.push(r);
      progress(`${run.tag} visitor ${i + 1}: ${describe(r)}`);
    }
    return 0;
  } finally {
    // A launch still in flight (an error or the budget stopped the loop) is closed too.
    if (next) run.visitors.push(await next);
  }
}

/** Groups of `width`, each all at once; visitors `from`..`from + width - 1` of the run. */
async function group(run: Run, from: number, width: number, sessions: SessionResult[]): Promise<void> {
  const names = Array.from({ length: width }, (_, k) => `oc-${run.tag}-v${from + k + 1}`);
  const launched = await launchMany(names);
  run.visitors.push(...launched);
  sessions.push(...(await Promise.all(launched.map((v, k) => run.session(v, from + k)))));
  const failed = sessions.slice(from).filter((s) => !s.ok);
  progress(
    `${run.tag} visitors ${from + 1}-${from + width}: ${width - failed.length}/${width} ok${failed[0] ? `; first failure: ${failed[0].error ?? ''}` : ''}`,
  );
}

export async function runPattern(spec: RunSpec, budget: Budget): Promise<RunResult> {
  const t0 = Date.now();
  const tag = `${spec.site.id}-${spec.kind === 'peerconnect' ? 'pc' : 'plain'}-${spec.pattern}${spec.n}`;
  const target: Target = await startTarget(spec.kind, spec.site.dir, spec.network);
  const run: Run = {
    spec,
    tag,
    visitors: [],
    session: (v, i) => runSession(v, i, target, spec.site.dir, routeFor(spec.site, i, spec.pagesPerVisitor), PER_PAGE_MS),
  };
  const sessions: SessionResult[] = [];
  let skipped = 0;
  try {
    if (spec.pattern === 'sequential') skipped = await sequential(run, budget, sessions);
    else if (spec.pattern === 'together') await group(run, 0, spec.n, sessions);
    else {
      for (let from = 0; from < spec.n; from += BATCH_WIDTH) {
        if (budget.short(VISITOR_RESERVE_MS)) {
          skipped = spec.n - from;
          break;
        }
        await group(run, from, Math.min(BATCH_WIDTH, spec.n - from), sessions);
        // Nothing is shared on a plain origin: close each group at once, to keep memory flat.
        await closeAll(run.visitors.splice(0));
      }
    }
  } finally {
    await closeAll(run.visitors);
    await target.close();
  }
  return {
    siteId: spec.site.id,
    kind: spec.kind,
    pattern: spec.pattern,
    n: spec.n,
    pagesPerVisitor: spec.pagesPerVisitor,
    sessions,
    wallMs: Date.now() - t0,
    skipped,
  };
}
