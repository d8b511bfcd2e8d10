/**
 * One point a minute for the last `minutes` minutes (STATS_SERIES_MINUTES, 24 h), each point a
 * fixed set of numbers: a ring of typed arrays, so memory is fixed at creation whatever the
 * traffic (fields × minutes × 8 bytes; 11 × 1440 × 8 ≈ 124 KiB per swarm). A slot remembers which
 * minute it holds, so a minute with no event reads as zeros without a timer clearing it.
 */

/** Minutes since the epoch (UTC), the series' clock. */
export const minuteOf = (ms: number): number => Math.floor(ms / 60_000);

/** A point as plain data: its minute and one number per field. */
export interface SeriesPoint {
  minute: number;
  values: number[];
}

export class MinuteSeries {
  private readonly minuteAt: Float64Array;
  private readonly data: Float64Array;

  constructor(
    readonly fields: number,
    readonly minutes: number,
  ) {
    this.minuteAt = new Float64Array(minutes).fill(-1);
    this.data = new Float64Array(fields * minutes);
  }

  /** Adds `value` to `field` of the point of `minute` (saturating at Number.MAX_SAFE_INTEGER). */
  add(minute: number, field: number, value: number): void {
    const base = this.slot(minute) * this.fields + field;
    this.data[base] = Math.min(Number.MAX_SAFE_INTEGER, (this.data[base] ?? 0) + value);
  }

  /** Raises `field` of the point of `minute` to at least `value` (a gauge's peak in that minute). */
  max(minute: number, field: number, value: number): void {
    const base = this.slot(minute) * this.fields + field;
    this.data[base] = Math.max(this.data[base] ?? 0, value);
  }

  /** `field` of `minute`, 0 when that minute is not (or no longer) held. */
  get(minute: number, field: number): number {
    const i = minute % this.minutes;
    return this.minuteAt[i] === minute ? (this.data[i * this.fields + field] ?? 0) : 0;
  }

  /** The sum of `field` over minutes `from` to `to`, inclusive (only those still held). */
  sum(field: number, from: number, to: number): number {
    let total = 0;
    for (let m = Math.max(from, to - this.minutes + 1); m <= to; m++) total += this.get(m, field);
    return total;
  }

  /** Every held point with any non-zero value, oldest first, up to minute `now`. */
  points(now: number): SeriesPoint[] {
    const out: SeriesPoint[] = [];
    for (let m = now - this.minutes + 1; m <= now; m++) {
      const i = m % this.minutes;
      if (m < 0 || this.minuteAt[i] !== m) continue;
      const values = Array.from(this.data.subarray(i * this.fields, (i + 1) * this.fields));
      if (values.some((v) => v !== 0)) out.push({ minute: m, values });
    }
    return out;
  }

  /** Puts back points from `points()` (a stored copy); ones outside the window or of another width are skipped. */
  restore(points: readonly SeriesPoint[], now: number): void {
    for (const p of points) {
      if (p.minute > now || p.minute <= now - this.minutes || p.values.length !== this.fields) continue;
      const base = this.slot(p.minute) * this.fields;
      p.values.forEach((v, f) => {
        this.data[base + f] = Number.isFinite(v) && v >= 0 ? Math.min(v, Number.MAX_SAFE_INTEGER) : 0;
      });
    }
  }

  /** The slot of `minute`, cleared first when it held an older minute. */
  private slot(minute: number): number {
    const i = minute % this.minutes;
    if (this.minuteAt[i] !== minute) {
      this.minuteAt[i] = minute;
      this.data.fill(0, i * this.fields, (i + 1) * this.fields);
    }
    return i;
  }
}
