/**
 * An exponentially weighted moving mean, shared by the worker's hedge policy (sw/hedge-policy.ts)
 * and the bridge's upload queue (page-bridge/schedule/upload-queue.ts). Pure.
 */
export class Ewma {
  private mean: number | undefined;
  /** `weight`: how much each new sample counts, in (0, 1]. */
  constructor(private readonly weight = 0.3) {}
  /** Adds a sample; a negative or non-finite one is ignored. */
  add(sample: number): void {
    if (!Number.isFinite(sample) || sample < 0) return;
    this.mean = this.mean === undefined ? sample : this.mean + this.weight * (sample - this.mean);
  }
  /** The mean so far; undefined until the first sample. */
  get value(): number | undefined {
    return this.mean;
  }
}
