/** What the load child needs from one signaling protocol (load-ours.ts, load-tracker.ts). */
import type { Json, LoadPeer } from '../lib/signaling/load-peer.ts';

export interface LookupOutcome {
  /** Answer relay latencies, ms: answer sent by one peer → received by the other. */
  latencies: number[];
  /** Every handed-out offer's answer arrived in time. */
  complete: boolean;
}

export interface Driver {
  peerId(index: number): string;
  /** Sends the first message; resolves true once the server confirmed it. */
  join(peer: LoadPeer): Promise<boolean>;
  lookup(peer: LoadPeer): Promise<LookupOutcome>;
  onMessage(peer: LoadPeer, message: Json): void;
}
