/**
 * The Cloudflare Worker's health route, with fake Durable Object namespaces that count every
 * `idFromName` and `get`: asking an object for its health wakes it and, for a new name, creates
 * it, so the Worker must ask only for the swarms the operator listed (`healthSwarms`) and touch
 * no object at all for anything else.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import worker from '../../signal-worker/adapter/cloudflare/worker.ts';
import type { WorkerEnv } from '../../signal-worker/adapter/cloudflare/worker-env.ts';
import type { DurableObjectNamespace, DurableObjectStub } from '../../signal-worker/adapter/cloudflare/workers-types.ts';

const LISTED = 'listed.example';
const HEALTH = 'https://signal.example/peer-connect/health';

/** A namespace whose objects answer health with their own name; it records every call. */
class CountingNamespace implements DurableObjectNamespace {
  readonly named: string[] = [];
  gets = 0;

  constructor(private readonly kind: string) {}

  idFromName(name: string): unknown {
    this.named.push(name);
    return { name };
  }

  get(id: unknown): DurableObjectStub {
    this.gets++;
    const name = (id as { name: string }).name;
    return { fetch: async () => Response.json({ ok: true, object: this.kind, name, swarms: 1, peers: 0, connections: 0 }) };
  }
}

/**
 * The Worker builds its app once per isolate from the first env it sees, as on Cloudflare, so
 * every request here carries the same config; only the namespaces (and their counts) are fresh.
 */
function env(): WorkerEnv & { SIGNAL_SWARMS: CountingNamespace; TRACKER_SITES: CountingNamespace } {
  return {
    SIGNAL_SWARMS: new CountingNamespace('signal'),
    TRACKER_SITES: new CountingNamespace('tracker'),
    PEER_CONNECT_SIGNAL_CONFIG: { allowedOrigins: ['https://site.example'], healthSwarms: [LISTED] },
  };
}

async function get(url: string, bindings: WorkerEnv): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await worker.fetch(new Request(url), bindings, {});
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

function assertUntouched(bindings: ReturnType<typeof env>): void {
  for (const namespace of [bindings.SIGNAL_SWARMS, bindings.TRACKER_SITES]) {
    assert.deepEqual(namespace.named, [], 'no idFromName');
    assert.equal(namespace.gets, 0, 'no get');
  }
}

describe('Cloudflare Worker health', () => {
  it('without ?swarm= says the Worker is up and touches no object', async () => {
    const bindings = env();
    const { status, body } = await get(HEALTH, bindings);
    assert.equal(status, 200);
    assert.equal(body.ok, true);
    assert.equal(body.runtime, 'workerd');
    assertUntouched(bindings);
  });

  it('for swarms nobody listed answers 404 with how to list one, and wakes no object, on either route', async () => {
    const bindings = env();
    for (let i = 0; i < 100; i++) {
      for (const route of ['', '&route=tracker']) {
        const { status, body } = await get(`${HEALTH}?swarm=stranger-${i}.example${route}`, bindings);
        assert.equal(status, 404);
        assert.equal(body.ok, false);
        assert.match(String(body.error), new RegExp(`"stranger-${i}\\.example".*not in PEER_CONNECT_SIGNAL_CONFIG\\.healthSwarms`));
        assert.match(String(body.error), /add it to "healthSwarms" in vars\.PEER_CONNECT_SIGNAL_CONFIG/);
      }
    }
    assertUntouched(bindings);
  });

  it('for a malformed swarm answers 400 and wakes no object', async () => {
    const bindings = env();
    const { status } = await get(`${HEALTH}?swarm=${encodeURIComponent('no spaces')}`, bindings);
    assert.equal(status, 400);
    assertUntouched(bindings);
  });

  it('for a listed swarm asks that one object, on the route asked for', async () => {
    const bindings = env();
    const signal = await get(`${HEALTH}?swarm=${LISTED}`, bindings);
    assert.equal(signal.status, 200);
    assert.deepEqual([signal.body.object, signal.body.name], ['signal', LISTED]);
    assert.deepEqual(bindings.SIGNAL_SWARMS.named, [LISTED]);
    assert.equal(bindings.SIGNAL_SWARMS.gets, 1);

    const tracker = await get(`${HEALTH}?swarm=${LISTED}&route=tracker`, bindings);
    assert.deepEqual([tracker.body.object, tracker.body.name], ['tracker', LISTED]);
    assert.deepEqual(bindings.TRACKER_SITES.named, [LISTED]);
    assert.equal(bindings.TRACKER_SITES.gets, 1);
    assert.equal(bindings.SIGNAL_SWARMS.gets, 1, 'the signaling object was not asked again');
  });
});
