/**
 * How fast each peer actually delivers, and when the origin would finish a response sooner.
 * A peer that sends every piece just under the worker's gap hedge (sw/hedge-policy.ts stallMs)
 * never trips it; it is caught here instead, by its throughput measured on the Clock.
 */
import type { Clock } from '../protocol/clock.ts';
import {
  ORIGIN_ASSUMED_BYTES_PER_S,
  ORIGIN_ASSUMED_LATENCY_MS,
  SLOW_PEER_MARGIN,
  THROUGHPUT_MIN_BUSY_MS,
  THROUGHPUT_WINDOW_MS,
} from '../protocol/limits.ts';

type Sample = { at: number; bytes: number; busyMs: number };

/**
 * A link's delivered throughput: bytes of pieces that arrived within the last `windowMs`, over the
 * time within it the link had requests in flight (idle time does not count against a peer).
 */
export class ThroughputMeter {
  private samples: Sample[] = [];
  private busySince: number | null = null;

  constructor(
    private readonly clock: Clock,
    private readonly windowMs = THROUGHPUT_WINDOW_MS,
    private readonly minBusyMs = THROUGHPUT_MIN_BUSY_MS,
  ) {}

  /** A request went out (no-op while others are in flight). */
  busy(): void {
    this.busySince ??= this.clock.now();
  }

  /** A request ended: `bytes` delivered (0 for a refusal or a timeout); `stillBusy` if others remain in flight. */
  settled(bytes: number, stillBusy: boolean): void {
    const now = this.clock.now();
    const busyMs = this.busySince === null ? 0 : now - this.busySince;
    this.samples.push({ at: now, bytes, busyMs });
    this.busySince = stillBusy ? now : null;
    this.prune(now);
  }

  /**
   * Bytes per second; null until the link has had requests in flight for `minBusyMs` within the
   * window (time in flight right now counts too), and until anything ended in it.
   */
  rate(): number | null {
    const now = this.clock.now();
    this.prune(now);
    let bytes = 0;
    let busyMs = this.busySince === null ? 0 : now - this.busySince;
    for (const s of this.samples) {
      bytes += s.bytes;
      busyMs += s.busyMs;
    }
    if (this.samples.length === 0 || busyMs < this.minBusyMs) return null;
    return (bytes * 1000) / busyMs;
  }

  private prune(now: number): void {
    const from = now - this.windowMs;
    let i = 0;
    while (i < this.samples.length && this.samples[i]!.at < from) i++;
    if (i > 0) this.samples.splice(0, i);
  }
}

/** What the bridge assumes of the origin (bytes per second, ms before its first byte). */
export interface OriginEstimate {
  bytesPerS: number;
  latencyMs: number;
}

export const ASSUMED_ORIGIN: OriginEstimate = { bytesPerS: ORIGIN_ASSUMED_BYTES_PER_S, latencyMs: ORIGIN_ASSUMED_LATENCY_MS };

/** Responses of the origin alone the estimate keeps (the most recent). */
const ORIGIN_SAMPLES = 16;

/**
 * The origin as this tab's worker has seen it: from the worker's `served` reports of responses
 * the origin alone served (bytes over the response's ms, so its latency is counted in; small
 * files make it low, which is the safe side). Until there is one, ASSUMED_ORIGIN.
 */
export class OriginRateEstimate {
  private samples: Array<{ bytes: number; ms: number }> = [];

  /** One response the worker finished: counted only when every byte came from the origin. */
  observe(bytes: { peer: number; origin: number; cache: number }, ms: number): void {
    if (bytes.origin <= 0 || bytes.peer > 0 || bytes.cache > 0 || !(ms > 0)) return;
    this.samples.push({ bytes: bytes.origin, ms });
    if (this.samples.length > ORIGIN_SAMPLES) this.samples.shift();
  }

  estimate(): OriginEstimate {
    if (this.samples.length === 0) return ASSUMED_ORIGIN;
    let bytes = 0;
    let ms = 0;
    for (const s of this.samples) {
      bytes += s.bytes;
      ms += s.ms;
    }
    return { bytesPerS: (bytes * 1000) / ms, latencyMs: 0 };
  }
}

/**
 * Whether the rest of a response (`remainingBytes`) should come from the origin: every holder's
 * rate is measured (null: not yet, so no verdict) and together they would finish later than the
 * origin would, by more than SLOW_PEER_MARGIN times the origin's time.
 */
export function originFinishesFirst(remainingBytes: number, holderRates: ReadonlyArray<number | null>, origin = ASSUMED_ORIGIN): boolean {
  if (remainingBytes <= 0 || holderRates.length === 0 || holderRates.some((r) => r === null)) return false;
  const peerRate = holderRates.reduce<number>((sum, r) => sum + (r ?? 0), 0);
  const originMs = origin.latencyMs + (remainingBytes * 1000) / origin.bytesPerS;
  if (peerRate <= 0) return true;
  return (remainingBytes * 1000) / peerRate > originMs * SLOW_PEER_MARGIN;
}

/** Expected ms until a new request to this link would be answered: its queue at its rate (unknown rate: 0, try it). */
export function expectedWaitMs(inFlight: number, rate: number | null, pieceBytes: number): number {
  if (rate === null) return 0;
  if (rate <= 0) return Number.POSITIVE_INFINITY;
  return ((inFlight + 1) * pieceBytes * 1000) / rate;
}
