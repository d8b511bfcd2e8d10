/**
 * A set that can return a few random members without copying itself. Swarms can hold thousands
 * of holders of one asset and every `want` samples a handful, so sampling must not be O(size).
 */
export class RandomSet<T> {
  private readonly items: T[] = [];
  private readonly positions = new Map<T, number>();

  get size(): number {
    return this.items.length;
  }

  has(item: T): boolean {
    return this.positions.has(item);
  }

  add(item: T): void {
    if (this.positions.has(item)) return;
    this.positions.set(item, this.items.length);
    this.items.push(item);
  }

  delete(item: T): void {
    const at = this.positions.get(item);
    if (at === undefined) return;
    // Swap-remove keeps the array dense so a random index is always a member.
    const last = this.items.pop() as T;
    this.positions.delete(item);
    if (at < this.items.length) {
      this.items[at] = last;
      this.positions.set(last, at);
    }
  }

  /**
   * Up to `count` distinct random members for which `accept` is true. `rejectable` is how many
   * members `accept` may turn down at most; when the set is much larger than that, random probes
   * almost always hit, so sampling costs O(count). Otherwise (small sets) it shuffles a copy.
   */
  sample(count: number, accept: (item: T) => boolean, rejectable: number, random: () => number): T[] {
    const size = this.items.length;
    if (count <= 0 || size === 0) return [];
    if (size > 2 * (count + rejectable)) {
      const picked = this.probe(count, accept, rejectable, random);
      if (picked) return picked;
    }
    return this.shuffleCopy(count, accept, random);
  }

  /**
   * Up to `count` distinct members `accept` takes, found by at most `probes` random probes:
   * O(probes) whatever the size, and possibly fewer than `count` (or none). For a preference
   * (holders with room first) whose misses the caller fills with `sample`.
   */
  probeSome(count: number, accept: (item: T) => boolean, probes: number, random: () => number): T[] {
    const out: T[] = [];
    const seen = new Set<number>();
    const size = this.items.length;
    for (let tries = 0; out.length < count && tries < probes && seen.size < size; tries++) {
      const at = randomIndex(size, random);
      if (seen.has(at)) continue;
      seen.add(at);
      const item = this.items[at] as T;
      if (accept(item)) out.push(item);
    }
    return out;
  }

  private probe(count: number, accept: (item: T) => boolean, rejectable: number, random: () => number): T[] | null {
    const chosen = new Set<number>();
    const out: T[] = [];
    // At least half of all members are acceptable and unchosen, so each probe succeeds with
    // probability >= 1/2; the cap only guards against a broken random source.
    for (let tries = 0; out.length < count && tries < 16 * (count + rejectable) + 64; tries++) {
      const at = randomIndex(this.items.length, random);
      if (chosen.has(at)) continue;
      chosen.add(at);
      const item = this.items[at] as T;
      if (accept(item)) out.push(item);
    }
    return out.length === count ? out : null;
  }

  private shuffleCopy(count: number, accept: (item: T) => boolean, random: () => number): T[] {
    const pool = this.items.filter(accept);
    const n = Math.min(count, pool.length);
    // Partial Fisher-Yates: the first n slots end up a uniform random sample.
    for (let i = 0; i < n; i++) {
      const j = i + randomIndex(pool.length - i, random);
      const tmp = pool[i] as T;
      pool[i] = pool[j] as T;
      pool[j] = tmp;
    }
    return pool.slice(0, n);
  }
}

/** An index in [0, n): clamped because a random source returning exactly 1 would overshoot. */
function randomIndex(n: number, random: () => number): number {
  return Math.min(n - 1, Math.floor(random() * n));
}
