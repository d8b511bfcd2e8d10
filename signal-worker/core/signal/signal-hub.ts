/**
 * The signaling server's runtime-free entry point: one swarm index plus the live connections.
 * An adapter calls `accept` for each upgraded socket and feeds it frames; nothing here knows
 * which runtime it is in.
 */
import { type Clock, unrefTimerClock } from '../../../protocol/clock.ts';
import type { ClientSocket } from '../socket/client-socket.ts';
import { ConnectionSet } from '../socket/connection-set.ts';
import { frameRules } from '../socket/frame-gate.ts';
import { resolveLimits } from '../socket/limits.ts';
import type { IndexStats } from '../swarm-table.ts';
import { SignalConnection, type SignalContext, type SignalSnapshot } from './signal-connection.ts';
import { DEFAULT_SIGNAL_LIMITS, type SignalLimits } from './signal-limits.ts';
import { SwarmIndex } from './swarm-index.ts';

export interface SignalHubOptions {
  limits?: Partial<SignalLimits>;
  clock?: Clock;
  /** Random source for choosing holders; injectable so tests are deterministic. */
  random?: () => number;
  /** Told when a connection's snapshot changed (beyond its clock and bucket) or it ended. */
  onChange?: (connection: SignalConnection) => void;
}

export interface SignalStats extends IndexStats {
  /** Open connections, joined or not yet. */
  connections: number;
}

export class SignalHub {
  readonly limits: SignalLimits;
  private readonly connections = new ConnectionSet<SignalConnection>();
  private readonly context: SignalContext;

  constructor(options: SignalHubOptions = {}) {
    this.limits = resolveLimits('signal', DEFAULT_SIGNAL_LIMITS, options.limits);
    this.context = {
      index: new SwarmIndex(this.limits, options.random),
      rules: frameRules('signaling', this.limits, this.limits.idleTimeoutMs),
      clock: options.clock ?? unrefTimerClock,
      onEnd: this.connections.delete,
      onChange: options.onChange,
    };
  }

  /** `swarm`: the swarm the socket's URL named, when the server is sharded by it. */
  accept(socket: ClientSocket, options: { swarm?: string } = {}): SignalConnection {
    return this.connections.add(new SignalConnection(socket, this.context, options));
  }

  /** Rebuilds a connection from `SignalConnection.snapshot()` on a socket that stayed open. */
  restore(socket: ClientSocket, snapshot: SignalSnapshot, options: { swarm?: string } = {}): SignalConnection {
    return this.connections.add(new SignalConnection(socket, this.context, { ...options, restored: snapshot }));
  }

  stats(): SignalStats {
    return { ...this.context.index.stats(), connections: this.connections.size };
  }

  /** Closes every connection (server shutdown). */
  shutdown(): void {
    this.connections.shutdown();
  }
}
