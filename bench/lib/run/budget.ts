/**
 * A wall-clock budget for one benchmark file. Every loop checks it before starting another
 * cell, so a slow or wedged product shortens the table (cells say "skipped") instead of
 * stretching the run past what scripts/bench.js allows.
 */
export class Budget {
  private readonly deadline: number;

  constructor(readonly totalMs: number) {
    this.deadline = Date.now() + totalMs;
  }

  remainingMs(): number {
    return Math.max(0, this.deadline - Date.now());
  }

  /** True when fewer than `needMs` remain: do not start work that needs that long. */
  short(needMs: number): boolean {
    return this.remainingMs() < needMs;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
