/**
 * The signaling server's runtime-free entry point: one swarm index plus the live connections.
 * An adapter calls `accept` for each upgraded socket and feeds it frames; nothing here knows
 * which runtime it is in.
 */
import { type Clock, unrefTimerClock } from '../../../protocol/clock.ts';
import type { Result } from '../../../protocol/result.ts';
import type { P2pModes } from '../../../protocol/usage-report.ts';
import { Admission, type AdmitRefusalCode } from '../socket/admission.ts';
import type { ClientSocket } from '../socket/client-socket.ts';
import { ConnectionSet } from '../socket/connection-set.ts';
import { frameRules } from '../socket/frame-gate.ts';
import { resolveLimits } from '../socket/limits.ts';
import { P2pSwitch } from '../stats/p2p-switch.ts';
import { UsageBoard } from '../stats/usage-board.ts';
import type { IndexStats } from '../swarm-table.ts';
import { SignalConnection, type SignalContext, type SignalSnapshot } from './signal-connection.ts';
import { DEFAULT_SIGNAL_LIMITS, type SignalLimits } from './signal-limits.ts';
import { SwarmIndex } from './swarm-index.ts';

/** Where a socket came from and which swarm its URL named. */
export interface AcceptOptions {
  /** The swarm the socket's URL named, when the server is sharded by it. */
  swarm?: string;
  /** The client's address (the runtime's, or a trusted proxy header's); null or absent when unknown. */
  address?: string | null;
}

export type { AdmitRefusalCode };

export interface SignalHubOptions {
  limits?: Partial<SignalLimits>;
  clock?: Clock;
  /** Random source for choosing holders; injectable so tests are deterministic. */
  random?: () => number;
  /** Told when a connection's snapshot changed (beyond its clock and bucket) or it ended. */
  onChange?: (connection: SignalConnection) => void;
  /** Each swarm's P2P mode at start (`*` for every swarm not named); default all `on`. */
  p2p?: P2pModes;
}

export interface SignalStats extends IndexStats {
  /** Open connections, joined or not yet. */
  connections: number;
}

export class SignalHub {
  readonly limits: SignalLimits;
  private readonly connections = new ConnectionSet<SignalConnection>();
  private readonly context: SignalContext;
  /** Open connections, in all and by client address (the connection caps). */
  private readonly admission: Admission;
  /** Reports, joins, relays, messages, errors: what the dashboard and metrics show. */
  readonly usage = new UsageBoard();
  private readonly p2p: P2pSwitch;

  constructor(options: SignalHubOptions = {}) {
    this.limits = resolveLimits('signal', DEFAULT_SIGNAL_LIMITS, options.limits);
    this.admission = new Admission(this.limits);
    this.p2p = new P2pSwitch(options.p2p);
    this.context = {
      usage: this.usage,
      p2p: this.p2p,
      index: new SwarmIndex(this.limits, options.random),
      rules: { ...frameRules('signaling', this.limits, this.limits.idleTimeoutMs), maxBufferedBytes: this.limits.maxBufferedBytes },
      clock: options.clock ?? unrefTimerClock,
      onEnd: (connection) => this.ended(connection),
      onChange: options.onChange,
    };
  }

  /**
   * Whether one more socket from `address` may be accepted (maxConnections, then
   * maxConnectionsPerAddress). The route asks before the upgrade and answers 503 when not.
   */
  admit(address: string | null): Result<void, AdmitRefusalCode> {
    const admitted = this.admission.admit(address);
    if (!admitted.ok) this.usage.refusedBeforeUpgrade(admitted.code);
    return admitted;
  }

  /**
   * Accepts an upgraded socket. One that raced past the route's `admit` (or a runtime that
   * cannot answer 503) is told why and closed at once.
   */
  accept(socket: ClientSocket, options: AcceptOptions = {}): SignalConnection {
    const address = options.address ?? null;
    const admitted = this.admit(address);
    if (!admitted.ok) return new SignalConnection(socket, this.context, { ...options, refused: admitted });
    this.usage.opened();
    return this.track(new SignalConnection(socket, this.context, options));
  }

  /** Rebuilds a connection from `SignalConnection.snapshot()` on a socket that stayed open. */
  restore(socket: ClientSocket, snapshot: SignalSnapshot, options: AcceptOptions = {}): SignalConnection {
    return this.track(new SignalConnection(socket, this.context, { ...options, restored: snapshot }));
  }

  private track(connection: SignalConnection): SignalConnection {
    if (connection.isClosed) return connection;
    this.admission.enter(connection.address);
    return this.connections.add(connection);
  }

  /** A connection's end: it no longer counts, in all or for its address. */
  private ended(connection: SignalConnection): void {
    if (!this.connections.has(connection)) return;
    this.connections.delete(connection);
    this.admission.leave(connection.address);
  }

  stats(): SignalStats {
    return { ...this.context.index.stats(), connections: this.connections.size };
  }

  /** The configured P2P modes, as written. */
  get p2pModes(): P2pModes {
    return this.p2p.current;
  }

  /** The swarm's P2P mode now. */
  modeOf(swarm: string): ReturnType<P2pSwitch['modeOf']> {
    return this.p2p.modeOf(swarm);
  }

  /**
   * Replaces the P2P modes and tells every joined bridge whose swarm's mode changed, at once
   * (`p2p-mode`). Returns how many bridges were told.
   */
  setP2pModes(modes: P2pModes): number {
    const changed = this.p2p.replace(modes);
    let told = 0;
    for (const connection of this.connections) {
      const swarm = connection.swarmId;
      if (swarm === null || !changed(swarm)) continue;
      if (connection.deliver({ type: 'p2p-mode', mode: this.p2p.modeOf(swarm) })) told++;
    }
    return told;
  }

  /** Closes every connection (server shutdown). */
  shutdown(): void {
    this.connections.shutdown();
  }
}
