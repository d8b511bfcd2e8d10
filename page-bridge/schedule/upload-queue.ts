/**
 * Choking by queuing delay: whether a link takes one more peer request onto its upload queue.
 * Pure (no timers, no channels): each PeerLink feeds its own what it has sent and still buffers
 * (page-bridge/peer-link.ts), and the swarm simulator (bench/swarm-sim/) asks `admitsUpload`
 * with the simulated uploader's own queue.
 *
 * BitTorrent uploaders choke all but a few peers so that those they serve get their pieces
 * promptly (BEP 3, "choking"); BEP 29's LEDBAT keeps an uploader's queuing delay near a target
 * (100 ms). Here a request is refused (`nak choked`) when the bytes already queued would hold
 * it longer than UPLOAD_QUEUE_TARGET_MS at the measured upload rate: the asker goes to another
 * peer at once, instead of waiting in a queue of seconds and timing out after the bytes were
 * spent (which the sender cannot take back once they are in the channel's buffer).
 */
import { Ewma } from '../../protocol/ewma.ts';
import { UPLOAD_QUEUE_TARGET_MS } from '../../protocol/limits.ts';

/**
 * Whether a request may join an upload queue of `backlogBytes` drained at `bytesPerMs`: always
 * when nothing is queued (every uploader serves someone), otherwise when the queue would hold it
 * at most `targetMs`.
 */
export function admitsUpload(backlogBytes: number, bytesPerMs: number, targetMs = UPLOAD_QUEUE_TARGET_MS): boolean {
  if (backlogBytes <= 0) return true;
  return backlogBytes / Math.max(bytesPerMs, 1e-3) <= targetMs;
}

/** Shortest interval a drain sample spans (ms): shorter ones are dominated by timer jitter. */
const MIN_SAMPLE_MS = 20;
/** Longest: over a longer one the queue more likely ran empty in between, and the rate would read low. */
const MAX_SAMPLE_MS = 1_000;

/**
 * One link's upload queue as the link reports it: `observe` whenever the totals change or a request
 * arrives, `admits` per request. The rate is learned only over intervals with something queued at
 * both ends (a drain that ran dry in between says nothing of the uplink's capacity), and nothing
 * is choked until it is measured: a fast uplink (loopback, fibre) rarely stays queued long
 * enough to be measured, and never needs choking; a slow one is measured within its first
 * MIN_SAMPLE_MS of backlog.
 */
export class UploadQueue {
  private readonly rate = new Ewma();
  private last: { at: number; drained: number; backlog: number } | null = null;

  constructor(private readonly targetMs = UPLOAD_QUEUE_TARGET_MS) {}

  /**
   * The link's totals at `now` (ms): `sentBytes`, every byte handed to its channel so far (only
   * grows); `backlogBytes`, how many of them are still in the channel's buffer. What left it is
   * the drain; pieces read and not yet handed over are not passed here (they join the queue, they
   * do not drain it), only to `admits`.
   */
  observe(now: number, sentBytes: number, backlogBytes: number): void {
    const drained = sentBytes - Math.max(0, backlogBytes);
    const last = this.last;
    const span = last ? now - last.at : 0;
    // Too soon after the last sample: kept for a later one. A clock stepped back starts afresh.
    if (last && span >= 0 && span < MIN_SAMPLE_MS) return;
    if (last && last.backlog > 0 && backlogBytes > 0 && span >= MIN_SAMPLE_MS && span <= MAX_SAMPLE_MS && drained >= last.drained)
      this.rate.add((drained - last.drained) / span);
    this.last = { at: now, drained, backlog: backlogBytes };
  }

  /** Bytes per ms the links were seen to drain while queued; undefined until measured. */
  get bytesPerMs(): number | undefined {
    return this.rate.value;
  }

  /** Whether a request may join a queue of `backlogBytes` now (see admitsUpload); always, until the rate is measured. */
  admits(backlogBytes: number): boolean {
    const rate = this.rate.value;
    return rate === undefined || admitsUpload(backlogBytes, rate, this.targetMs);
  }
}
