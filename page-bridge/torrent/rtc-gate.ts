/**
 * WebTorrent's RTCPeerConnections, capped while they are being set up. bittorrent-tracker's
 * WebSocket client makes a simple-peer, and so an RTCPeerConnection, for every offer the tracker
 * relays, before anything can look at it; neither offers a hook or an option for that (WebTorrent
 * passes `tracker.wrtc`, but @thaunknown/simple-peer 10 ignores it). A tracker (or peers through
 * it) flooding offers made a tab hold ~500 of them until `new RTCPeerConnection()` threw for the
 * page's own code too.
 *
 * The peer factory's constructor is the one place: WebTorrent's browser build reads
 * `RTCPeerConnection` from the global once, when its module is evaluated. `withGatedPeerConnections`
 * puts a gated subclass there for exactly that synchronous evaluation and restores the original at
 * once, so no other script ever sees it; the bundle keeps the gated class. Past
 * TORRENT_MAX_PENDING_CONNECTIONS pending (made, neither connected nor closed) the constructor
 * throws, simple-peer destroys that peer (`ERR_PC_CONSTRUCTOR`) before it holds any connection,
 * and the tracker client drops the offer. If a later WebTorrent stops reading the global at
 * evaluation, the gate sees no connection: `RtcGate.gated` is then false (the e2e test checks it).
 */
import { TORRENT_MAX_PENDING_CONNECTIONS } from '../../protocol/limits.ts';

export interface RtcGate {
  /** Connections made and neither connected nor closed. */
  readonly pending: number;
  /** Connections refused because `pending` was at the cap. */
  readonly refused: number;
  /** Connections made through the gate at all. */
  readonly made: number;
}

interface GateState {
  pending: number;
  refused: number;
  made: number;
}

const SETTLED: ReadonlySet<RTCPeerConnectionState> = new Set(['connected', 'failed', 'closed']);

/** A subclass of `Base` that counts its pending connections and refuses one past `maxPending`. */
export function gatedPeerConnection(Base: typeof RTCPeerConnection, maxPending: number, state: GateState): typeof RTCPeerConnection {
  class GatedPeerConnection extends Base {
    constructor(config?: RTCConfiguration) {
      if (state.pending >= maxPending) {
        state.refused++;
        throw new DOMException(`more than ${maxPending} WebRTC connections being set up`, 'OperationError');
      }
      super(config);
      state.made++;
      state.pending++;
      let counted = true;
      const settle = (): void => {
        if (!counted) return;
        counted = false;
        state.pending--;
      };
      this.addEventListener('connectionstatechange', () => {
        if (SETTLED.has(this.connectionState)) settle();
      });
      const close = this.close.bind(this);
      this.close = () => {
        settle();
        close();
      };
    }
  }
  return GatedPeerConnection;
}

/** The gate's counters, and the class to install while WebTorrent's module evaluates. */
export function createRtcGate(maxPending = TORRENT_MAX_PENDING_CONNECTIONS): { gate: RtcGate; install(): () => void } {
  const state: GateState = { pending: 0, refused: 0, made: 0 };
  return {
    gate: state,
    install() {
      const original = globalThis.RTCPeerConnection;
      if (typeof original !== 'function') return () => undefined;
      globalThis.RTCPeerConnection = gatedPeerConnection(original, maxPending, state);
      return () => {
        globalThis.RTCPeerConnection = original;
      };
    },
  };
}
