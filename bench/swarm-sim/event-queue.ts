/**
 * The swarm simulator's clock (bench/swarm-sim/engine.ts): a binary min-heap of timed events,
 * run in time order, ties in the order they were scheduled, so a run is deterministic.
 */
type Event = { at: number; seq: number; run: () => void };

const less = (a: Event, b: Event): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);

export class EventQueue {
  private heap: Event[] = [];
  private seq = 0;
  /** The current simulated time (ms). */
  now = 0;
  /** Events run so far. */
  count = 0;

  /** Schedules `run` at `time` (ms; never before now). */
  at(time: number, run: () => void): void {
    const e = { at: Math.max(time, this.now), seq: this.seq++, run };
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (less(h[p]!, e)) break;
      h[i] = h[p]!;
      i = p;
    }
    h[i] = e;
  }

  /** Runs every event in time order, `after` following each, until none is left. */
  run(after: () => void = () => undefined): void {
    const h = this.heap;
    while (h.length > 0) {
      const top = h[0]!;
      const last = h.pop()!;
      if (h.length > 0) {
        let i = 0;
        for (;;) {
          const l = 2 * i + 1;
          if (l >= h.length) break;
          const r = l + 1;
          const c = r < h.length && less(h[r]!, h[l]!) ? r : l;
          if (less(last, h[c]!)) break;
          h[i] = h[c]!;
          i = c;
        }
        h[i] = last;
      }
      this.now = top.at;
      this.count++;
      top.run();
      after();
    }
  }
}
