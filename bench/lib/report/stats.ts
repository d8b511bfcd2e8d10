/** Order statistics for small samples (3 to 20 values): nearest-rank, no interpolation, so every reported number is one that was measured. */

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

export const median = (values: readonly number[]): number => percentile(values, 50);
export const p90 = (values: readonly number[]): number => percentile(values, 90);
