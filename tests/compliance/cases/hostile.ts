/**
 * Hostile clients (issue 11), hit for real in every runtime: a capped count refused with its
 * code while a bystander is served, a client that stops reading cut off with its relayer told and
 * what the server queued for it bounded, a full swarm admitting a real newcomer by evicting an
 * idle non-holder, and a drainer of parked offers stopped while an honest requester is served.
 * Other client addresses are other loopback addresses (all of 127/8 is loopback on Linux).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';
import type WebSocket from 'ws';
import { MAX_SDP_CHARS } from '../../../protocol/limits.ts';
import type { ParkedOffer } from '../../../protocol/signal-messages.ts';
import type { RuntimeName } from '../../runtimes/types.ts';
import type { ComplianceCase } from '../support/case.ts';
import { GOOD_ORIGIN, HOSTILE_LIMITS, SIGNAL_LIMITS } from '../support/config.ts';
import { hash, peerId, refusedUpgrade, type SignalClient } from '../support/signal-client.ts';
import { binaryId } from '../support/tracker-client.ts';
import { withTimeout } from '../support/wait.ts';

/** The hostile client's address, and other visitors' (127.0.0.1 is the suite's own). */
const HOSTILE = '127.0.0.2';
const OTHER = ['127.0.0.3', '127.0.0.4', '127.0.0.5', '127.0.0.6'] as const;

/**
 * Whether the runtime tells the core how many bytes it still holds for a socket
 * (`ClientSocket.bufferedAmount`). workerd's WebSocket has no `bufferedAmount`, so there the core
 * cannot see a client that stopped reading (README "Signaling server limits").
 */
const REPORTS_QUEUED_BYTES: Record<RuntimeName, boolean> = { node: true, deno: true, bun: true, workerd: false };

/** A parked offer with a valid connId. */
const offerOf = (name: string): ParkedOffer => ({ connId: `conn-${name}`.padEnd(8, '0'), sdp: { type: 'offer', sdp: `v=0 ${name}` } });

/** An SDP-sized payload that does not compress (a runtime could negotiate permessage-deflate). */
function bulkySdp(seed: number): string {
  let x = seed + 1;
  let out = 'v=0 ';
  while (out.length < MAX_SDP_CHARS - 64) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    out += x.toString(36);
  }
  return out.slice(0, MAX_SDP_CHARS - 64);
}

/**
 * The most a paused client's kernel can hold of what the server wrote, in bytes: the server's
 * send buffer plus the client's receive buffer at their largest (net.ipv4.tcp_wmem, tcp_rmem).
 */
function kernelBufferBytes(): number {
  const max = (file: string): number => Number(readFileSync(file, 'utf8').trim().split(/\s+/)[2]);
  try {
    return max('/proc/sys/net/ipv4/tcp_wmem') + max('/proc/sys/net/ipv4/tcp_rmem');
  } catch {
    return 32 * 1024 * 1024;
  }
}

/** The TCP socket under a ws client (ws 8's `_socket`), to stop and resume reading it. */
function tcpOf(ws: WebSocket): Socket {
  return (ws as unknown as { _socket: Socket })._socket;
}

/** Sent and awaited in order: the holder parks a fresh offer whenever one is used, as the bridge does. */
async function refillAfterUse(holder: SignalClient, n: number): Promise<void> {
  const used = await holder.next('offer-used');
  holder.send({ type: 'offers', offers: [offerOf(`refill-${n}`)] });
  assert.match(used.connId, /^conn-/);
}

/** Cases on the suite's main server (SIGNAL_LIMITS). */
export const hostileCases: readonly ComplianceCase[] = [
  {
    name: 'hostile: a full swarm lets a real newcomer in by evicting its idle non-holder; holders and active peers stay',
    async run({ signal }) {
      const swarm = 'evict.example';
      const holder = await signal(swarm);
      await holder.join('holder', { have: [hash(7)] });
      const squatter = await signal(swarm, GOOD_ORIGIN, HOSTILE);
      await squatter.join('squatter');
      const recent = await signal(swarm, GOOD_ORIGIN, OTHER[0]);
      await recent.join('recent');
      await recent.assertServed(); // heard from after the squatter: not the one silent longest
      assert.equal(SIGNAL_LIMITS.maxPeersPerSwarm, 3, 'the swarm is full now');
      const newcomer = await signal(swarm);
      const joined = await newcomer.join('newcomer');
      assert.equal(joined.swarmSize, SIGNAL_LIMITS.maxPeersPerSwarm);
      await squatter.assertRefused('evicted');
      await holder.assertServed();
      await recent.assertServed();
      await newcomer.assertServed();
    },
  },
  {
    name: 'hostile: a requester taking parked offers without answering gets no more, while an honest one is served',
    async run({ signal }) {
      const swarm = 'drain.example';
      const holder = await signal(swarm);
      await holder.join('holder', { have: [hash(9)], offers: [offerOf('h1'), offerOf('h2'), offerOf('h3'), offerOf('h4')] });
      const drainer = await signal(swarm, GOOD_ORIGIN, HOSTILE);
      await drainer.join('drainer');
      let refills = 0;
      for (let i = 0; i < SIGNAL_LIMITS.maxUnansweredOffers; i++) {
        drainer.send({ type: 'want', hash: hash(9), exclude: [] });
        const peers = (await drainer.next('peers')).peers;
        assert.ok(peers[0]?.offer, `offer ${i + 1} of ${SIGNAL_LIMITS.maxUnansweredOffers} is handed out: ${JSON.stringify(peers)}`);
        await refillAfterUse(holder, refills++);
      }
      // It answered none: the holder is still named, but with no offer to answer.
      for (let i = 0; i < 2; i++) {
        drainer.send({ type: 'want', hash: hash(9), exclude: [] });
        assert.deepEqual((await drainer.next('peers')).peers, [{ peerId: peerId('holder') }]);
      }
      // An honest requester answers every offer it takes, and takes more of them than the drainer
      // got: as many as one holder gives one requester per window (the default 2).
      const honest = await signal(swarm, GOOD_ORIGIN, OTHER[1]);
      await honest.join('honest');
      for (let i = 0; i < SIGNAL_LIMITS.maxUnansweredOffers + 1; i++) {
        honest.send({ type: 'want', hash: hash(9), exclude: [] });
        const offer = (await honest.next('peers')).peers[0]?.offer;
        assert.ok(offer, `honest want ${i + 1} gets an offer`);
        await refillAfterUse(holder, refills++);
        honest.send({ type: 'signal', to: peerId('holder'), connId: offer.connId, sdp: { type: 'answer', sdp: 'v=0 answer' } });
        assert.equal((await holder.next('signal')).connId, offer.connId);
      }
      await drainer.assertServed();
    },
  },
];

/** Cases on the second server (HOSTILE_LIMITS). */
export const hostileServerCases: readonly ComplianceCase[] = [
  {
    name: 'hostile: one address past maxConnectionsPerAddress gets 503 too-many-connections before the upgrade; others are served',
    async run({ server, signal }) {
      const swarm = 'capped.example';
      const bystander = await signal(swarm);
      await bystander.join('bystander');
      for (let i = 0; i < HOSTILE_LIMITS.maxConnectionsPerAddress; i++) await signal(swarm, GOOD_ORIGIN, HOSTILE);
      const refused = await refusedUpgrade(`${server.url}?swarm=${swarm}`, GOOD_ORIGIN, HOSTILE);
      assert.equal(refused.status, 503, refused.body);
      // @hono/node-ws answers a refused upgrade with its status alone; the others send the body.
      if (refused.body !== '') assert.equal((JSON.parse(refused.body) as { code?: unknown }).code, 'too-many-connections');
      await bystander.assertServed();
      const another = await signal(swarm, GOOD_ORIGIN, OTHER[0]);
      await another.join('another');
      await another.assertServed();
    },
  },
  {
    name: 'hostile tracker: one address past maxConnectionsPerAddress gets 503 before the upgrade; others are served',
    async run({ server, tracker }) {
      const bystander = await tracker();
      for (let i = 0; i < HOSTILE_LIMITS.maxConnectionsPerAddress; i++) await tracker(undefined, HOSTILE);
      const refused = await refusedUpgrade(server.trackerUrl, undefined, HOSTILE);
      assert.equal(refused.status, 503, refused.body);
      // @hono/node-ws answers a refused upgrade with its status alone; the others send the body.
      if (refused.body !== '')
        assert.match(String((JSON.parse(refused.body) as Record<string, unknown>)['failure reason']), /connections from one address/);
      assert.deepEqual(await bystander.scrape(binaryId('c')), { complete: 0, incomplete: 0, downloaded: 0 });
      const another = await tracker(undefined, OTHER[0]);
      assert.deepEqual(await another.scrape(binaryId('c')), { complete: 0, incomplete: 0, downloaded: 0 });
    },
  },
  {
    name: 'hostile: a client that stops reading is cut off once its queue passes the bound, its relayer told peer-busy; what it was sent stays bounded',
    async run({ server, signal, t }) {
      const swarm = 'slow.example';
      const staller = await signal(swarm, GOOD_ORIGIN, HOSTILE);
      await staller.join('staller');
      const relayers = [await signal(swarm, GOOD_ORIGIN, OTHER[0]), await signal(swarm, GOOD_ORIGIN, OTHER[1])];
      for (const [i, relayer] of relayers.entries()) await relayer.join(`relayer-${i}`);
      const bystander = await signal(swarm, GOOD_ORIGIN, OTHER[2]);
      await bystander.join('bystander');
      const tcp = tcpOf(staller.ws);
      tcp.pause();

      // Each relayer sends 16 KiB SDPs to the staller: its burst at once, then under its rate,
      // until one is told peer-busy (or, where the runtime cannot see the queue, a fixed amount).
      const bounded = REPORTS_QUEUED_BYTES[server.runtime];
      // Watched on the raw socket; the error itself is read from the inbox once sending stops.
      let busy: number | null = null;
      for (const [i, relayer] of relayers.entries()) {
        relayer.ws.on('message', (data: WebSocket.RawData) => {
          if (busy === null && String(data).includes('"type":"error"')) busy = i;
        });
      }
      let sent = 0;
      const burst = 80; // of the default 100
      const cap = bounded ? 4_000 : 200; // a hang guard, not a deadline
      while (busy === null && sent < cap) {
        const relayer = relayers[sent % relayers.length] as SignalClient;
        relayer.send({
          type: 'signal',
          to: peerId('staller'),
          connId: `conn-${sent}`.padEnd(8, '0'),
          sdp: { type: 'offer', sdp: bulkySdp(sent) },
        });
        sent++;
        // Under 50 messages/s per relayer once the burst is spent: 2 relayers, one message per 25 ms.
        if (sent > burst * relayers.length) await new Promise((resolve) => setTimeout(resolve, 12));
        else if (sent % 16 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      const sentBytes = sent * MAX_SDP_CHARS;
      t.diagnostic(`${sent} relays (~${(sentBytes / 2 ** 20).toFixed(1)} MiB) sent, ${busy === null ? 'none refused' : 'then refused'}`);
      if (bounded) {
        assert.notEqual(busy, null, 'a relayer was told');
        const error = await (relayers[busy ?? 0] as SignalClient).next('error');
        assert.equal(error.code, 'peer-busy', JSON.stringify(error));
        // Resume reading: what the server had queued arrives, then its close.
        tcp.resume();
        const closed = await withTimeout(staller.closed, 'the close of the client that stopped reading', 60_000);
        assert.deepEqual(closed, { code: 1008, reason: 'slow-reader' });
        const bound = HOSTILE_LIMITS.maxBufferedBytes + kernelBufferBytes() + 2 * MAX_SDP_CHARS;
        t.diagnostic(`the staller was sent ${(tcp.bytesRead / 2 ** 20).toFixed(2)} MiB in all; bound ${(bound / 2 ** 20).toFixed(1)} MiB`);
        assert.ok(tcp.bytesRead <= bound, `the server queued ${tcp.bytesRead} bytes for it, more than ${bound}`);
      } else {
        tcp.resume();
      }
      for (const relayer of relayers) await relayer.assertServed();
      await bystander.assertServed();
    },
  },
];
