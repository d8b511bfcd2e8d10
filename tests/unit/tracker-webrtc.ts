/**
 * WebRTC for the Node clients in the tracker tests, and the one fix they need on this machine.
 *
 * Non-trickle WebRTC (what every WebTorrent tracker client uses) sends an offer or answer only
 * once ICE gathering has ended, which simple-peer learns from the end-of-candidates event (an
 * `icecandidate` with a null candidate). webrtc-polyfill 1.2 (node-datachannel's W3C layer,
 * which @thaunknown/simple-peer imports directly in Node and ignores any `wrtc` option for)
 * never fires it, so simple-peer falls back to its 5 s iceCompleteTimeout for every offer and
 * every answer: 10 s before two Node WebTorrent clients connect. Patching the polyfill's
 * prototype (the same module instance simple-peer uses) to fire the event when gathering
 * completes removes that wait; the SDP is already complete at that moment (libdatachannel adds
 * each candidate to the local description before reporting it).
 */
import { RTCPeerConnection, RTCPeerConnectionIceEvent } from 'webrtc-polyfill';

/**
 * The RTCConfiguration to give the clients. node-datachannel gathers no loopback candidates by
 * default, so inside the test runner's loopback-only namespace it would gather none at all and
 * simple-peer would never send an offer; binding to 127.0.0.1 gives one host candidate there.
 */
export const LOOPBACK_RTC_CONFIG = { iceServers: [], bindAddress: '127.0.0.1' };

let patched = false;

export function fireEndOfCandidates(): void {
  if (patched) return;
  patched = true;
  const proto = RTCPeerConnection.prototype as RTCPeerConnection & { setLocalDescription: (...args: unknown[]) => Promise<void> };
  const original = proto.setLocalDescription;
  const ended = new WeakSet<object>();
  proto.setLocalDescription = async function (this: RTCPeerConnection, ...args: unknown[]): Promise<void> {
    await original.apply(this, args);
    const fire = (): void => {
      if (ended.has(this) || this.iceGatheringState !== 'complete') return;
      ended.add(this);
      // The polyfill's event class takes the candidate itself, not an init dictionary.
      const Event = RTCPeerConnectionIceEvent as unknown as new (candidate: null) => Event;
      this.dispatchEvent(new Event(null));
    };
    if (this.iceGatheringState === 'complete') queueMicrotask(fire);
    else this.addEventListener('icegatheringstatechange', fire);
  };
}
