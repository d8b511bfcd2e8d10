/**
 * Progress goes to stderr; stdout carries only the markdown a benchmark prints, which
 * scripts/bench.js collects into bench/RESULTS.md.
 */
const started = Date.now();

export function progress(message: string): void {
  process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(1).padStart(6)} s] ${message}\n`);
}
