/**
 * The swarm's Durable Object keeps its statistics and the owner's mode across an eviction, and
 * writes the statistics at most once a minute, never per frame. Run on SignalSwarm itself with a
 * fake object state: an in-memory stand-in for its SQLite storage that counts writes, and
 * sockets handed to it as hibernation hands them (`getWebSockets()` with their attachments).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it, mock } from 'node:test';
import { STATS_PERSIST_INTERVAL_MS } from '../../protocol/limits.ts';
import { OBJECT_DASHBOARD_PREFIX } from '../../signal-worker/adapter/cloudflare/object-dashboard.ts';
import { SignalSwarm } from '../../signal-worker/adapter/cloudflare/signal-swarm.ts';
import type { DurableObjectState, HibernatableWebSocket, SqlCursor } from '../../signal-worker/adapter/cloudflare/workers-types.ts';
import type { DashboardData } from '../../signal-worker/dashboard/usage-view.ts';
import { hash, peerId } from './signal-fakes.ts';

/** Just the statements the objects run, over maps; `writes` counts each table's INSERTs. */
class FakeSql {
  readonly tables = new Map<string, Map<string, string>>();
  readonly writes = new Map<string, number>();
  exec(query: string, ...bindings: Array<string | number | null>): SqlCursor {
    const table = /(?:TABLE IF NOT EXISTS|FROM|INTO)\s+(\w+)/.exec(query)?.[1] ?? '';
    const rows = this.tables.get(table) ?? new Map<string, string>();
    this.tables.set(table, rows);
    let out: Array<Record<string, string>> = [];
    if (query.startsWith('INSERT OR REPLACE')) {
      rows.set(String(bindings[0]), String(bindings[1]));
      this.writes.set(table, (this.writes.get(table) ?? 0) + 1);
    } else if (query.startsWith('DELETE')) rows.delete(String(bindings[0]));
    else if (query.startsWith('SELECT key, data')) out = [...rows].map(([key, data]) => ({ key, data }));
    else if (query.startsWith('SELECT data')) {
      const data = rows.get(String(bindings[0]));
      out = data === undefined ? [] : [{ data }];
    }
    return { toArray: () => out };
  }
}

class FakeWs implements HibernatableWebSocket {
  readonly sent: Array<Record<string, unknown>> = [];
  private attachment: unknown;
  constructor(attachment: unknown) {
    this.attachment = attachment;
  }
  send(message: string): void {
    this.sent.push(JSON.parse(message) as Record<string, unknown>);
  }
  close(): void {}
  serializeAttachment(value: unknown): void {
    this.attachment = structuredClone(value);
  }
  deserializeAttachment(): unknown {
    return this.attachment;
  }
}

function state(sql: FakeSql, sockets: FakeWs[]): DurableObjectState {
  return {
    storage: { sql, setAlarm: async () => undefined, deleteAlarm: async () => undefined },
    acceptWebSocket: () => undefined,
    getWebSockets: () => sockets,
    setWebSocketAutoResponse: () => undefined,
    getWebSocketAutoResponseTimestamp: () => null,
  };
}

const SWARM = 'cf.example';
const env = { SIGNAL_SWARMS: {} as never, TRACKER_SITES: {} as never, PEER_CONNECT_SIGNAL_CONFIG: { p2p: { '*': 'on' } } };
const report = (peer: number) => JSON.stringify({ type: 'report', bytes: { peer }, assets: [{ hash: hash(9), path: 'a.jpg', peer }] });

async function data(object: SignalSwarm): Promise<DashboardData> {
  const response = await object.fetch(new Request(`https://object${OBJECT_DASHBOARD_PREFIX}data?swarm=${SWARM}`));
  return (await response.json()) as DashboardData;
}

describe('Cloudflare: the swarm object’s statistics and mode', () => {
  before(() => {
    (globalThis as Record<string, unknown>).WebSocketRequestResponsePair = class {
      constructor(
        readonly request: string,
        readonly response: string,
      ) {}
    };
    mock.timers.enable({ apis: ['Date'], now: Date.UTC(2026, 10, 30, 12, 0) });
  });
  after(() => mock.timers.reset());

  it('writes the statistics at most once a minute, and a restarted object has them, its peer online but not joined twice', async () => {
    const sql = new FakeSql();
    const ws = new FakeWs({ key: 'k1', lastSeen: Date.now(), bucket: { tokens: 100, last: Date.now() }, urlSwarm: SWARM });
    const object = new SignalSwarm(state(sql, [ws]), env);
    object.webSocketMessage(ws, JSON.stringify({ type: 'join', swarm: SWARM, peerId: peerId('a'), have: [], offers: [], introduce: 0 }));
    assert.equal(ws.sent[0]?.type, 'joined');
    for (let i = 0; i < 3; i++) object.webSocketMessage(ws, report(65536));
    mock.timers.tick(20_000);
    object.webSocketMessage(ws, report(65536));
    assert.equal(sql.writes.get('swarm_usage') ?? 0, 0, 'no write per frame, nor before a minute');
    mock.timers.tick(STATS_PERSIST_INTERVAL_MS);
    object.alarm();
    assert.equal(sql.writes.get('swarm_usage'), 1, 'one write once the minute is up');
    object.alarm();
    assert.equal(sql.writes.get('swarm_usage'), 1, 'nothing new, nothing written');

    // Evicted: a new instance on the same storage and the same open socket.
    const again = new SignalSwarm(state(sql, [ws]), env);
    const d = await data(again);
    assert.equal(d.reported.peer, 4 * 65536);
    assert.equal(d.reported.reports, 4);
    assert.equal(d.server.joins, 1, 'the rebuilt socket is not a new join');
    assert.equal(d.server.peersOnline, 1);
    assert.deepEqual(d.top, [{ hash: hash(9), path: 'a.jpg', peer: 4 * 65536 }]);
  });

  it('keeps the mode the owner set over the config’s, and tells the open socket at once', async () => {
    const sql = new FakeSql();
    const ws = new FakeWs({ key: 'k2', lastSeen: Date.now(), bucket: { tokens: 100, last: Date.now() }, urlSwarm: SWARM });
    const object = new SignalSwarm(state(sql, [ws]), env);
    object.webSocketMessage(ws, JSON.stringify({ type: 'join', swarm: SWARM, peerId: peerId('b'), have: [], offers: [], introduce: 0 }));
    const post = await object.fetch(
      new Request(`https://object${OBJECT_DASHBOARD_PREFIX}p2p?swarm=${SWARM}`, {
        method: 'POST',
        body: JSON.stringify({ [SWARM]: 'off' }),
      }),
    );
    assert.deepEqual(await post.json(), { modes: { [SWARM]: 'off' }, told: 1 });
    assert.deepEqual(ws.sent.at(-1), { type: 'p2p-mode', mode: 'off' });
    const again = new SignalSwarm(state(sql, []), env);
    assert.equal((await data(again)).mode, 'off');
  });
});
