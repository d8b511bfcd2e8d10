/**
 * The workload against our signaling server, as the page bridge speaks it: join with one asset
 * and two parked offers; a lookup is `want` → `peers` with up to 4 parked offers → one `signal`
 * answer per offer, relayed to its holder, which parks a fresh offer on `offer-used`.
 */
import { fakeSdp } from '../lib/signaling/fake-sdp.ts';
import { type Json, Replies, within } from '../lib/signaling/load-peer.ts';
import type { Driver } from './load-driver.ts';

const PARKED = 2;
const hashFor = (swarm: number): string => swarm.toString(16).padStart(64, 'a');
const connId = (): string => `c${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`.slice(0, 24).padEnd(12, '0');

export function oursDriver(lookupTimeoutMs: number): Driver {
  const joined = new Replies<boolean>();
  const peersReplies = new Replies<Json[]>();
  const answers = new Map<string, { sentAt: number; done: (ms: number) => void }>();
  const offer = (): Json => ({ connId: connId(), sdp: { type: 'offer', sdp: fakeSdp('offer') } });
  return {
    peerId: (i) => `bench-peer-${i.toString().padStart(8, '0')}`,
    join(peer) {
      const ok = joined.wait(peer);
      peer.send({
        type: 'join',
        swarm: `bench-${peer.swarm}`,
        peerId: peer.id,
        have: [hashFor(peer.swarm)],
        offers: Array.from({ length: PARKED }, offer),
      });
      return ok;
    },
    async lookup(peer) {
      const reply = peersReplies.wait(peer);
      peer.send({ type: 'want', hash: hashFor(peer.swarm), exclude: [] });
      const candidates = await within(reply, lookupTimeoutMs, []);
      const relayed = candidates.flatMap((c) => {
        const o = c.offer as { connId?: string } | undefined;
        if (typeof c.peerId !== 'string' || !o?.connId) return [];
        const id = o.connId;
        return [
          new Promise<number>((done) => {
            answers.set(id, { sentAt: performance.now(), done });
            peer.send({ type: 'signal', to: c.peerId, connId: id, sdp: { type: 'answer', sdp: fakeSdp('answer') } });
          }),
        ];
      });
      const latencies = await within(Promise.all(relayed), lookupTimeoutMs, null);
      return { latencies: latencies ?? [], complete: latencies !== null && relayed.length > 0 };
    },
    onMessage(peer, m) {
      switch (m.type) {
        case 'joined':
          return joined.deliver(peer, true);
        case 'error':
          return joined.deliver(peer, false);
        case 'peers':
          return peersReplies.deliver(peer, Array.isArray(m.peers) ? (m.peers as Json[]) : []);
        case 'offer-used':
          // What the bridge does: park a fresh offer so the next newcomer connects in one round trip.
          return peer.send({ type: 'offers', offers: [offer()] });
        case 'signal': {
          const a = typeof m.connId === 'string' ? answers.get(m.connId) : undefined;
          if (!a) return;
          answers.delete(m.connId as string);
          a.done(performance.now() - a.sentAt);
        }
      }
    },
  };
}
