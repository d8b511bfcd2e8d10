/**
 * The tracker's runtime-free entry point: one index, the live connections, and the sweep that
 * drops peers which stopped announcing without closing their socket (a tab frozen in the
 * background, a half-open TCP connection). An adapter calls `accept` per upgraded socket.
 */
import { type Clock, type TimerHandle, unrefTimerClock } from '../../../protocol/clock.ts';
import type { Result } from '../../../protocol/result.ts';
import { Admission, type AdmitRefusalCode } from '../socket/admission.ts';
import type { ClientSocket } from '../socket/client-socket.ts';
import { ConnectionSet } from '../socket/connection-set.ts';
import { frameRules } from '../socket/frame-gate.ts';
import { resolveLimits } from '../socket/limits.ts';
import type { IndexStats } from '../swarm-table.ts';
import { type TrackerAcceptOptions, TrackerConnection, type TrackerContext, type TrackerSnapshot } from './tracker-connection.ts';
import { TrackerIndex } from './tracker-index.ts';
import { DEFAULT_TRACKER_LIMITS, type TrackerLimits } from './tracker-limits.ts';

export interface TrackerHubOptions {
  limits?: Partial<TrackerLimits>;
  clock?: Clock;
  /** Random source for choosing whom an offer goes to; injectable so tests are deterministic. */
  random?: () => number;
}

export interface TrackerStats extends IndexStats {
  /** Open connections (each may hold many peers). */
  connections: number;
}

export class TrackerHub {
  readonly limits: TrackerLimits;
  private readonly clock: Clock;
  private readonly index: TrackerIndex;
  private readonly connections = new ConnectionSet<TrackerConnection>();
  private readonly context: TrackerContext;
  /** Open connections, in all and by client address (the connection caps). */
  private readonly admission: Admission;
  private sweepTimer: TimerHandle | null = null;

  constructor(options: TrackerHubOptions = {}) {
    this.limits = resolveLimits('tracker', DEFAULT_TRACKER_LIMITS, options.limits);
    this.clock = options.clock ?? unrefTimerClock;
    this.index = new TrackerIndex(this.limits, options.random);
    // A connection silent for the peer TTL has no live peer left, so that is its idle timeout.
    const rules = frameRules('tracker', this.limits, this.limits.peerTtlMs);
    this.admission = new Admission(this.limits);
    this.context = { index: this.index, limits: this.limits, rules, clock: this.clock, onEnd: (c) => this.ended(c) };
  }

  /**
   * Whether one more socket from `address` may be accepted (maxConnections, then
   * maxConnectionsPerAddress). The route asks before the upgrade and answers 503 when not.
   */
  admit(address: string | null): Result<void, AdmitRefusalCode> {
    return this.admission.admit(address);
  }

  /** Accepts an upgraded socket; one that raced past the route's `admit` gets a failure reason and is closed. */
  accept(socket: ClientSocket, options: Pick<TrackerAcceptOptions, 'address'> = {}): TrackerConnection {
    const admitted = this.admit(options.address ?? null);
    if (!admitted.ok) return new TrackerConnection(socket, this.context, undefined, { ...options, refused: admitted });
    return this.track(new TrackerConnection(socket, this.context, undefined, options));
  }

  /** Rebuilds a connection from `TrackerConnection.snapshot()` on a socket that stayed open. */
  restore(socket: ClientSocket, snapshot: TrackerSnapshot, options: Pick<TrackerAcceptOptions, 'address'> = {}): TrackerConnection {
    return this.track(new TrackerConnection(socket, this.context, snapshot, options));
  }

  /** A connection's end: it no longer counts, in all or for its address. */
  private ended(connection: TrackerConnection): void {
    if (!this.connections.has(connection)) return;
    this.connections.delete(connection);
    this.admission.leave(connection.address);
  }

  private track(connection: TrackerConnection): TrackerConnection {
    if (connection.isClosed) return connection;
    this.admission.enter(connection.address);
    this.connections.add(connection);
    if (this.connections.size > 0 && this.sweepTimer === null) this.armSweep();
    return connection;
  }

  stats(): TrackerStats {
    return { ...this.index.stats(), connections: this.connections.size };
  }

  /** Closes every connection and stops the sweep (server shutdown). */
  shutdown(): void {
    if (this.sweepTimer !== null) this.clock.clearTimeout(this.sweepTimer);
    this.sweepTimer = null;
    this.connections.shutdown();
  }

  private armSweep(): void {
    this.sweepTimer = this.clock.setTimeout(() => {
      this.sweepTimer = null;
      this.index.sweep(this.clock.now() - this.limits.peerTtlMs);
      // Peers live only on open connections, so with none there is nothing to sweep: a hub
      // nobody uses holds no timer (and a Cloudflare object sets no alarm). After shutdown
      // there are none.
      if (this.connections.size > 0) this.armSweep();
    }, this.limits.sweepIntervalMs);
  }
}
