/**
 * Malformed input on both routes, in any runtime. On the signaling route every violation gets
 * `error {code}` and a 1008 close of that socket alone; on the tracker route a bad request gets
 * a `failure reason` and the socket stays (one socket carries all of a client's torrents),
 * while a binary frame closes it. Each case checks a bystander is still served.
 */
import assert from 'node:assert/strict';
import type { SignalErrorCode } from '../../../protocol/signal-messages.ts';
import type { CaseContext, ComplianceCase } from '../support/case.ts';
import { hash, peerId, type SignalClient } from '../support/signal-client.ts';
import { binaryId } from '../support/tracker-client.ts';

/** A joined bystander and an offender in the same swarm; checks the offender alone is refused. */
async function signalViolation(
  context: CaseContext,
  swarm: string,
  offend: (offender: SignalClient) => void,
  code: SignalErrorCode,
  options: { joinFirst: boolean },
): Promise<void> {
  const bystander = await context.signal(swarm);
  await bystander.join('bystander');
  const offender = await context.signal(swarm);
  if (options.joinFirst) await offender.join('offender');
  offend(offender);
  await offender.assertRefused(code);
  await bystander.assertServed();
}

export const malformedCases: readonly ComplianceCase[] = [
  {
    name: 'malformed: a binary frame is refused with malformed',
    run: (c) => signalViolation(c, 'binary.example', (o) => o.sendRaw(Uint8Array.from([1, 2, 3])), 'malformed', { joinFirst: true }),
  },
  {
    name: 'malformed: text that is not JSON is refused with malformed',
    run: (c) => signalViolation(c, 'json.example', (o) => o.sendRaw('{"type":"join",'), 'malformed', { joinFirst: true }),
  },
  {
    name: 'malformed: an unknown message type is refused with malformed',
    run: (c) =>
      signalViolation(c, 'unknown.example', (o) => o.sendRaw(JSON.stringify({ type: 'teleport' })), 'malformed', { joinFirst: true }),
  },
  {
    name: 'malformed: a message before join is refused with not-joined',
    // `want` rather than `ping`: a runtime may answer pings without the core (Cloudflare).
    run: (c) =>
      signalViolation(c, 'early.example', (o) => o.send({ type: 'want', hash: hash(7), exclude: [] }), 'not-joined', { joinFirst: false }),
  },
  {
    name: 'malformed: a join with a bad peer id is refused with malformed',
    run: (c) =>
      signalViolation(
        c,
        'badid.example',
        (o) => o.sendRaw(JSON.stringify({ type: 'join', swarm: 'badid.example', peerId: 'short', have: [], offers: [] })),
        'malformed',
        { joinFirst: false },
      ),
  },
  {
    name: 'malformed: a second join is refused with already-joined',
    run: (c) =>
      signalViolation(
        c,
        'twice.example',
        (o) => o.send({ type: 'join', swarm: 'twice.example', peerId: peerId('again'), have: [], offers: [], introduce: 0 }),
        'already-joined',
        { joinFirst: true },
      ),
  },
  {
    name: 'malformed: joining with a peer id already in the swarm is refused with duplicate-peer-id',
    // The bystander joined as `bystander`; the offender claims the same id.
    run: (c) =>
      signalViolation(
        c,
        'dup.example',
        (o) => o.send({ type: 'join', swarm: 'dup.example', peerId: peerId('bystander'), have: [], offers: [], introduce: 0 }),
        'duplicate-peer-id',
        { joinFirst: false },
      ),
  },
  {
    name: 'malformed tracker: a binary frame gets a failure reason and closes that socket alone',
    async run({ tracker }) {
      const bystander = await tracker();
      const offender = await tracker();
      offender.sendRaw(Uint8Array.from([1, 2, 3]));
      await offender.assertCutOff(/binary/);
      await bystander.assertServed();
    },
  },
  {
    name: 'malformed tracker: bad JSON, an unknown action, a bad info_hash and a bad peer_id each get a failure reason, and the socket stays',
    async run({ tracker }) {
      const client = await tracker();
      client.sendRaw('{"action":');
      await client.assertFailure(/invalid JSON/);
      client.send({ action: 'teleport', info_hash: binaryId('u') });
      await client.assertFailure(/invalid action/);
      client.send({ action: 'announce', info_hash: 'too short', peer_id: binaryId('p'), event: 'started' });
      const badHash = await client.assertFailure(/invalid info_hash/);
      assert.equal(badHash.action, 'announce');
      const infoHash = binaryId('m');
      client.send({ action: 'announce', info_hash: infoHash, peer_id: 'x'.repeat(21), event: 'started' });
      const badPeer = await client.assertFailure(/invalid peer_id/);
      // With action and info_hash a WebTorrent client shows it as that torrent's warning.
      assert.deepEqual([badPeer.action, badPeer.info_hash], ['announce', infoHash]);
      // None of it joined a swarm, and the socket still works.
      assert.deepEqual(await client.scrape(infoHash), { complete: 0, incomplete: 0, downloaded: 0 });
    },
  },
];
