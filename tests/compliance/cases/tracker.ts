/** The WebTorrent tracker route's ordinary path over raw sockets, in any runtime. */
import assert from 'node:assert/strict';
import type { ComplianceCase } from '../support/case.ts';
import { binaryId } from '../support/tracker-client.ts';
import { eventually } from '../support/wait.ts';

export const trackerCases: readonly ComplianceCase[] = [
  {
    name: 'tracker: forwards an announced offer to a peer of the swarm and relays its answer back',
    async run({ tracker }) {
      const infoHash = binaryId('o');
      const [idA, idB] = [binaryId('a'), binaryId('b')];
      const a = await tracker();
      const b = await tracker();
      assert.deepEqual(pickCounts(await a.announce(infoHash, idA, { left: 100 })), { complete: 0, incomplete: 1 });

      const offer = { type: 'offer', sdp: 'v=0 offer from b' };
      const offerId = binaryId('1');
      const counts = await b.announce(infoHash, idB, { left: 0, numwant: 1, offers: [{ offer_id: offerId, offer }] });
      assert.deepEqual(pickCounts(counts), { complete: 1, incomplete: 1 });
      assert.deepEqual(await a.next(), { action: 'announce', info_hash: infoHash, peer_id: idB, offer_id: offerId, offer });

      const answer = { type: 'answer', sdp: 'v=0 answer from a' };
      a.send({ action: 'announce', info_hash: infoHash, peer_id: idA, to_peer_id: idB, offer_id: offerId, answer });
      assert.deepEqual(await b.next(), { action: 'announce', info_hash: infoHash, peer_id: idA, offer_id: offerId, answer });
    },
  },
  {
    name: 'tracker: completed and stopped change the counts, scrape reports them, a closed socket leaves',
    async run({ tracker }) {
      const infoHash = binaryId('c');
      const a = await tracker();
      const b = await tracker();
      await a.announce(infoHash, binaryId('a'), { left: 10 });
      await b.announce(infoHash, binaryId('b'), { left: 10 });
      assert.deepEqual(await a.scrape(infoHash), { complete: 0, incomplete: 2, downloaded: 0 });
      assert.deepEqual(pickCounts(await a.announce(infoHash, binaryId('a'), { event: 'completed', left: 0 })), {
        complete: 1,
        incomplete: 1,
      });
      assert.deepEqual(pickCounts(await a.announce(infoHash, binaryId('a'), { event: 'stopped', left: 0 })), {
        complete: 0,
        incomplete: 1,
      });
      assert.deepEqual(await a.scrape(infoHash), { complete: 0, incomplete: 1, downloaded: 1 });
      await b.close();
      // The runtime reports the close to the core a little after the client sees it.
      await eventually(async () => (await a.scrape(infoHash)).incomplete === 0, 'b to leave the swarm', undefined, 150);
      // Empty, the swarm is forgotten, its downloaded count with it.
      assert.deepEqual(await a.scrape(infoHash), { complete: 0, incomplete: 0, downloaded: 0 });
    },
  },
];

function pickCounts(reply: Record<string, unknown>): { complete: unknown; incomplete: unknown } {
  return { complete: reply.complete, incomplete: reply.incomplete };
}
