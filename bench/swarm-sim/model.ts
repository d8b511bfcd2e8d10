/**
 * The swarm simulator's model (bench/swarm-sim.ts): who the visitors are, what they load, and
 * what the origin is. Every draw comes from one seeded generator, so a run is reproducible.
 */

/** A log-normal draw with median `median` and log standard deviation `sigma`, clipped to [lo, hi]. */
export function logNormal(random: () => number, median: number, sigma: number, lo: number, hi: number): number {
  // Box-Muller
  const u = Math.max(1e-12, random());
  const v = random();
  const z = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  return Math.min(hi, Math.max(lo, median * Math.exp(sigma * z)));
}

const MBIT = 1_000_000 / 8 / 1000; // bytes per ms in one Mbit/s

/**
 * Visitors' access links, a mix of fixed and mobile broadband shaped on public speed-test
 * medians (Ookla Speedtest Global Index and M-Lab NDT, 2024: fixed ~90/45 Mbit/s down/up,
 * mobile ~50/10, with a long tail of slow links): download log-normal, median 50 Mbit/s,
 * σ 0.9, 2–1000 Mbit/s; upload log-normal, median 10 Mbit/s, σ 1.0, 0.5–500 Mbit/s; round trip
 * to the signaling server and the origin log-normal, median 40 ms, σ 0.6, 5–600 ms.
 */
export interface Profile {
  /** Bytes per ms. */
  down: number;
  up: number;
  /** Round trip to the signaling server and the origin, ms. */
  rtt: number;
}

export function drawProfile(random: () => number): Profile {
  return {
    down: logNormal(random, 50, 0.9, 2, 1000) * MBIT,
    up: logNormal(random, 10, 1.0, 0.5, 500) * MBIT,
    rtt: logNormal(random, 40, 0.6, 5, 600),
  };
}

/** The origin: 1 Gbit/s out, served first come first served. */
export const ORIGIN_BYTES_PER_MS = 1000 * MBIT;

/** One asset of the page: its size and its request's destination (Fetch `Request.destination`). */
export interface PageAsset {
  bytes: number;
  destination: string;
}

/**
 * One page's assets, in the order a browser asks for them, sizes from the demo site (stylesheet,
 * font, two scripts, eleven thumbnails, a portrait, a hero image, six photos): 23 assets, 1.77 MB.
 * HTML and our two scripts are the origin's alone and not simulated. The first four are
 * render-critical (sw/hedge-policy.ts isCritical): the worker sends them to the origin at once.
 */
export const PAGE_ASSETS: readonly PageAsset[] = [
  { bytes: 9_063, destination: 'style' },
  { bytes: 23_664, destination: 'font' },
  { bytes: 4_339, destination: 'script' },
  { bytes: 6_449, destination: 'script' },
  ...[
    14_458, 14_467, 14_880, 15_973, 16_260, 16_666, 17_104, 17_916, 17_953, 24_762, 26_251, 44_239, 137_079, 221_137, 223_564, 224_551,
    226_094, 227_449, 227_978,
  ].map((bytes) => ({ bytes, destination: 'image' })),
];
