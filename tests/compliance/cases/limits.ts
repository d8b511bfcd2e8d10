/**
 * Every limit, hit for real in any runtime (the suite lowers them, support/config.ts). Each case
 * checks the offender gets the error and that a bystander is still served.
 */
import assert from 'node:assert/strict';
import type { RuntimeName } from '../../runtimes/types.ts';
import type { ComplianceCase } from '../support/case.ts';
import { HUGE_FRAME_CHARS, SIGNAL_LIMITS, TRACKER_LIMITS } from '../support/config.ts';
import { hash, peerId } from '../support/signal-client.ts';
import { binaryId } from '../support/tracker-client.ts';
import { sleep, withTimeout } from '../support/wait.ts';

/**
 * After `join` (one token) the bucket holds burst - 1, and refills far slower than the cases
 * run, so this many more messages sent at once make the last one the first refused. It must be
 * the last: Deno aborts a socket it closes while the client's frames are still unread (the
 * client sees 1006 and may lose the error message; Deno.upgradeWebSocket itself does this,
 * reproduced without hono), which the heavy flood case below covers.
 */
const OVER_BURST_AFTER_JOIN = SIGNAL_LIMITS.messageBurst;
const HEAVY_FLOOD = 500;

/**
 * What a runtime does with a frame past its frame cap. Node (ws maxPayload) and Bun
 * (maxPayloadLength) drop the socket with 1009 without assembling the frame; Deno has no cap to
 * set, so the frame reaches the core, which refuses it as too-large. workerd is not yet known.
 */
/**
 * Whether the runtime ends the TCP connection of a socket that never sent a frame when the server
 * closes it. workerd 2026-04-26 does not for hibernatable sockets (measured with bare `workerd
 * serve`, Miniflare and wrangler dev: the close frame goes out, the client answers, the object
 * gets webSocketClose, but the connection stays until the runtime exits; a socket that sent one
 * frame, or one accepted without hibernation, closes in ~2 ms). No call in the object changes it,
 * and giving up hibernation would cost every idle peer memory, so on workerd the case checks the
 * error and the server's 1008 close frame, not the end of TCP. The ws client gives up after 30 s.
 */
const NEVER_SPOKEN_SOCKET_CLOSES_TCP: Record<RuntimeName, boolean> = {
  node: true,
  deno: true,
  bun: true,
  workerd: false,
};

const HUGE_FRAME_CLOSE: Record<RuntimeName, 'runtime-1009' | 'core-too-large' | 'either'> = {
  node: 'runtime-1009',
  bun: 'runtime-1009',
  deno: 'core-too-large',
  workerd: 'either',
};

export const limitCases: readonly ComplianceCase[] = [
  {
    name: 'limits: a full swarm refuses one more peer with swarm-full; its members and other swarms are unaffected',
    async run({ signal }) {
      const members = [];
      for (let i = 0; i < SIGNAL_LIMITS.maxPeersPerSwarm; i++) {
        const member = await signal('full.example');
        await member.join(`member-${i}`);
        members.push(member);
      }
      const extra = await signal('full.example');
      extra.send({ type: 'join', swarm: 'full.example', peerId: peerId('one-too-many'), have: [], offers: [], introduce: 0 });
      await extra.assertRefused('swarm-full');
      for (const member of members) await member.assertServed();
      const elsewhere = await signal('not-full.example');
      await elsewhere.join('elsewhere');
    },
  },
  {
    name: 'limits: a frame over maxMessageChars is refused with too-large',
    async run({ signal }) {
      const bystander = await signal('size.example');
      await bystander.join('bystander');
      const big = await signal('size.example');
      await big.join('big');
      big.sendRaw(JSON.stringify({ type: 'lost', have: [], pad: 'x'.repeat(SIGNAL_LIMITS.maxMessageChars) }));
      await big.assertRefused('too-large');
      await bystander.assertServed();
    },
  },
  {
    name: "limits: a frame past the runtime's frame cap closes that socket alone",
    async run({ server, signal }) {
      const bystander = await signal('huge.example');
      await bystander.join('bystander');
      const huge = await signal('huge.example');
      await huge.join('huge');
      huge.sendRaw('x'.repeat(HUGE_FRAME_CHARS));
      const expected = HUGE_FRAME_CLOSE[server.runtime];
      if (expected === 'core-too-large') {
        await huge.assertRefused('too-large');
      } else {
        const closed = await withTimeout(huge.closed, 'the close of the oversized socket');
        const allowed = expected === 'runtime-1009' ? [1009] : [1008, 1009];
        assert.ok(allowed.includes(closed.code), `closed with ${JSON.stringify(closed)}, expected ${allowed.join(' or ')}`);
      }
      await bystander.assertServed();
    },
  },
  {
    name: 'limits: more messages than the rate allows are refused with rate-limited',
    async run({ signal }) {
      const bystander = await signal('rate.example');
      await bystander.join('bystander');
      const flooder = await signal('rate.example');
      await flooder.join('flooder');
      // `lost` with nothing in it costs the server nothing and gets no reply, so only the error comes back.
      for (let i = 0; i < OVER_BURST_AFTER_JOIN; i++) flooder.send({ type: 'lost', have: [] });
      await flooder.assertRefused('rate-limited');
      await bystander.assertServed();
    },
  },
  {
    name: 'limits: a heavy flood cuts the flooder off and leaves others served',
    async run({ server, signal }) {
      const bystander = await signal('flood.example');
      await bystander.join('bystander');
      const flooder = await signal('flood.example');
      await flooder.join('flooder');
      for (let i = 0; i < HEAVY_FLOOD; i++) flooder.send({ type: 'lost', have: [] });
      if (server.runtime === 'deno') {
        // See OVER_BURST_AFTER_JOIN: Deno's close is abortive here, so only the cut-off itself is certain.
        const closed = await withTimeout(flooder.closed, 'the flooder to be cut off');
        assert.ok(closed.code === 1006 || (closed.code === 1008 && closed.reason === 'rate-limited'), JSON.stringify(closed));
      } else {
        await flooder.assertRefused('rate-limited');
      }
      await bystander.assertServed();
    },
  },
  {
    name: 'limits: announcing more than maxHavePerPeer assets is refused with too-many-haves',
    async run({ signal }) {
      const bystander = await signal('haves.example');
      await bystander.join('bystander', { have: [hash(100)] });
      const greedy = await signal('haves.example');
      const first = Array.from({ length: SIGNAL_LIMITS.maxHavePerPeer }, (_, i) => hash(200 + i));
      await greedy.join('greedy', { have: first });
      greedy.send({ type: 'have', have: [hash(300)] });
      await greedy.assertRefused('too-many-haves');
      // Too many at join is refused the same way.
      const greedyAtJoin = await signal('haves.example');
      greedyAtJoin.send({
        type: 'join',
        swarm: 'haves.example',
        peerId: peerId('greedy-join'),
        have: [...first, hash(301)],
        offers: [],
        introduce: 0,
      });
      await greedyAtJoin.assertRefused('too-many-haves');
      await bystander.assertServed();
    },
  },
  {
    name: 'limits: a silent connection is closed with idle on both routes, while talking ones stay',
    async run({ signal, tracker, server }) {
      const closesTcp = NEVER_SPOKEN_SOCKET_CLOSES_TCP[server.runtime];
      const talker = await signal('idle.example');
      await talker.join('talker');
      const silent = await signal('idle.example');
      await silent.join('silent');
      // Never sends a frame at all, on either route: the server must still end it (and its
      // TCP connection) on its own; on workerd such a socket's close differs from a joined one's.
      const mute = await signal('idle.example');
      const trackerTalker = await tracker();
      const trackerSilent = await tracker();
      // A hang guard, not a deadline: workerd's alarms (wrangler dev) ran past 3 × the TTL on a
      // busy machine. What is asserted is that they are closed and the talkers are not.
      const guard = 60_000;
      const watched = Promise.all([
        silent.assertRefused('idle', guard),
        closesTcp ? mute.assertRefused('idle', guard) : mute.assertRefusedByFrame('idle', guard),
        closesTcp ? trackerSilent.assertCutOff(/nothing received/, guard) : trackerSilent.assertCutOffByFrame(/nothing received/, guard),
      ]);
      // Both talkers speak more often than either timeout, for longer than both.
      const until = Date.now() + Math.max(SIGNAL_LIMITS.idleTimeoutMs, TRACKER_LIMITS.peerTtlMs) + 1_000;
      while (Date.now() < until) {
        await talker.assertServed();
        await trackerTalker.assertServed();
        await sleep(500);
      }
      await watched;
      await talker.assertServed();
      await trackerTalker.assertServed();
    },
  },
  {
    name: 'limits tracker: a full torrent swarm refuses one more peer; the socket stays',
    async run({ tracker }) {
      const infoHash = binaryId('f');
      // One peer per socket: a socket holding two would give one up to a newcomer (tracker-hostile.ts).
      for (let i = 0; i < TRACKER_LIMITS.maxPeersPerSwarm; i++) {
        const member = await tracker();
        const reply = await member.announce(infoHash, binaryId(String.fromCharCode(0x41 + i)));
        assert.equal(reply.complete, i + 1, JSON.stringify(reply));
      }
      const client = await tracker();
      client.send({ action: 'announce', info_hash: infoHash, peer_id: binaryId('Z'), event: 'started', left: 0 });
      const refused = await client.assertFailure(/swarm is full/);
      assert.equal(refused.info_hash, infoHash);
      assert.deepEqual(await client.scrape(infoHash), { complete: TRACKER_LIMITS.maxPeersPerSwarm, incomplete: 0, downloaded: 0 });
    },
  },
  {
    name: 'limits tracker: an oversized frame and a flood each close that socket alone',
    async run({ tracker }) {
      const bystander = await tracker();
      const big = await tracker();
      big.sendRaw(JSON.stringify({ action: 'scrape', info_hash: binaryId('b'), pad: 'x'.repeat(TRACKER_LIMITS.maxMessageChars) }));
      await big.assertCutOff(/longer than/);
      const flooder = await tracker();
      // A fresh socket holds a full bucket: the last of these is the first refused.
      const flood = TRACKER_LIMITS.messageBurst + 1;
      for (let i = 0; i < flood; i++) flooder.send({ action: 'scrape', info_hash: binaryId('r') });
      // The scrapes within the burst are answered first.
      for (let i = 0; i < TRACKER_LIMITS.messageBurst; i++) {
        const reply = await flooder.next();
        assert.ok(reply.files !== undefined, `scrape ${i} of the burst answered: ${JSON.stringify(reply)}`);
      }
      await flooder.assertCutOff(/messages per second/);
      await bystander.assertServed();
    },
  },
];
