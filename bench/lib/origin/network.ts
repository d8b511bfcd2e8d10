/**
 * The two origins every benchmark is run against. "Distant" stands for a static host far from
 * the visitor: 80 ms before each response starts (set in the origin server: netem is not
 * available here) and a 10 Mbit/s path, shared by all of the visitor's connections to it.
 */
export interface OriginNetwork {
  id: 'local' | 'distant';
  label: string;
  latencyMs: number;
  /** Null: unthrottled. */
  bitsPerSecond: number | null;
}

export const NETWORKS: readonly OriginNetwork[] = [
  { id: 'local', label: 'unthrottled origin', latencyMs: 0, bitsPerSecond: null },
  { id: 'distant', label: 'distant origin (80 ms per request, 10 Mbit/s)', latencyMs: 80, bitsPerSecond: 10_000_000 },
];
