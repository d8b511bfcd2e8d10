/**
 * Hostile tracker clients (issue 11), over real sockets in any runtime: a sybil socket minting
 * peer ids, an offer flood toward one peer, and a socket churning peer ids. Each case counts what
 * the victim receives and shows honest peers are still served. Bounds that depend on time (a
 * token bucket refills while the case runs) are computed from the time the case took, never
 * from how fast it should have been.
 */
import assert from 'node:assert/strict';
import { hexToBinaryId } from '../../../protocol/tracker-messages.ts';
import { DEFAULT_TRACKER_LIMITS } from '../../../signal-worker/core/tracker/tracker-limits.ts';
import { fireEndOfCandidates } from '../../unit/tracker-webrtc.ts';
import type { ComplianceCase } from '../support/case.ts';
import { TRACKER_LIMITS } from '../support/config.ts';
import { binaryId, type TrackerClient, type TrackerReply } from '../support/tracker-client.ts';
import { withTimeout } from '../support/wait.ts';
import { client, connectedPeer, hexId, Warnings } from './webtorrent-client.ts';

/** The suite leaves the per-sender offer share at its default (real clients retry through it). */
const SENDER_SHARE = DEFAULT_TRACKER_LIMITS.offerBurstPerSenderToTarget;
const SENDER_PER_MINUTE = DEFAULT_TRACKER_LIMITS.offersPerSenderToTargetPerMinute;

export const trackerHostileCases: readonly ComplianceCase[] = [
  {
    name: 'tracker hostile: a sybil socket gets 2 peer ids into a torrent, a real viewer still joins the full swarm and gets the seeder’s offer',
    async run({ tracker }) {
      const infoHash = binaryId('S');
      const seeder = await tracker();
      await seeder.announce(infoHash, binaryId('s'), { left: 0 });
      const sybil = await tracker();
      await sybil.announce(infoHash, binaryId('1'), { left: 10 });
      await sybil.announce(infoHash, binaryId('2'), { left: 10 });
      sybil.send({ action: 'announce', info_hash: infoHash, peer_id: binaryId('3'), event: 'started', left: 10, numwant: 0 });
      const refused = await sybil.assertFailure(/more than 2 peer ids of one connection in this torrent/);
      assert.equal(refused.info_hash, infoHash, 'named, so the client shows a warning for that torrent');
      await sybil.assertServed();
      // maxPeersPerSwarm is 3: the seeder and two fakes fill it.
      assert.equal(TRACKER_LIMITS.maxPeersPerSwarm, 3);

      const viewer = await tracker();
      const joined = await viewer.announce(infoHash, binaryId('v'), { left: 100 });
      assert.deepEqual(
        { complete: joined.complete, incomplete: joined.incomplete, failure: joined['failure reason'] },
        { complete: 1, incomplete: 2, failure: undefined },
        'the viewer took the place of one fake',
      );
      const offer = { type: 'offer', sdp: 'v=0 offer from the seeder' };
      await seeder.announce(infoHash, binaryId('s'), {
        event: 'update',
        left: 0,
        numwant: 2,
        offers: [
          { offer_id: binaryId('7'), offer },
          { offer_id: binaryId('8'), offer },
        ],
      });
      const got = await viewer.next();
      assert.equal(got.peer_id, binaryId('s'), `the viewer's first message is the seeder's offer: ${JSON.stringify(got)}`);
      assert.deepEqual(got.offer, offer);
    },
  },
  {
    name: 'tracker hostile: an offer flood toward one peer delivers at most one connection’s share, and a normal peer’s offer still arrives',
    async run({ tracker }) {
      const infoHash = binaryId('F');
      const target = await tracker();
      await target.announce(infoHash, binaryId('t'), { left: 100 });
      const flooder = await tracker();
      await flooder.announce(infoHash, binaryId('f'), { left: 0 });
      const FLOOD = 25;
      const started = Date.now();
      for (let i = 0; i < FLOOD; i++) {
        // A seeder's offers go only to peers still downloading: every one of these is aimed at the target.
        const reply = await flooder.announce(infoHash, binaryId('f'), {
          event: 'update',
          left: 0,
          numwant: 1,
          offers: [{ offer_id: binaryId(String.fromCharCode(0x41 + i)), offer: { type: 'offer', sdp: `v=0 flood ${i}` } }],
        });
        assert.equal(reply['failure reason'], undefined, 'the flood itself is not refused: its offers are dropped');
      }
      const elapsedMs = Date.now() - started;
      const normal = await tracker();
      const offer = { type: 'offer', sdp: 'v=0 a normal offer' };
      await normal.announce(infoHash, binaryId('n'), { left: 0, numwant: 1, offers: [{ offer_id: binaryId('n'), offer }] });

      const received = await offersUntilScrape(target, infoHash);
      const fromFlooder = received.filter((m) => m.peer_id === binaryId('f')).length;
      // The share, plus whatever its bucket refilled while the flood ran (0 unless it took 10 s).
      const allowed = SENDER_SHARE + Math.floor((elapsedMs * SENDER_PER_MINUTE) / 60_000);
      assert.ok(fromFlooder >= 1 && fromFlooder <= allowed, `the target got ${fromFlooder} of ${FLOOD} flood offers, allowed ${allowed}`);
      assert.deepEqual(
        received.filter((m) => m.peer_id === binaryId('n')).map((m) => m.offer),
        [offer],
        "the normal peer's offer arrived",
      );
    },
  },
  {
    name: 'tracker hostile: two sockets churning peer ids (started with a fresh id and an offer, then stopped) are cut off; the viewer gets a few of their offers',
    async run({ tracker }) {
      const infoHash = binaryId('C');
      const viewer = await tracker();
      await viewer.announce(infoHash, binaryId('v'), { left: 100 });
      const churners = [await tracker(), await tracker()];
      const started = Date.now();
      const minted = await Promise.all(churners.map((c, n) => churn(c, infoHash, n)));
      const elapsedMs = Date.now() - started;
      const burst = TRACKER_LIMITS.newPeerIdBurst;
      const refill = Math.floor((elapsedMs * TRACKER_LIMITS.newPeerIdsPerMinute) / 60_000);
      for (const count of minted) assert.ok(count >= burst && count <= burst + refill, `${count} peer ids before the cut`);
      const received = await offersUntilScrape(viewer, infoHash);
      const allowed = 2 * (SENDER_SHARE + Math.floor((elapsedMs * SENDER_PER_MINUTE) / 60_000));
      assert.ok(received.length <= allowed, `the viewer got ${received.length} offers, allowed ${allowed}`);
      await viewer.assertServed();
    },
  },
  {
    name: 'tracker hostile: two bittorrent-tracker Clients meet over WebRTC in a swarm a sybil socket filled, with no warning',
    async run(context) {
      fireEndOfCandidates();
      const infoHash = hexId();
      const [idA, idB] = [hexId(), hexId()];
      const a = client(context, infoHash, idA);
      const startedA = new Promise<void>((resolve) => a.once('update', () => resolve()));
      a.start();
      await withTimeout(startedA, "A's first announce response");
      // Two fakes on one socket fill the swarm (maxPeersPerSwarm 3) beside A; a third is refused.
      const sybil = await context.tracker();
      const binaryHash = hexToBinaryId(infoHash);
      await sybil.announce(binaryHash, binaryId('1'), { left: 10 });
      await sybil.announce(binaryHash, binaryId('2'), { left: 10 });
      assert.deepEqual(await sybil.scrape(binaryHash), { complete: 0, incomplete: 3, downloaded: 0 });
      // Without eviction B would be refused "swarm is full", which its client shows as a warning.
      const warnings = new Warnings();
      const b = client(context, infoHash, idB, warnings);
      const connectedA = connectedPeer(a, 'A to connect to B');
      const connectedB = connectedPeer(b, 'B to connect to A');
      const warned = new Promise<string>((resolve) => warnings.once('warning', resolve));
      b.start();
      const met = await Promise.race([Promise.all([connectedA, connectedB]), warned]);
      assert.deepEqual(warnings.messages, [], 'B was not refused');
      assert.ok(Array.isArray(met));
      const [pa, pb] = met;
      assert.equal(pa.id, idB);
      assert.equal(pb.id, idA);
    },
  },
];

/**
 * Announces `started` with a fresh peer id and one offer, then `stopped`, until the server cuts
 * the socket off for minting peer ids; returns how many were accepted. Each reply is awaited
 * before the next frame, so the runtime closes a socket with nothing unread (see limits.ts on Deno).
 */
async function churn(client: TrackerClient, infoHash: string, n: number): Promise<number> {
  for (let i = 0; i < 14; i++) {
    const peer = binaryId(String.fromCharCode(0x30 + n * 14 + i));
    const offers = [{ offer_id: peer, offer: { type: 'offer', sdp: `v=0 churn ${n}.${i}` } }];
    client.send({ action: 'announce', info_hash: infoHash, peer_id: peer, event: 'started', left: 0, numwant: 1, offers });
    const reply = await client.next();
    if (reply['failure reason'] !== undefined) {
      assert.match(String(reply['failure reason']), /new peer ids on one connection/);
      assert.equal((await withTimeout(client.closed, 'the close after the churn refusal')).code, 1008);
      return i;
    }
    await client.announce(infoHash, peer, { event: 'stopped' });
  }
  assert.fail('14 fresh peer ids were accepted from one socket');
}

/** Every offer `client` was sent before the reply to a scrape it sends now (one socket is ordered). */
async function offersUntilScrape(client: TrackerClient, infoHash: string): Promise<TrackerReply[]> {
  client.send({ action: 'scrape', info_hash: infoHash });
  const offers: TrackerReply[] = [];
  for (;;) {
    const message = await client.next();
    if (message.files !== undefined) return offers;
    if (message.offer !== undefined) offers.push(message);
  }
}
