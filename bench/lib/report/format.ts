/** Number formatting for the printed tables: one place, so both benchmarks read alike. */

export const ms = (x: number): string => (Number.isFinite(x) ? `${Math.round(x)}` : '–');
export const ms1 = (x: number): string => (Number.isFinite(x) ? x.toFixed(1) : '–');
export const kb = (bytes: number): string => (Number.isFinite(bytes) ? `${(bytes / 1024).toFixed(0)}` : '–');
export const pct = (x: number): string => (Number.isFinite(x) ? `${(x * 100).toFixed(0)}%` : '–');
/** A ratio to the plain-origin baseline; `×` so it cannot be mistaken for a percentage. */
export const ratio = (x: number, baseline: number): string =>
  Number.isFinite(x) && Number.isFinite(baseline) && baseline > 0 ? `${(x / baseline).toFixed(2)}×` : '–';
/** Signed difference in ms ("+12", "-3"). */
export const deltaMs = (x: number, baseline: number): string => {
  if (!Number.isFinite(x) || !Number.isFinite(baseline)) return '–';
  const d = Math.round(x - baseline);
  return d > 0 ? `+${d}` : `${d}`;
};
