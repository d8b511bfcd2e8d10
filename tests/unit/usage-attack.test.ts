/**
 * Issue 15 attacked (review): what a lying or hostile client can do to the server's usage
 * statistics, the metrics text, the P2P switch and a visitor's upload cap. Regressions for the
 * cases that hold, and a test for each fault found.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';
import { UploadCap } from '../../page-bridge/steering/upload-cap.ts';
import { STATS_MAX_SWARMS } from '../../protocol/limits.ts';
import { decodeFrame } from '../../protocol/peer-wire.ts';
import { decodeClientMessage } from '../../protocol/signal-messages.ts';
import { decodeP2pModes, type UsageReport } from '../../protocol/usage-report.ts';
import { UsageBoard } from '../../signal-worker/core/stats/usage-board.ts';
import { encodePrometheus } from '../../signal-worker/dashboard/prometheus.ts';
import { tokenMatches } from '../../signal-worker/dashboard/token.ts';
import { hash } from './signal-fakes.ts';

const decode = (m: unknown) => decodeClientMessage(JSON.stringify(m));

const report = (peer: number, extra: Partial<UsageReport> = {}): UsageReport => ({
  type: 'report',
  bytes: { peer, origin: 0, cache: 0, webSeed: 0, uploaded: 0 },
  failures: 0,
  badPieces: 0,
  bans: 0,
  assets: [],
  ...extra,
});

describe('review: a hostile report', () => {
  it('refuses a path with C1 controls, line/paragraph separators or bidi overrides (a path shown reversed on the dashboard)', () => {
    for (const path of ['a\u0085b', 'a\u2028b', 'a\u2029b', 'invoice\u202egpj.exe', 'a\u2066b', 'a\u200fb']) {
      const m = decode({ type: 'report', bytes: { peer: 1 }, assets: [{ hash: hash(1), path, peer: 1 }] });
      assert.equal(m.ok, false, `path ${JSON.stringify(path)} accepted`);
    }
    const fine = decode({
      type: 'report',
      bytes: { peer: 1 },
      assets: [{ hash: hash(1), path: 'fotos/été "x" </script><b>.jpg', peer: 1 }],
    });
    assert.equal(fine.ok, true, 'quotes, markup and non-ASCII letters are text, escaped where shown');
  });

  it('ignores extra fields: the decoded report carries only its own', () => {
    const m = decode({ type: 'report', bytes: { peer: 1, evil: 5 }, __proto__x: 1, constructor: 'x', assets: [] });
    assert.ok(m.ok && m.value.type === 'report');
    assert.deepEqual(Object.keys(m.value.bytes).sort(), ['cache', 'origin', 'peer', 'uploaded', 'webSeed']);
  });

  it('NaN, Infinity and strings as JSON never reach the totals', () => {
    for (const raw of [
      '{"type":"report","bytes":{"peer":NaN}}',
      '{"type":"report","bytes":{"peer":1e400}}',
      '{"type":"report","bytes":{"peer":"1"}}',
    ])
      assert.equal(decodeClientMessage(raw).ok, false, raw);
  });
});

describe('review: the board is bounded, but who gets its room', () => {
  it('a swarm whose peers all left does not keep a place forever: junk swarms joined once must not lock a real one out', () => {
    // UsageBoard.swarm() makes an entry on any join; before places were given back, after
    // STATS_MAX_SWARMS junk ids joined (and left), every report of a new real swarm was refused
    // `stats-full` until the server restarted (found on a live `serve` with 260 sockets).
    const board = new UsageBoard();
    for (let i = 0; i < STATS_MAX_SWARMS; i++) {
      board.joined(`junk-${i}`, 0);
      board.left(`junk-${i}`, 0);
    }
    assert.equal(board.report('site.example', report(1), 60_000), true, 'the real swarm’s report was refused stats-full');
    assert.equal(board.all().length, STATS_MAX_SWARMS, 'still bounded');
    // A swarm with a peer online keeps its place; a reported one outlives a never-reported one.
    const held = new UsageBoard(2);
    held.joined('online', 0);
    held.report('reported', report(1), 0);
    held.left('reported', 0);
    assert.equal(held.report('newcomer', report(1), 1_000), true);
    assert.deepEqual(
      held
        .all()
        .map((u) => u.swarm)
        .sort(),
      ['newcomer', 'online'],
    );
    held.joined('other', 2_000);
    assert.deepEqual(
      held
        .all()
        .map((u) => u.swarm)
        .sort(),
      ['online', 'other'],
      'the idle reported swarm gave its place',
    );
    const full = new UsageBoard(1);
    full.joined('online', 0);
    assert.equal(full.report('late', report(1), 1_000), false, 'no place while every swarm has a peer online');
  });
});

describe('review: top assets', () => {
  it("a report's assets share its bytes from peers: claiming more cannot top the list", () => {
    const board = new UsageBoard();
    board.report('s', report(1_000, { assets: [{ hash: 'a'.repeat(64), path: 'honest.jpg', peer: 1_000 }] }), 0);
    board.report(
      's',
      report(10, {
        assets: [
          { hash: 'b'.repeat(64), path: 'liar.jpg', peer: 1e12 },
          { hash: 'c'.repeat(64), path: 'liar2.jpg', peer: 1e12 },
        ],
      }),
      0,
    );
    const top = board.get('s')?.topAssets() ?? [];
    assert.equal(top[0]?.path, 'honest.jpg');
    assert.equal(top.find((t) => t.path === 'liar.jpg')?.peer, 10);
    assert.equal(
      top.find((t) => t.path === 'liar2.jpg'),
      undefined,
    );
  });
});

describe('review: metrics text and token', () => {
  it('a label value with quote, backslash and line feed round-trips through a Prometheus parser', () => {
    const value = 'a"b\\c\nd';
    const text = encodePrometheus([{ name: 'x_total', help: 'h\\\n', type: 'counter', samples: [{ labels: { swarm: value }, value: 1 }] }]);
    assert.equal(text.split('\n').length, 4, 'one HELP, one TYPE, one sample line, then the final newline');
    const parsed = parsePrometheusTextFormat(text);
    assert.equal(parsed[0]?.metrics[0]?.labels?.swarm, value);
  });

  it('an empty or missing token never matches', async () => {
    assert.equal(await tokenMatches('', 'abcdefghijklmnop1234'), false);
    assert.equal(await tokenMatches(null, 'abcdefghijklmnop1234'), false);
    assert.equal(await tokenMatches('abcdefghijklmnop1234', 'abcdefghijklmnop1234'), true);
  });

  it('POST /p2p bodies: a non-swarm key, an unknown mode, an array are refused', () => {
    assert.equal(decodeP2pModes({ 'a b': 'off' }).ok, false);
    assert.equal(decodeP2pModes({ '</script>': 'off' }).ok, false);
    assert.equal(decodeP2pModes({ x: 'OFF' }).ok, false);
    assert.equal(decodeP2pModes(['off']).ok, false);
  });
});

describe('review: only the server may switch a bridge', () => {
  it('a client cannot send p2p-mode through signaling, and a data-channel frame holding it is no frame', () => {
    assert.equal(decode({ type: 'p2p-mode', mode: 'off' }).ok, false);
    assert.equal(decodeFrame(new TextEncoder().encode('{"type":"p2p-mode","mode":"off"}')).ok, false);
  });
});

describe('review: a tampered upload-cap count in localStorage', () => {
  const day = Date.UTC(2026, 10, 30, 12);
  const storageWith = (raw: string) => {
    const map = new Map([['peer-connect:uploaded-today', raw]]);
    return { getItem: (k: string) => map.get(k) ?? null, setItem: (k: string, v: string) => void map.set(k, v) };
  };
  for (const raw of [
    '{"day":"2026-11-30","bytes":-1e15}',
    '{"day":"2026-11-30","bytes":"NaN"}',
    '{"day":"2026-11-30","bytes":null}',
    'not json',
    '[]',
  ]) {
    it(`stored ${raw}: this page view's own uploads still count toward the day's cap`, () => {
      const storage = storageWith(raw);
      const cap = new UploadCap(
        { perPageView: null, perDay: 1000 },
        () => storage,
        () => day,
      );
      assert.equal(cap.allows(1000), true);
      cap.charge(900);
      assert.equal(cap.allows(200), false, 'the cap let a tampered count undo what this page uploaded');
    });
  }
});
