/**
 * How many sockets a hub holds, in all and per client address, and whether one more may come in:
 * the route asks before the upgrade (503 when not), and a socket that raced past it is refused on
 * accept. Both protocols' hubs count through one of these.
 */
import { fail, ok, type Result, type Success } from '../../../protocol/result.ts';

/** Why a socket is refused before it is accepted: the route answers 503 with it. */
export type AdmitRefusalCode = 'server-full' | 'too-many-connections';

export interface AdmissionLimits {
  /** Open sockets on the hub. */
  maxConnections: number;
  /** Open sockets from one client address (when the address is known). */
  maxConnectionsPerAddress: number;
}

const ADMITTED: Success<void> = Object.freeze(ok(undefined));

export class Admission {
  private total = 0;
  private readonly byAddress = new Map<string, number>();

  constructor(private readonly limits: AdmissionLimits) {}

  /** Whether one more socket from `address` (null: unknown) may be accepted: maxConnections, then per address. */
  admit(address: string | null): Result<void, AdmitRefusalCode> {
    if (this.total >= this.limits.maxConnections) return fail(`this server has ${this.limits.maxConnections} connections`, 'server-full');
    if (address !== null && (this.byAddress.get(address) ?? 0) >= this.limits.maxConnectionsPerAddress)
      return fail(`${this.limits.maxConnectionsPerAddress} connections from one address`, 'too-many-connections');
    return ADMITTED;
  }

  /** A socket from `address` is now held. */
  enter(address: string | null): void {
    this.total++;
    if (address !== null) this.byAddress.set(address, (this.byAddress.get(address) ?? 0) + 1);
  }

  /** A socket `enter`ed from `address` ended. */
  leave(address: string | null): void {
    this.total = Math.max(0, this.total - 1);
    if (address === null) return;
    const left = (this.byAddress.get(address) ?? 1) - 1;
    if (left > 0) this.byAddress.set(address, left);
    else this.byAddress.delete(address);
  }
}
