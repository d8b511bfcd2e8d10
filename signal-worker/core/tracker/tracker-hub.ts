/**
 * The tracker's runtime-free entry point: one index, the live connections, and the sweep that
 * drops peers which stopped announcing without closing their socket (a tab frozen in the
 * background, a half-open TCP connection). An adapter calls `accept` per upgraded socket.
 */
import { timerClock, type Clock, type TimerHandle } from '../clock.ts';
import { TrackerConnection, type TrackerSnapshot, type TrackerSocket } from './tracker-connection.ts';
import { TrackerIndex } from './tracker-index.ts';
import { resolveLimits } from '../socket/limits.ts';
import { DEFAULT_TRACKER_LIMITS, type TrackerLimits } from './tracker-limits.ts';

export interface TrackerHubOptions {
  limits?: Partial<TrackerLimits>;
  clock?: Clock;
  /** Random source for choosing whom an offer goes to; injectable so tests are deterministic. */
  random?: () => number;
}

export interface TrackerStats {
  swarms: number;
  peers: number;
  connections: number;
}

export class TrackerHub {
  readonly limits: TrackerLimits;
  private readonly clock: Clock;
  private readonly index: TrackerIndex;
  private readonly connections = new Set<TrackerConnection>();
  private sweepTimer: TimerHandle | null = null;
  private stopped = false;

  constructor(options: TrackerHubOptions = {}) {
    this.limits = resolveLimits('tracker', DEFAULT_TRACKER_LIMITS, options.limits);
    this.clock = options.clock ?? timerClock;
    this.index = new TrackerIndex(this.limits, options.random);
  }

  accept(socket: TrackerSocket): TrackerConnection {
    return this.track(new TrackerConnection(socket, this.index, this.limits, this.clock, (c) => this.connections.delete(c)));
  }

  /** Rebuilds a connection from `TrackerConnection.snapshot()` on a socket that stayed open. */
  restore(socket: TrackerSocket, snapshot: TrackerSnapshot): TrackerConnection {
    return this.track(new TrackerConnection(socket, this.index, this.limits, this.clock, (c) => this.connections.delete(c), snapshot));
  }

  private track(connection: TrackerConnection): TrackerConnection {
    if (this.stopped) {
      connection.shutdown();
      return connection;
    }
    this.connections.add(connection);
    if (this.sweepTimer === null) this.armSweep();
    return connection;
  }

  stats(): TrackerStats {
    return { ...this.index.stats(), connections: this.connections.size };
  }

  /** Closes every connection and stops the sweep (server shutdown). */
  shutdown(): void {
    this.stopped = true;
    if (this.sweepTimer !== null) this.clock.clearTimeout(this.sweepTimer);
    this.sweepTimer = null;
    for (const connection of [...this.connections]) connection.shutdown();
  }

  private armSweep(): void {
    this.sweepTimer = this.clock.setTimeout(() => {
      this.sweepTimer = null;
      if (this.stopped) return;
      this.index.sweep(this.clock.now() - this.limits.peerTtlMs);
      // Peers live only on open connections, so with none there is nothing to sweep: a hub
      // nobody uses holds no timer (and a Cloudflare object sets no alarm).
      if (this.connections.size > 0) this.armSweep();
    }, this.limits.sweepIntervalMs);
  }
}
