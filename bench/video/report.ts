/**
 * bench/video.ts's two tables: time to first frame per viewer against the plain origin (with the
 * video's origin bytes), and, per video, where the time goes until the first frame: the median
 * moment of each step on the page's clock, for the plain origin and PeerConnect's viewers.
 */
import { kb, ms, pct, ratio } from '../lib/report/format.ts';
import { table } from '../lib/report/markdown.ts';
import { median } from '../lib/report/stats.ts';
import type { Sample, Variant } from './cells.ts';
import type { VideoClock } from './clock.ts';
import type { VideoSite } from './sites.ts';

export const VARIANT_LABEL: Record<Variant, string> = {
  'plain-first': 'plain origin, first page',
  first: 'PeerConnect viewer 1, first page (worker installs)',
  plain: 'plain origin, second page',
  v1: 'PeerConnect viewer 1, second page, no peers (web seed)',
  v2: 'PeerConnect viewer 2, second page, viewer 1 seeding',
};
const ORDER: readonly Variant[] = ['plain', 'v1', 'v2', 'plain-first', 'first'];
/** Each variant's ratio is to the plain origin on the same kind of page view. */
const BASELINE: Record<Variant, Variant> = { 'plain-first': 'plain-first', first: 'plain-first', plain: 'plain', v1: 'plain', v2: 'plain' };

const okClocks = (samples: readonly Sample[]): VideoClock[] => samples.flatMap((s) => (s.view.ok && s.view.clock ? [s.view.clock] : []));
const med = (samples: readonly Sample[], pick: (c: VideoClock) => number): number =>
  median(
    okClocks(samples)
      .map(pick)
      .filter((x) => Number.isFinite(x)),
  );

/** `reps`: runs planned per row, so a row cut short by the time budget shows it ("2/3"). */
export function firstFrameTable(samples: readonly Sample[], network: string, sites: readonly VideoSite[], reps: number): string {
  const rows: string[][] = [];
  for (const site of sites) {
    const of = (v: Variant): Sample[] => samples.filter((s) => s.network === network && s.site === site.id && s.variant === v);
    for (const variant of ORDER) {
      const mine = of(variant);
      if (mine.length === 0) continue;
      const base = of(BASELINE[variant]);
      const canplay = med(mine, (c) => c.events.canplay);
      const ok = mine.filter((s) => s.view.ok);
      const bytes = median(ok.map((s) => s.view.originBytes));
      const buffered = median(ok.map((s) => s.view.buffered));
      rows.push([
        site.id,
        VARIANT_LABEL[variant],
        `${ok.length}/${Math.max(reps, mine.length)}`,
        ms(canplay),
        ratio(
          canplay,
          med(base, (c) => c.events.canplay),
        ),
        ms(med(mine, (c) => c.events.canplay - c.playMs)),
        ms(med(mine, (c) => c.frameMs)),
        kb(bytes),
        pct(bytes / site.bytes),
        pct(buffered),
      ]);
    }
  }
  return table(
    [
      'video',
      'viewer',
      'runs ok',
      'first frame ms',
      '× plain',
      'play() → first frame ms',
      'frame presented ms',
      'origin KB (video)',
      'of the file',
      'buffered',
    ],
    rows,
    ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
}

interface Step {
  label: string;
  pick(c: VideoClock): number;
}

const mark =
  (step: string) =>
  (c: VideoClock): number =>
    c.marks[step] ?? Number.NaN;

const STEPS: readonly Step[] = [
  { label: '`<video>` in the page, play() called', pick: (c) => c.playMs },
  { label: 'video request sent (Resource Timing `startTime`)', pick: (c) => c.request.startMs },
  { label: 'worker fetch event (`workerStart`)', pick: (c) => c.request.workerStartMs },
  { label: "bridge receives the worker's fetch", pick: (c) => c.bridgeFetchMs },
  { label: 'torrent module imported (`torrent-module`)', pick: mark('torrent-module') },
  { label: '.torrent fetched (`torrent-file`)', pick: mark('torrent-file') },
  { label: 'torrent ready, store checked (`torrent-ready`)', pick: mark('torrent-ready') },
  { label: 'tracker answer (`tracker-answer`)', pick: mark('tracker-answer') },
  { label: 'first peer wire (`first-peer-wire`)', pick: mark('first-peer-wire') },
  { label: 'web seed added (`web-seed-added`)', pick: mark('web-seed-added') },
  { label: 'first web-seed request sent', pick: (c) => c.webSeedFirstMs },
  { label: 'first verified piece (`first-verified-piece`)', pick: mark('first-verified-piece') },
  { label: 'first piece posted to the worker (`first-piece-posted`)', pick: mark('first-piece-posted') },
  { label: 'response starts (`responseStart`)', pick: (c) => c.request.responseStartMs },
  { label: '`loadedmetadata`', pick: (c) => c.events.loadedmetadata },
  { label: '**`canplay` (first frame)**', pick: (c) => c.events.canplay },
  { label: 'first frame presented (`requestVideoFrameCallback`)', pick: (c) => c.frameMs },
];

/** Median per step; "n/m" when only n of the m good runs had that step. */
function cell(samples: readonly Sample[], step: Step): string {
  const clocks = okClocks(samples);
  const values = clocks.map(step.pick).filter((x) => Number.isFinite(x));
  if (values.length === 0) return '–';
  return values.length === clocks.length ? ms(median(values)) : `${ms(median(values))} (${values.length}/${clocks.length})`;
}

export function timelineTable(samples: readonly Sample[], network: string, site: VideoSite): string {
  const mine = samples.filter((s) => s.network === network && s.site === site.id);
  const columns = (['plain', 'v1', 'v2', 'first'] as const).filter((v) => mine.some((s) => s.variant === v));
  const short: Record<Variant, string> = {
    'plain-first': 'plain, first page',
    first: 'viewer 1, first page',
    plain: 'plain origin',
    v1: 'viewer 1 (web seed)',
    v2: 'viewer 2 (peer)',
  };
  const rows = STEPS.map((step) => [
    step.label,
    ...columns.map((v) =>
      cell(
        mine.filter((s) => s.variant === v),
        step,
      ),
    ),
  ]);
  return table(['step (ms from navigation start)', ...columns.map((v) => short[v])], rows, ['l', ...columns.map(() => 'r' as const)]);
}

export function failures(samples: readonly Sample[]): string[] {
  return samples.filter((s) => !s.view.ok).map((s) => `- ${s.network} ${s.site} ${s.variant} rep ${s.rep + 1}: ${s.view.error ?? ''}`);
}
