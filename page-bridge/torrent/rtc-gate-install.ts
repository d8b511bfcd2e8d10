/**
 * Evaluated just before WebTorrent's module (see rtc-gate.ts): the gated RTCPeerConnection is on
 * the global from here until client.ts's body calls `restoreRtcPeerConnection()`, which is the
 * first thing it does. Imported by client.ts as a side-effect import, first, so that no import
 * sorting moves it after WebTorrent's.
 */
import { createRtcGate } from './rtc-gate.ts';

const { gate, install } = createRtcGate();

export const torrentRtcGate = gate;
export const restoreRtcPeerConnection: () => void = install();
