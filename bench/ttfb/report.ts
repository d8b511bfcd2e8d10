/** The TTFB tables: per asset and source, median and p90, and the difference and ratio to a plain origin fetch. */
import { deltaMs, ms, ms1, ratio } from '../lib/report/format.ts';
import { table } from '../lib/report/markdown.ts';
import { median, p90 } from '../lib/report/stats.ts';
import type { BenchAsset, Sample, Source } from './stage.ts';

export const SOURCE_LABEL: Record<Source, string> = {
  plain: 'plain origin (no worker)',
  cache: 'PeerConnect: local cache (IndexedDB)',
  peer: 'PeerConnect: peer (another browser has it)',
  origin: 'PeerConnect: origin fallback, no peer has it',
  'signal-down': 'PeerConnect: origin fallback, signaling down',
};

/** Most common `x-peer-connect-source`, as "18/20 peer". */
function headerSummary(samples: readonly Sample[]): string {
  const counts = new Map<string, number>();
  for (const s of samples) {
    const k = s.timing.ok ? (s.timing.source ?? 'network') : 'failed';
    counts.set(k, (counts.get(k) ?? 0) + 1);
  }
  return [...counts]
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
}

/** Share of bytes by source over all samples, from the worker's own reports. */
function splitSummary(samples: readonly Sample[]): string {
  const t = { peer: 0, origin: 0, cache: 0 };
  for (const s of samples) {
    if (!s.timing.split) continue;
    t.peer += s.timing.split.peer;
    t.origin += s.timing.split.origin;
    t.cache += s.timing.split.cache;
  }
  const all = t.peer + t.origin + t.cache;
  if (all === 0) return '–';
  const p = (x: number): string => `${Math.round((x / all) * 100)}`;
  return `${p(t.peer)}/${p(t.origin)}/${p(t.cache)}`;
}

export function ttfbTable(assets: readonly BenchAsset[], sources: readonly Source[], samples: readonly Sample[]): string {
  const rows: string[][] = [];
  for (const asset of assets) {
    const of = (source: Source): Sample[] => samples.filter((s) => s.asset === asset.id && s.source === source);
    const good = (source: Source): Sample[] => of(source).filter((s) => s.timing.ok);
    const plainTtfb = median(good('plain').map((s) => s.timing.ttfbMs));
    const plainTotal = median(good('plain').map((s) => s.timing.totalMs));
    for (const source of sources) {
      const all = of(source);
      const ok = good(source);
      const ttfb = ok.map((s) => s.timing.ttfbMs);
      const total = ok.map((s) => s.timing.totalMs);
      const firstRep = ok.find((s) => s.rep === 0)?.timing.ttfbMs ?? Number.NaN;
      rows.push([
        `${asset.id} (${Math.round(asset.size / 1024)} KB)`,
        SOURCE_LABEL[source],
        `${ok.length}/${all.length}`,
        source === 'plain' ? '–' : headerSummary(all),
        source === 'plain' ? '–' : splitSummary(ok),
        ms1(median(ttfb)),
        ms1(p90(ttfb)),
        ms1(firstRep),
        source === 'plain' ? '' : deltaMs(median(ttfb), plainTtfb),
        ratio(median(ttfb), plainTtfb),
        ms(median(total)),
        ms(p90(total)),
        source === 'plain' ? '' : deltaMs(median(total), plainTotal),
        ratio(median(total), plainTotal),
      ]);
    }
  }
  return table(
    [
      'asset',
      'source',
      'ok',
      'first bytes from (header)',
      'bytes peer/origin/cache %',
      'TTFB median',
      'TTFB p90',
      'TTFB 1st',
      'TTFB added',
      'TTFB × plain',
      'total median',
      'total p90',
      'total added',
      'total × plain',
    ],
    rows,
    ['l', 'l', 'r', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  );
}
