/**
 * Issue 15 on the server's core: the `report` decoder, per-connection report rate, what a lying
 * client can do to the totals, the bounded minute series and top list, the P2P switch reaching
 * connected bridges, the Prometheus text (parsed by parse-prometheus-text-format), the token and
 * the guarded routes.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import {
  REPORT_BURST,
  REPORT_MAX_ASSETS,
  REPORT_MAX_BYTES,
  REPORT_REFILL_MS,
  STATS_SERIES_MINUTES,
  STATS_TOP_ASSETS,
} from '../../protocol/limits.ts';
import { decodeClientMessage, decodeServerMessage } from '../../protocol/signal-messages.ts';
import { decodeP2pModes, modeOf, type UsageReport } from '../../protocol/usage-report.ts';
import { createSignalApp } from '../../signal-worker/app.ts';
import { SignalHub } from '../../signal-worker/core/signal/signal-hub.ts';
import { MinuteSeries } from '../../signal-worker/core/stats/minute-series.ts';
import { UsageBoard } from '../../signal-worker/core/stats/usage-board.ts';
import { hubsUsageSource } from '../../signal-worker/dashboard/local-backend.ts';
import { encodePrometheus } from '../../signal-worker/dashboard/prometheus.ts';
import { tokenMatches } from '../../signal-worker/dashboard/token.ts';
import { metricFamilies } from '../../signal-worker/dashboard/usage-view.ts';
import { SignalHubs } from '../../signal-worker/signal-hubs.ts';
import { FakeClock, FakeSignalSocket, hash, peerId } from './signal-fakes.ts';

const report = (peer: number, extra: Partial<UsageReport> = {}): UsageReport => ({
  type: 'report',
  bytes: { peer, origin: 1000, cache: 0, webSeed: 0, uploaded: 500 },
  failures: 0,
  badPieces: 0,
  bans: 0,
  assets: [],
  ...extra,
});

const decode = (m: unknown) => decodeClientMessage(JSON.stringify(m));

describe('report: the decoder', () => {
  it('takes non-negative integer deltas, absent counts as 0, and assets with path and bytes', () => {
    const m = decode({ type: 'report', bytes: { peer: 65536, origin: 10 }, assets: [{ hash: hash(1), path: 'img/a.jpg', peer: 65536 }] });
    assert.deepEqual(m.ok && m.value, {
      type: 'report',
      bytes: { peer: 65536, origin: 10, cache: 0, webSeed: 0, uploaded: 0 },
      failures: 0,
      badPieces: 0,
      bans: 0,
      assets: [{ hash: hash(1), path: 'img/a.jpg', peer: 65536 }],
    });
  });

  it('refuses negative, fractional, oversized and non-number counts, so a liar cannot go negative or overflow', () => {
    for (const bad of [-1, 1.5, REPORT_MAX_BYTES + 1, '10', null, Number.MAX_SAFE_INTEGER + 2]) {
      assert.equal(decode({ type: 'report', bytes: { peer: bad } }).ok, false, `bytes.peer ${String(bad)} accepted`);
    }
    assert.equal(decode({ type: 'report', bytes: {}, failures: -3 }).ok, false);
    assert.equal(decode({ type: 'report', bytes: {}, bans: 2_000_000 }).ok, false);
    assert.equal(decode({ type: 'report' }).ok, false, 'no bytes object');
  });

  it('refuses too many assets, a repeated hash, a bad hash, and a path with a line break (it could forge a metrics line)', () => {
    const asset = (i: number) => ({ hash: hash(100 + i), path: `a${i}`, peer: 1 });
    assert.equal(
      decode({ type: 'report', bytes: {}, assets: Array.from({ length: REPORT_MAX_ASSETS + 1 }, (_, i) => asset(i)) }).ok,
      false,
    );
    assert.equal(decode({ type: 'report', bytes: {}, assets: [asset(1), asset(1)] }).ok, false);
    assert.equal(decode({ type: 'report', bytes: {}, assets: [{ hash: 'abc', path: 'a', peer: 1 }] }).ok, false);
    assert.equal(decode({ type: 'report', bytes: {}, assets: [{ hash: hash(1), path: 'a\nb 1', peer: 1 }] }).ok, false);
    assert.equal(decode({ type: 'report', bytes: {}, assets: [{ hash: hash(1), path: 'x'.repeat(257), peer: 1 }] }).ok, false);
  });

  it('reads the mode in joined and p2p-mode, and refuses an unknown one', () => {
    const joined = decodeServerMessage(JSON.stringify({ type: 'joined', peerId: peerId('a'), swarmSize: 1, peers: [], mode: 'off' }));
    assert.equal(joined.ok && joined.value.type === 'joined' && joined.value.mode, 'off');
    const old = decodeServerMessage(JSON.stringify({ type: 'joined', peerId: peerId('a'), swarmSize: 1, peers: [] }));
    assert.equal(old.ok && old.value.type === 'joined' && old.value.mode, undefined);
    assert.deepEqual(decodeServerMessage('{"type":"p2p-mode","mode":"download-only"}'), {
      ok: true,
      value: { type: 'p2p-mode', mode: 'download-only' },
    });
    assert.equal(decodeServerMessage('{"type":"p2p-mode","mode":"paused"}').ok, false);
    assert.equal(
      decodeServerMessage(JSON.stringify({ type: 'joined', peerId: peerId('a'), swarmSize: 1, peers: [], mode: 'x' })).ok,
      false,
    );
  });

  it('modes: a swarm’s own entry, else *, else on', () => {
    const modes = decodeP2pModes({ '*': 'download-only', 'blog.example': 'off' });
    assert.ok(modes.ok);
    assert.equal(modeOf(modes.value, 'blog.example'), 'off');
    assert.equal(modeOf(modes.value, 'shop.example'), 'download-only');
    assert.equal(modeOf({}, 'shop.example'), 'on');
  });
});

function setup(p2p = {}) {
  const clock = new FakeClock();
  const hub = new SignalHub({ clock, p2p });
  const join = (name: string, swarm = 'site.example') => {
    const socket = new FakeSignalSocket();
    const conn = hub.accept(socket);
    const send = (m: unknown): void => conn.receive(JSON.stringify(m));
    send({ type: 'join', swarm, peerId: peerId(name), have: [], offers: [], introduce: 0 });
    return { socket, conn, send };
  };
  return { clock, hub, join };
}

describe('report: the server counts it', () => {
  it('sums reports per swarm, into totals and the minute series, with joins and relays counted by the server', () => {
    const { clock, hub, join } = setup();
    const a = join('a');
    const b = join('b');
    a.send(report(65536, { assets: [{ hash: hash(2), path: 'img.jpg', peer: 65536 }] }));
    clock.advance(1000);
    b.send(report(131072, { badPieces: 1, bans: 1 }));
    b.send({ type: 'signal', to: peerId('a'), connId: 'conn-0001', sdp: { type: 'offer', sdp: 'v=0' } });
    const usage = hub.usage.get('site.example');
    assert.ok(usage);
    assert.equal(usage.reported.peer, 196608);
    assert.equal(usage.reported.origin, 2000);
    assert.equal(usage.reported.badPieces, 1);
    assert.equal(usage.reported.reports, 2);
    assert.deepEqual(usage.server, { joins: 2, relays: 1, peersOnline: 2 });
    assert.deepEqual(usage.topAssets(), [{ hash: hash(2), path: 'img.jpg', peer: 65536 }]);
    assert.equal(usage.peerBytesToday(clock.now()), 196608);
    a.conn.socketClosed();
    assert.equal(usage.server.peersOnline, 1);
    assert.equal(a.socket.ofType('error').length + b.socket.ofType('error').length, 0);
  });

  it('takes REPORT_BURST reports at once, drops the next without closing (report-dropped), and takes one again after REPORT_REFILL_MS', () => {
    const { clock, hub, join } = setup();
    const a = join('a');
    for (let i = 0; i < REPORT_BURST; i++) a.send(report(1));
    a.send(report(1_000_000));
    assert.deepEqual(
      a.socket.ofType('error').map((e) => e.code),
      ['report-dropped'],
    );
    assert.equal(a.socket.closedWith, null, 'a dropped report is not fatal');
    assert.equal(hub.usage.get('site.example')?.reported.peer, REPORT_BURST);
    assert.equal(hub.usage.counters.reportsRefused['report-dropped'], 1);
    clock.advance(REPORT_REFILL_MS);
    a.send(report(5));
    assert.equal(hub.usage.get('site.example')?.reported.peer, REPORT_BURST + 5);
  });

  it('closes a malformed report (negative bytes) with malformed, and a report before join with not-joined', () => {
    const { hub, join } = setup();
    const a = join('a');
    a.send({ type: 'report', bytes: { peer: -65536 } });
    assert.deepEqual(a.socket.closedWith, { code: 1008, reason: 'malformed' });
    const socket = new FakeSignalSocket();
    hub.accept(socket).receive(JSON.stringify(report(1)));
    assert.deepEqual(socket.closedWith, { code: 1008, reason: 'not-joined' });
  });

  it('a liar sending the largest report forever saturates at Number.MAX_SAFE_INTEGER, never overflows or goes negative', () => {
    const board = new UsageBoard();
    const big = report(REPORT_MAX_BYTES);
    for (let i = 0; i < 9000; i++) board.report('s', big, i * 60_000);
    const usage = board.get('s');
    assert.equal(usage?.reported.peer, Number.MAX_SAFE_INTEGER);
    assert.ok(Number.isSafeInteger(usage?.peerBytesToday(9000 * 60_000)));
  });

  it('holds at most maxSwarms swarms: a report for one more, while every swarm has a peer online, is refused as stats-full', () => {
    const board = new UsageBoard(2);
    board.joined('a', 0);
    board.joined('b', 0);
    assert.equal(board.report('a', report(1), 0), true);
    assert.equal(board.report('b', report(1), 0), true);
    assert.equal(board.report('c', report(1), 0), false);
    assert.equal(board.all().length, 2);
    assert.equal(board.counters.reportsRefused['stats-full'], 1);
  });

  it('keeps STATS_TOP_ASSETS assets: a bigger newcomer replaces the smallest, a smaller one does not get in', () => {
    const board = new UsageBoard();
    for (let i = 0; i < STATS_TOP_ASSETS; i++)
      board.report('s', report(100 + i, { assets: [{ hash: hash(200 + i), path: `a${i}`, peer: 100 + i }] }), 0);
    board.report('s', report(50, { assets: [{ hash: hash(3), path: 'small', peer: 50 }] }), 0);
    board.report('s', report(10_000, { assets: [{ hash: hash(4), path: 'big', peer: 10_000 }] }), 0);
    const top = board.get('s')?.topAssets() ?? [];
    assert.equal(top.length, STATS_TOP_ASSETS);
    assert.equal(top[0]?.path, 'big');
    assert.ok(!top.some((a) => a.path === 'small' || a.path === 'a0'));
  });
});

describe('minute series: fixed memory, 24 h', () => {
  it('reuses a slot a day later: the old minute reads as zero, the new one as its own', () => {
    const series = new MinuteSeries(2, STATS_SERIES_MINUTES);
    series.add(10, 0, 5);
    series.add(10 + STATS_SERIES_MINUTES, 0, 7);
    assert.equal(series.get(10, 0), 0);
    assert.equal(series.get(10 + STATS_SERIES_MINUTES, 0), 7);
  });

  it('lists at most `minutes` points however many minutes passed, oldest first', () => {
    const series = new MinuteSeries(1, 60);
    for (let m = 0; m < 1000; m++) series.add(m, 0, 1);
    const points = series.points(999);
    assert.equal(points.length, 60);
    assert.equal(points[0]?.minute, 940);
    assert.equal(series.sum(0, 0, 999), 60);
  });

  it('restores stored points inside the window only, clamping nonsense to 0', () => {
    const series = new MinuteSeries(1, 60);
    series.restore(
      [
        { minute: 100, values: [3] },
        { minute: 10, values: [9] },
        { minute: 101, values: [-5] },
      ],
      120,
    );
    assert.equal(series.get(100, 0), 3);
    assert.equal(series.get(10, 0), 0);
    assert.equal(series.get(101, 0), 0);
  });
});

describe('the P2P switch', () => {
  it('tells joiners their swarm’s mode in joined, and connected bridges at once when it changes', () => {
    const { hub, join } = setup({ 'blog.example': 'download-only' });
    const a = join('a', 'site.example');
    const b = join('b', 'blog.example');
    assert.equal(a.socket.ofType('joined')[0]?.mode, 'on');
    assert.equal(b.socket.ofType('joined')[0]?.mode, 'download-only');
    const told = hub.setP2pModes({ 'site.example': 'off', 'blog.example': 'download-only' });
    assert.equal(told, 1, 'only the bridge whose mode changed');
    assert.deepEqual(a.socket.ofType('p2p-mode'), [{ type: 'p2p-mode', mode: 'off' }]);
    assert.deepEqual(b.socket.ofType('p2p-mode'), []);
    const c = join('c', 'site.example');
    assert.equal(c.socket.ofType('joined')[0]?.mode, 'off');
    hub.setP2pModes({});
    assert.deepEqual(
      a.socket.ofType('p2p-mode').map((m) => m.mode),
      ['off', 'on'],
    );
  });
});

describe('metrics in the Prometheus text format', () => {
  it('parses with parse-prometheus-text-format, with the counters the reports and the server made', () => {
    const hubs = new SignalHubs({});
    const clock = Date.now();
    hubs.signal.usage.joined('site.example', clock);
    hubs.signal.usage.report('site.example', report(65536, { badPieces: 2 }), clock);
    hubs.signal.usage.errorSent('rate-limited');
    hubs.signal.usage.refusedBeforeUpgrade('server-full');
    const families = parsePrometheusTextFormat(encodePrometheus(metricFamilies(hubsUsageSource(hubs))));
    const family = (name: string) => families.find((f) => f.name === name);
    const bytes = family('peer_connect_reported_bytes_total');
    assert.equal(bytes?.type, 'COUNTER');
    const peer = bytes?.metrics.find((m) => m.labels?.source === 'peer' && m.labels?.swarm === 'site.example');
    assert.equal(Number(peer?.value), 65536);
    assert.equal(Number(family('peer_connect_reported_bad_pieces_total')?.metrics[0]?.value), 2);
    assert.equal(Number(family('peer_connect_peers_online')?.metrics[0]?.value), 1);
    assert.equal(family('peer_connect_peers_online')?.type, 'GAUGE');
    assert.equal(family('peer_connect_errors_sent_total')?.metrics[0]?.labels?.code, 'rate-limited');
    assert.equal(family('peer_connect_connections_refused_total')?.metrics[0]?.labels?.code, 'server-full');
    assert.ok(Number(family('process_resident_memory_bytes')?.metrics[0]?.value) > 0, 'Node has a resident size');
  });

  it('escapes label values and help text as the format says, so they round-trip', () => {
    const text = encodePrometheus([
      { name: 'x_total', help: 'a \\ help\nline', type: 'counter', samples: [{ labels: { swarm: 'a"b\\c\nd' }, value: 3 }] },
    ]);
    assert.equal(text, '# HELP x_total a \\\\ help\\nline\n# TYPE x_total counter\nx_total{swarm="a\\"b\\\\c\\nd"} 3\n');
    const [family] = parsePrometheusTextFormat(text);
    assert.equal(family?.metrics[0]?.labels?.swarm, 'a"b\\c\nd');
    assert.throws(() => encodePrometheus([{ name: 'bad-name', help: '', type: 'gauge', samples: [] }]));
  });
});

describe('the token and the guarded routes', () => {
  it('compares tokens whole', async () => {
    assert.equal(await tokenMatches('a-token-of-20-chars!', 'a-token-of-20-chars!'), true);
    assert.equal(await tokenMatches('a-token-of-20-chars', 'a-token-of-20-chars!'), false);
    assert.equal(await tokenMatches(null, 'a-token-of-20-chars!'), false);
    assert.equal(await tokenMatches('a-token-of-20-chars!!!!', 'a-token-of-20-chars!'), false);
  });

  const app = (dashboardToken: string | null) =>
    createSignalApp({ upgradeWebSocket: (() => () => new Response()) as never, hubs: new SignalHubs({}), dashboardToken });
  const paths = [
    '/peer-connect/dashboard',
    '/peer-connect/dashboard/data',
    '/peer-connect/metrics',
    '/peer-connect/p2p',
    '/peer-connect/dashboard/app.js',
  ];

  it('answers 404 on every route when no token is configured', async () => {
    for (const path of paths) assert.equal((await app(null).request(path)).status, 404, path);
    assert.equal((await app(null).request('/peer-connect/p2p', { method: 'POST', body: '{}' })).status, 404);
  });

  it('answers 401 without the token or with another, and 200 with it (header or query)', async () => {
    const token = 'a-token-of-20-chars!';
    const guarded = app(token);
    for (const path of paths.slice(0, 4)) {
      assert.equal((await guarded.request(path)).status, 401, path);
      assert.equal((await guarded.request(path, { headers: { Authorization: 'Bearer wrong-token-of-20-ch' } })).status, 401, path);
      assert.equal((await guarded.request(path, { headers: { Authorization: `Bearer ${token}` } })).status, 200, path);
    }
    const page = await guarded.request(`/peer-connect/dashboard?token=${token}`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
    const post = await guarded.request('/peer-connect/p2p', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
      body: JSON.stringify({ '*': 'download-only' }),
    });
    assert.deepEqual(await post.json(), { modes: { '*': 'download-only' }, told: 0 });
    const bad = await guarded.request('/peer-connect/p2p', {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}` },
      body: '{"*":"pause"}',
    });
    assert.equal(bad.status, 400);
  });
});
