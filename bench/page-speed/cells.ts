/**
 * One network condition, one site: every variant measured REPS times, each time by a fresh
 * visitor (own Chromium process, fresh profile) reading the same two pages, timed on the page's
 * clock. Variants: the plain origin; PeerConnect with one peer that has read those pages and
 * stays open (a seeder, launched once); PeerConnect with nobody else in the swarm (a fresh build
 * and signaling server per run, so no stale peer from the run before can be offered); and one
 * peer again, the visitor navigating only once its first page's prefetch through peers has ended
 * (a reader who reads the page before clicking on). The PeerConnect variants use the default
 * build; `peer-lcp` and `alone-lcp` are "one peer" and "no peers" built with `--lcp-from-origin`
 * (each page's LCP image from the origin at once), the speed-for-offload trade a site may opt into.
 */
import type { Visitor } from '../../tests/e2e/harness/browser.ts';
import { stats, waitUntil } from '../../tests/e2e/harness/site.ts';
import { runSession, type SessionResult } from '../lib/browser/session.ts';
import { launchLight } from '../lib/browser/visitors.ts';
import { startTarget, type Target, type TargetNetwork } from '../lib/origin/site-targets.ts';

/** The opt-in build of the `-lcp` variants (README "Limits and deadlines"). */
const LCP_BUILD = { lcpFromOrigin: true } as const;

import type { Budget } from '../lib/run/budget.ts';
import { progress } from '../lib/run/log.ts';
import type { BenchSite } from '../lib/sites/bench-sites.ts';

export type Variant = 'plain' | 'peer' | 'alone' | 'prefetch' | 'peer-lcp' | 'alone-lcp';
export const VARIANTS: readonly Variant[] = ['plain', 'peer', 'alone', 'prefetch', 'peer-lcp', 'alone-lcp'];

/** Waits this long at most for a page's prefetch to end before navigating on. */
const PREFETCH_WAIT_MS = 20_000;

export interface Sample {
  network: string;
  site: BenchSite['id'];
  variant: Variant;
  rep: number;
  session: SessionResult;
}

const PER_PAGE_MS = 30_000;
/** A run takes 2-8 s; do not start one with less than this left. */
const RUN_RESERVE_MS = 25_000;

/** The site's most read pages: the home page (a first visit) and one navigation. */
export const routeOf = (site: BenchSite): string[] => [site.home, site.others[0]!];

/** What the first page of a `prefetch` run prefetched, and whether its prefetch ended in time. */
export interface PrefetchNote {
  state: string;
  bytes: number;
}

/** After the first page: until its prefetch has ended (done or skipped), bounded. */
async function waitForPrefetch(v: Visitor, notes: PrefetchNote[]): Promise<void> {
  const s = await waitUntil('prefetch ended', PREFETCH_WAIT_MS, async () => {
    const now = await stats(v.page);
    return ['pending', 'planning', 'running'].includes(now.prefetch) ? undefined : now;
  }).catch(() => stats(v.page));
  notes.push({ state: s.prefetch, bytes: s.bytesPrefetched });
}

async function measure(target: Target, site: BenchSite, name: string, prefetched?: PrefetchNote[]): Promise<SessionResult> {
  const v = await launchLight(name);
  try {
    const after = prefetched
      ? (visitor: Visitor, i: number) => (i === 0 ? waitForPrefetch(visitor, prefetched) : Promise.resolve())
      : undefined;
    return await runSession(v, 0, target, site.dir, routeOf(site), PER_PAGE_MS, after);
  } finally {
    await v.close();
  }
}

export async function runCells(
  site: BenchSite,
  network: TargetNetwork,
  reps: number,
  budget: Budget,
): Promise<{ samples: Sample[]; skipped: number; notes: string[] }> {
  const samples: Sample[] = [];
  const prefetched: PrefetchNote[] = [];
  const notes: string[] = [];
  let skipped = 0;
  const tag = `ps-${network.net.id}-${site.id}`;
  const plain = await startTarget('plain', site.dir, network);
  let withPeer: Target | undefined;
  let withPeerLcp: Target | undefined;
  const seeders: Visitor[] = [];
  try {
    withPeer = await startTarget('peerconnect', site.dir, network);
    withPeerLcp = await startTarget('peerconnect', site.dir, network, LCP_BUILD);
    for (const [target, label] of [
      [withPeer, 'one peer'],
      [withPeerLcp, 'one peer, --lcp-from-origin'],
    ] as const) {
      const seeder = await launchLight(`${tag}-seeder-${seeders.length + 1}`);
      seeders.push(seeder);
      const seeded = await runSession(seeder, 0, target, site.dir, routeOf(site), PER_PAGE_MS);
      if (!seeded.ok) notes.push(`the seeder failed (${seeded.error ?? ''}): "${label}" runs had no complete peer`);
    }
    for (let rep = 0; rep < reps; rep++) {
      // Rotate the order each repetition, so a drift (a warming disk cache, a busy core) favours no variant.
      const order = VARIANTS.map((_, i) => VARIANTS[(i + rep) % VARIANTS.length]!);
      for (const variant of order) {
        if (budget.short(RUN_RESERVE_MS)) {
          skipped++;
          continue;
        }
        const name = `${tag}-${variant}-r${rep + 1}`;
        let session: SessionResult;
        if (variant === 'alone' || variant === 'alone-lcp') {
          const alone = await startTarget('peerconnect', site.dir, network, variant === 'alone' ? {} : LCP_BUILD);
          try {
            session = await measure(alone, site, name);
          } finally {
            await alone.close();
          }
        } else if (variant === 'prefetch') session = await measure(withPeer, site, name, prefetched);
        else session = await measure(variant === 'plain' ? plain : variant === 'peer-lcp' ? withPeerLcp : withPeer, site, name);
        const p = session.pages;
        progress(
          `${name}: ${session.ok ? p.map((x) => `${x.path} load ${Math.round(x.loadMs)} ms, largest image ${Math.round(x.largestImageMs)} ms, peers ${Math.round(x.peerBytes / 1024)} KB`).join('; ') : `FAILED ${session.error ?? ''}`}`,
        );
        samples.push({ network: network.net.id, site: site.id, variant, rep, session });
      }
    }
    if (prefetched.length > 0) {
      notes.push(
        `navigation after prefetch: the home page prefetched ${prefetched.map((p) => `${Math.round(p.bytes / 1024)} KB (${p.state})`).join(', ')} from the peer before the navigation`,
      );
    }
  } finally {
    for (const seeder of seeders) await seeder.close();
    await withPeer?.close();
    await withPeerLcp?.close();
    await plain.close();
  }
  return { samples, skipped, notes };
}
