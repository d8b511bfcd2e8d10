/** The signaling protocol's ordinary path over a real socket, in any runtime. */
import assert from 'node:assert/strict';
import type { RuntimeName } from '../../runtimes/types.ts';
import type { ComplianceCase } from '../support/case.ts';
import { GOOD_ORIGIN, HEALTH_SWARM } from '../support/config.ts';
import { swarmHealth } from '../support/health.ts';
import { hash, peerId } from '../support/signal-client.ts';
import { eventually } from '../support/wait.ts';

/**
 * Whether a runtime's 426 keeps the `Upgrade: websocket` header the app sets. workerd removes
 * it: measured with workerd 1.20260426.1 run bare (`workerd serve`, a 20-line probe Worker and
 * Durable Object answering 426 with `Upgrade`, `Connection` and `X-Probe`), through Miniflare
 * 4.20260426.0 without wrangler's proxy, and under wrangler dev 4.86 (compatibility date
 * 2026-04-26): `X-Probe` arrives, `Upgrade` and `Connection` never do, whether the
 * Worker or the object answers. The runtime drops them as hop-by-hop headers; no code of ours can
 * keep them. The 426 status is checked everywhere.
 */
const KEEPS_UPGRADE_HEADER_ON_426: Record<RuntimeName, boolean> = {
  node: true,
  deno: true,
  bun: true,
  workerd: false,
};

/**
 * Whether `/peer-connect/health?swarm=` asks that swarm's own shard. workerd's Worker does, and
 * asking creates the swarm's Durable Object, so it answers only swarms its config lists
 * (`healthSwarms`). The others hold every swarm in one process and ignore `?swarm=`.
 */
const SHARDED_HEALTH: Record<RuntimeName, boolean> = {
  node: false,
  deno: false,
  bun: false,
  workerd: true,
};

export const signalCases: readonly ComplianceCase[] = [
  {
    name: 'signal: joins, hands out a parked offer on want, tells the holder, relays the answer',
    async run({ signal }) {
      const holder = await signal('relay.example');
      const asker = await signal('relay.example');
      const parked = { connId: 'conn-holder-1', sdp: { type: 'offer' as const, sdp: 'v=0 parked offer' } };
      assert.deepEqual(await holder.join('holder', { have: [hash(1)], offers: [parked] }), {
        type: 'joined',
        peerId: peerId('holder'),
        swarmSize: 1,
        peers: [],
        mode: 'on',
      });
      assert.equal((await asker.join('asker')).swarmSize, 2);

      asker.send({ type: 'want', hash: hash(1), exclude: [] });
      assert.deepEqual(await asker.next('peers'), { type: 'peers', hash: hash(1), peers: [{ peerId: peerId('holder'), offer: parked }] });
      assert.deepEqual(await holder.next('offer-used'), { type: 'offer-used', connId: parked.connId, by: peerId('asker') });

      const answer = { type: 'answer' as const, sdp: 'v=0 answer' };
      asker.send({ type: 'signal', to: peerId('holder'), connId: parked.connId, sdp: answer });
      assert.deepEqual(await holder.next('signal'), { type: 'signal', from: peerId('asker'), connId: parked.connId, sdp: answer });
      // The offer was used once: a second want finds the holder without one.
      asker.send({ type: 'want', hash: hash(1), exclude: [] });
      assert.deepEqual((await asker.next('peers')).peers, [{ peerId: peerId('holder') }]);
    },
  },
  {
    name: 'signal: a want with fetching lists the peers fetching the asset after its holders, with the asker rank',
    async run({ signal }) {
      const holder = await signal('fetchers.example');
      await holder.join('f-holder', { have: [hash(3)] });
      const first = await signal('fetchers.example');
      await first.join('f-first');
      const second = await signal('fetchers.example');
      await second.join('f-second');

      first.send({ type: 'want', hash: hash(3), exclude: [], fetching: true });
      assert.deepEqual(await first.next('peers'), { type: 'peers', hash: hash(3), peers: [{ peerId: peerId('f-holder') }], rank: 0 });
      second.send({ type: 'want', hash: hash(3), exclude: [], fetching: true });
      assert.deepEqual(await second.next('peers'), {
        type: 'peers',
        hash: hash(3),
        peers: [{ peerId: peerId('f-holder') }, { peerId: peerId('f-first'), fetching: true }],
        rank: 1,
      });
      // Its `have` ends its registration: it is listed as a holder, and a plain want carries no rank.
      first.send({ type: 'have', have: [hash(3)] });
      await eventually(async () => {
        holder.send({ type: 'want', hash: hash(3), exclude: [] });
        const answer = await holder.next('peers');
        const fetching = new Map(answer.peers.map((p) => [p.peerId, p.fetching === true]));
        return answer.rank === undefined && fetching.get(peerId('f-first')) === false && fetching.get(peerId('f-second')) === true;
      }, 'f-first listed as a holder, f-second as fetching');
    },
  },
  {
    name: 'signal: join with introduce returns a holder with a parked offer at once',
    async run({ signal }) {
      const holder = await signal('introduce.example');
      const offer = { connId: 'conn-intro-1', sdp: { type: 'offer' as const, sdp: 'v=0 intro offer' } };
      await holder.join('intro-holder', { have: [hash(2)], offers: [offer] });
      const newcomer = await signal('introduce.example');
      const joined = await newcomer.join('newcomer', { introduce: 2 });
      assert.deepEqual(joined.peers, [{ peerId: peerId('intro-holder'), offer }]);
      assert.equal((await holder.next('offer-used')).by, peerId('newcomer'));
    },
  },
  {
    name: 'signal: a peer whose socket closes leaves its swarm',
    async run({ signal }) {
      const stays = await signal('leave.example');
      const leaves = await signal('leave.example');
      await stays.join('stays');
      await leaves.join('leaves', { have: [hash(3)] });
      stays.send({ type: 'want', hash: hash(3), exclude: [] });
      assert.deepEqual((await stays.next('peers')).peers, [{ peerId: peerId('leaves') }]);
      await leaves.close();
      // The runtime reports the close to the core a little after the client sees it.
      await eventually(
        async () => {
          stays.send({ type: 'want', hash: hash(3), exclude: [] });
          return (await stays.next('peers')).peers.length === 0;
          // Polled slowly: each poll is a message, and the suite's rate limit is low.
        },
        'the closed peer to leave the swarm',
        undefined,
        150,
      );
    },
  },
  {
    name: 'signal: /peer-connect/health counts the swarm, its peers and connections, and forgets them',
    async run({ server, signal }) {
      const swarm = HEALTH_SWARM;
      const first = await signal(swarm);
      await first.join('counted-1');
      const second = await signal(swarm);
      await second.join('counted-2');
      const counted = await swarmHealth(server, swarm);
      assert.ok(counted.swarms >= 1 && counted.peers >= 2 && counted.connections >= 2, JSON.stringify(counted));
      await second.close();
      // At most: where counts are global, peers of earlier cases may still be leaving too.
      await eventually(
        async () => (await swarmHealth(server, swarm)).peers <= counted.peers - 1,
        'the closed peer to be uncounted',
        undefined,
        100,
      );
    },
  },
  {
    name: 'signal: /peer-connect/health for a swarm not in healthSwarms is 404 where it would create a shard',
    async run({ server }) {
      for (const route of ['', '&route=tracker']) {
        const res = await fetch(`${server.healthUrl}?swarm=not-listed.example${route}`);
        const body = (await res.json()) as { ok?: unknown; error?: unknown };
        if (!SHARDED_HEALTH[server.runtime]) {
          assert.equal(res.status, 200, route);
          continue;
        }
        assert.equal(res.status, 404, route);
        assert.equal(body.ok, false);
        assert.match(String(body.error), /not in PEER_CONNECT_SIGNAL_CONFIG\.healthSwarms/);
      }
    },
  },
  {
    name: 'http: a plain GET on the signaling and tracker routes answers 426',
    async run({ server }) {
      for (const url of [server.url, server.trackerUrl]) {
        // With the allowed Origin: without one the signaling route answers 403 before this.
        const res = await fetch(url.replace(/^ws/, 'http'), { headers: { Origin: GOOD_ORIGIN } });
        assert.equal(res.status, 426, url);
        if (KEEPS_UPGRADE_HEADER_ON_426[server.runtime]) assert.equal(res.headers.get('upgrade')?.toLowerCase(), 'websocket', url);
        await res.arrayBuffer();
      }
    },
  },
];
