/**
 * The signaling server's runtime-free entry point: one swarm index plus the live connections.
 * An adapter calls `accept` for each upgraded socket and feeds it frames; nothing here knows
 * which runtime it is in.
 */
import { timerClock, type Clock } from '../clock.ts';
import { SignalConnection, type SignalSnapshot, type SignalSocket } from './signal-connection.ts';
import { resolveLimits } from '../socket/limits.ts';
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

export interface SignalStats {
  swarms: number;
  peers: number;
  /** Open connections, joined or not yet. */
  connections: number;
}

export class SignalHub {
  readonly limits: SignalLimits;
  private readonly clock: Clock;
  private readonly index: SwarmIndex;
  private readonly connections = new Set<SignalConnection>();
  private readonly onChange: ((connection: SignalConnection) => void) | undefined;

  constructor(options: SignalHubOptions = {}) {
    this.limits = resolveLimits('signal', DEFAULT_SIGNAL_LIMITS, options.limits);
    this.clock = options.clock ?? timerClock;
    this.index = new SwarmIndex(this.limits, options.random);
    this.onChange = options.onChange;
  }

  /** `swarm`: the swarm the socket's URL named, when the server is sharded by it. */
  accept(socket: SignalSocket, options: { swarm?: string } = {}): SignalConnection {
    return this.track(new SignalConnection(socket, this.index, this.limits, this.clock, (c) => this.connections.delete(c), this.options(options.swarm)));
  }

  /** Rebuilds a connection from `SignalConnection.snapshot()` on a socket that stayed open. */
  restore(socket: SignalSocket, snapshot: SignalSnapshot, options: { swarm?: string } = {}): SignalConnection {
    return this.track(
      new SignalConnection(socket, this.index, this.limits, this.clock, (c) => this.connections.delete(c), { ...this.options(options.swarm), restored: snapshot }),
    );
  }

  private options(swarm: string | undefined): { swarm?: string; onChange?: (connection: SignalConnection) => void } {
    return { ...(swarm !== undefined ? { swarm } : {}), ...(this.onChange ? { onChange: this.onChange } : {}) };
  }

  private track(connection: SignalConnection): SignalConnection {
    // A restore the lowered limits refuse ends inside the constructor.
    if (!connection.isClosed) this.connections.add(connection);
    return connection;
  }

  stats(): SignalStats {
    return { ...this.index.stats(), connections: this.connections.size };
  }

  /** Closes every connection (server shutdown). */
  shutdown(): void {
    for (const connection of [...this.connections]) connection.shutdown();
  }
}
