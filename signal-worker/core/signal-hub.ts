/**
 * The signaling server's runtime-free entry point: one swarm index plus the live connections.
 * An adapter calls `accept` for each upgraded socket and feeds it frames; nothing here knows
 * which runtime it is in.
 */
import { timerClock, type Clock } from './clock.ts';
import { SignalConnection, type SignalSocket } from './connection.ts';
import { resolveSignalLimits, type SignalLimits } from './limits.ts';
import { SwarmIndex } from './swarm-index.ts';

export interface SignalHubOptions {
  limits?: Partial<SignalLimits>;
  clock?: Clock;
  /** Random source for choosing holders; injectable so tests are deterministic. */
  random?: () => number;
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

  constructor(options: SignalHubOptions = {}) {
    this.limits = resolveSignalLimits(options.limits);
    this.clock = options.clock ?? timerClock;
    this.index = new SwarmIndex(this.limits, options.random);
  }

  accept(socket: SignalSocket): SignalConnection {
    const connection = new SignalConnection(socket, this.index, this.limits, this.clock, (c) => this.connections.delete(c));
    this.connections.add(connection);
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
