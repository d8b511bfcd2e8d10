/**
 * The same workload against bittorrent-tracker's WebSocket server, as WebTorrent clients speak
 * it: join = announce `started` (no offers); a lookup = announce with 4 offers → the tracker
 * forwards each to a random peer of the swarm → each answers with an announce carrying `answer`
 * and `to_peer_id` → the tracker relays the answer back.
 */
import { fakeSdp } from '../lib/signaling/fake-sdp.ts';
import { type Json, type LoadPeer, Replies, within } from '../lib/signaling/load-peer.ts';
import type { Driver } from './load-driver.ts';

/** The protocol's ids are 20-character binary strings; ASCII ones are valid. */
const infoHashFor = (swarm: number): string => `bench-swarm-${swarm}`.padEnd(20, '.').slice(0, 20);
let offers = 0;
const offerId = (): string => `offer-${(offers++).toString(36)}`.padEnd(20, '.').slice(0, 20);

export function trackerDriver(offersPerLookup: number, lookupTimeoutMs: number): Driver {
  const announced = new Replies<boolean>();
  const answers = new Map<string, { sentAt: number; done: (ms: number) => void }>();
  const byId = new Map<string, LoadPeer>();
  const base = (peer: LoadPeer): Json => ({
    action: 'announce',
    info_hash: infoHashFor(peer.swarm),
    peer_id: peer.id,
    uploaded: 0,
    downloaded: 0,
    left: 0,
  });
  return {
    peerId: (i) => `-BN0001-${i.toString().padStart(12, '0')}`,
    join(peer) {
      byId.set(peer.id, peer);
      const ok = announced.wait(peer);
      peer.send({ ...base(peer), event: 'started', numwant: 0, offers: [] });
      return ok;
    },
    async lookup(peer) {
      const ids = Array.from({ length: offersPerLookup }, offerId);
      const relayed = ids.map((id) => new Promise<number>((done) => answers.set(id, { sentAt: Number.NaN, done })));
      peer.send({
        ...base(peer),
        numwant: offersPerLookup,
        offers: ids.map((offer_id) => ({ offer: { type: 'offer', sdp: fakeSdp('offer') }, offer_id })),
      });
      const latencies = await within(Promise.all(relayed), lookupTimeoutMs, null);
      if (!latencies) for (const id of ids) answers.delete(id);
      return { latencies: latencies ?? [], complete: latencies !== null };
    },
    onMessage(peer, m) {
      if (m['failure reason'] !== undefined) return announced.deliver(peer, false);
      if (m.offer !== undefined && typeof m.offer_id === 'string' && typeof m.peer_id === 'string') {
        // A holder answering a forwarded offer: the relay latency starts now.
        const a = answers.get(m.offer_id);
        if (a) a.sentAt = performance.now();
        return peer.send({
          ...base(peer),
          to_peer_id: m.peer_id,
          offer_id: m.offer_id,
          answer: { type: 'answer', sdp: fakeSdp('answer') },
        });
      }
      if (m.answer !== undefined && typeof m.offer_id === 'string') {
        const a = answers.get(m.offer_id);
        if (!a) return;
        answers.delete(m.offer_id);
        return a.done(performance.now() - a.sentAt);
      }
      if (m.interval !== undefined) announced.deliver(peer, true);
    },
  };
}
