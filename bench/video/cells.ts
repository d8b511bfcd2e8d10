/**
 * One repetition of bench/video.ts for one network and one video: each viewer a fresh browser
 * (own Chromium process and profile), one after another so no two share the cores or the
 * origin's link. The plain origin is shared (it keeps no state between visitors); each
 * PeerConnect group gets a fresh build and signaling server/tracker, so viewer 1 really has
 * no peers and no earlier viewer can be offered. Groups run in an order rotated per
 * repetition, so a drift (a warming disk cache, a busy core) favours none.
 */
import type { Visitor } from '../../tests/e2e/harness/browser.ts';
import { closeAll, launchLight } from '../lib/browser/visitors.ts';
import type { OriginNetwork } from '../lib/origin/network.ts';
import type { Shaper } from '../lib/origin/shaper.ts';
import type { Budget } from '../lib/run/budget.ts';
import { progress } from '../lib/run/log.ts';
import type { VideoSite } from './sites.ts';
import { startVideoTarget, type VideoTarget } from './targets.ts';
import { type VideoView, viewVideo } from './view.ts';

/**
 * - `plain-first` / `first`: the video page is the visitor's first page (plain; PeerConnect's
 *   first visit: the worker installs and `swap` puts the video in once it controls the page);
 * - `plain` / `v1` / `v2`: the video page is the second page, after FIRST_PAGE (the worker
 *   controls it); `v1` has no peers (web seed), `v2` comes while `v1` is still open and seeding.
 */
export type Variant = 'plain-first' | 'first' | 'plain' | 'v1' | 'v2';

export interface Sample {
  network: OriginNetwork['id'];
  site: VideoSite['id'];
  variant: Variant;
  rep: number;
  view: VideoView;
}

export interface RepContext {
  net: OriginNetwork;
  shaper: Shaper;
  site: VideoSite;
  plain: VideoTarget;
  variants: readonly Variant[];
}

/** The page read before the video page: one image above the fold, so the second-page runs stay short. */
export const FIRST_PAGE = 'about.html';
/** To `canplay`, the page before included; a run normally needs 1-4 s. */
const VIEW_TIMEOUT_MS = 25_000;
/** Do not start a group with less than this left in the budget. */
const GROUP_RESERVE_MS = 20_000;

/** After `canplay`, time for the rest of the video to arrive: its length, plus a margin. */
const bufferMs = (site: VideoSite): number => site.seconds * 1000 + 2_000;

type Group = readonly Variant[];
const GROUPS: readonly Group[] = [['plain-first'], ['first'], ['plain'], ['v1', 'v2']];

export async function runRep(ctx: RepContext, rep: number, budget: Budget): Promise<{ samples: Sample[]; skipped: number }> {
  const groups = GROUPS.map((g) => g.filter((v) => ctx.variants.includes(v))).filter((g) => g.length > 0);
  const order = groups.map((_, i) => groups[(i + rep) % groups.length]!);
  const samples: Sample[] = [];
  let skipped = 0;
  for (const group of order) {
    if (budget.short(GROUP_RESERVE_MS)) {
      skipped += group.length;
      continue;
    }
    samples.push(...(await runGroup(ctx, group, rep)));
  }
  return { samples, skipped };
}

async function runGroup(ctx: RepContext, group: Group, rep: number): Promise<Sample[]> {
  const peerConnect = group[0] !== 'plain' && group[0] !== 'plain-first';
  const target = peerConnect ? await startVideoTarget('peerconnect', ctx.site.dir, ctx.site.video, ctx.net, ctx.shaper) : ctx.plain;
  // Viewer 1 stays open (seeding) while viewer 2 watches; all close together after.
  const open: Visitor[] = [];
  const samples: Sample[] = [];
  try {
    for (const variant of group) {
      const name = `vid-${ctx.net.id}-${ctx.site.id}-${variant}-r${rep + 1}`;
      const visitor = await launchLight(name);
      open.push(visitor);
      const first = variant === 'plain-first' || variant === 'first';
      const view = await viewVideo(visitor, target, {
        before: first ? [] : [FIRST_PAGE],
        page: ctx.site.page,
        timeoutMs: VIEW_TIMEOUT_MS,
        bufferMs: bufferMs(ctx.site),
      });
      progress(`${name}: ${describe(view)}`);
      samples.push({ network: ctx.net.id, site: ctx.site.id, variant, rep, view });
    }
  } finally {
    await closeAll(open);
    if (peerConnect) await target.close();
  }
  return samples;
}

function describe(v: VideoView): string {
  if (!v.ok || !v.clock) return `FAILED ${v.error ?? ''} (${v.wallMs} ms)`;
  const c = v.clock;
  return `canplay ${Math.round(c.events.canplay)} ms (play() at ${Math.round(c.playMs)}), frame ${Math.round(c.frameMs)} ms; origin ${Math.round(v.originBytes / 1024)} KB in ${v.originRequests} req, buffered ${Math.round(v.buffered * 100)}%, web seed req ${c.webSeedRequests}; wall ${v.wallMs} ms`;
}
