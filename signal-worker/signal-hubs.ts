/**
 * The two hubs every signaling server holds, the signaling route's and the tracker's: made from
 * one config, counted together on the health route, and shut down together.
 */
import type { P2pModes } from '../protocol/usage-report.ts';
import { SignalHub, type SignalStats } from './core/signal/signal-hub.ts';
import type { SignalLimits } from './core/signal/signal-limits.ts';
import { TrackerHub, type TrackerStats } from './core/tracker/tracker-hub.ts';
import type { TrackerLimits } from './core/tracker/tracker-limits.ts';

export interface HubLimits {
  limits?: Partial<SignalLimits>;
  trackerLimits?: Partial<TrackerLimits>;
  /** Each swarm's P2P mode at start (protocol/usage-report.ts); default `on` everywhere. */
  p2p?: P2pModes;
}

/** What the health route reports. */
export type HubStats = SignalStats & { tracker: TrackerStats };

/** A UTF-16 code unit is at most 3 UTF-8 bytes, so a cap of 3 bytes a character never cuts a frame the core would accept. */
const UTF8_BYTES_PER_CHAR = 3;

export class SignalHubs {
  readonly signal: SignalHub;
  readonly tracker: TrackerHub;

  constructor(limits: HubLimits = {}) {
    this.signal = new SignalHub({ limits: limits.limits ?? {}, p2p: limits.p2p ?? {} });
    this.tracker = new TrackerHub({ limits: limits.trackerLimits ?? {} });
  }

  stats(): HubStats {
    return { ...this.signal.stats(), tracker: this.tracker.stats() };
  }

  /**
   * The largest WebSocket message a runtime should assemble, for runtimes that take one cap per
   * server: the larger of the two routes' limits, in bytes. Past it the runtime drops the socket
   * (1009) without buffering the message; below it the core's own `too-large` check answers.
   */
  get maxFrameBytes(): number {
    return Math.max(this.signal.limits.maxMessageChars, this.tracker.limits.maxMessageChars) * UTF8_BYTES_PER_CHAR;
  }

  /** Closes every socket of both routes (server shutdown). */
  shutdown(): void {
    this.signal.shutdown();
    this.tracker.shutdown();
  }
}
