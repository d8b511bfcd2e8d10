/**
 * The codecs at every boundary: signaling (WebSocket JSON), the peer wire (data-channel frames),
 * worker ↔ bridge messages, and the manifest. Valid messages round-trip; every malformed field is
 * an error value, never an exception.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILD_QUERY, bridgeBuildFromUrl } from '../../protocol/bridge-config.ts';
import { decodeBridgeReply, decodeWorkerFeedback, decodeWorkerToBridge } from '../../protocol/bridge-messages.ts';
import {
  MAX_HAVE_PER_MESSAGE,
  MAX_HP_PIECES,
  MAX_PARKED_OFFERS,
  MAX_PIECE_SIZE,
  MAX_SDP_CHARS,
  MAX_SIGNAL_MESSAGE_CHARS,
  MAX_WANT_EXCLUDE,
  MAX_WIRE_CONTROL_BYTES,
} from '../../protocol/limits.ts';
import { type Manifest, manifestKeyFor, validateManifest } from '../../protocol/manifest.ts';
import { decodeFrame, encodeControl, encodePiece, type WireControl } from '../../protocol/peer-wire.ts';
import type { Result } from '../../protocol/result.ts';
import {
  type ClientMessage,
  decodeClientMessage,
  decodeServerMessage,
  encodeMessage,
  type ParkedOffer,
  type ServerMessage,
} from '../../protocol/signal-messages.ts';

const HASH_A = 'a'.repeat(64);
const HASH_B = '0123456789abcdef'.repeat(4);
const PEER_A = 'peerAAAAAAAAAAAA_1';
const PEER_B = 'peer-BBBBBBBBBBBB-2';
const CONN = 'conn_0001';
const OFFER: ParkedOffer = { connId: CONN, sdp: { type: 'offer', sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' } };

function expectOk<T>(r: Result<T>): T {
  if (!r.ok) assert.fail(`expected ok, got error: ${r.error}`);
  return r.value;
}

function expectError<T>(r: Result<T>, pattern?: RegExp): string {
  if (r.ok) assert.fail(`expected an error, got ${JSON.stringify(r.value)}`);
  assert.equal(typeof r.error, 'string');
  assert.ok(r.error.length > 0);
  if (pattern) assert.match(r.error, pattern);
  return r.error;
}

const client = (m: unknown): Result<ClientMessage> => decodeClientMessage(JSON.stringify(m));
const server = (m: unknown): Result<ServerMessage> => decodeServerMessage(JSON.stringify(m));

describe('decodeClientMessage', () => {
  const valid: ClientMessage[] = [
    { type: 'join', swarm: 'example.com', peerId: PEER_A, have: [HASH_A, HASH_B], offers: [OFFER], introduce: 2 },
    { type: 'join', swarm: 'site:v1@host.example', peerId: PEER_A, have: [], offers: [], introduce: 0 },
    { type: 'have', have: [HASH_A] },
    { type: 'have', have: [] },
    { type: 'lost', have: [HASH_B] },
    { type: 'offers', offers: [OFFER, { ...OFFER, connId: 'conn_0002' }] },
    { type: 'want', hash: HASH_A, exclude: [PEER_B] },
    { type: 'want', hash: HASH_A, exclude: [] },
    { type: 'signal', to: PEER_B, connId: CONN, sdp: { type: 'answer', sdp: 'v=0' } },
    { type: 'signal', to: PEER_B, connId: CONN, sdp: { type: 'offer', sdp: 'v=0' } },
    { type: 'ping' },
  ];
  for (const m of valid) {
    it(`accepts and round-trips ${m.type} ${JSON.stringify(m).slice(0, 60)}`, () => {
      const decoded = expectOk(decodeClientMessage(encodeMessage(m)));
      assert.deepEqual(decoded, m);
      assert.equal(encodeMessage(decoded), encodeMessage(m));
    });
  }

  it('defaults missing join.have / join.offers / join.introduce and want.exclude', () => {
    assert.deepEqual(expectOk(client({ type: 'join', swarm: 's', peerId: PEER_A })), {
      type: 'join',
      swarm: 's',
      peerId: PEER_A,
      have: [],
      introduce: 0,
      offers: [],
    });
    assert.deepEqual(expectOk(client({ type: 'want', hash: HASH_A })), { type: 'want', hash: HASH_A, exclude: [] });
  });

  it('drops unknown extra fields (the decoded value has only known fields)', () => {
    const decoded = expectOk(client({ type: 'have', have: [HASH_A], evil: { x: 1 } }));
    assert.deepEqual(decoded, { type: 'have', have: [HASH_A] });
  });

  it('rejects text that is not JSON', () => {
    expectError(decodeClientMessage('{type: "ping"'), /JSON/);
    expectError(decodeClientMessage(''), /JSON/);
  });

  it('rejects JSON that is not an object with a type', () => {
    for (const text of ['null', '[]', '[{"type":"ping"}]', '"ping"', '42', 'true', '{}', '{"type":7}', '{"type":null}']) {
      expectError(decodeClientMessage(text));
    }
  });

  it('rejects an unknown type', () => {
    expectError(client({ type: 'pong' }), /unknown type/);
    expectError(client({ type: 'JOIN' }), /unknown type/);
    expectError(client({ type: '__proto__' }), /unknown type/);
  });

  it('rejects an oversized message before parsing it', () => {
    const filler = 'x'.repeat(MAX_SIGNAL_MESSAGE_CHARS);
    expectError(decodeClientMessage(JSON.stringify({ type: 'ping', filler })), /too-large/);
    // Not even valid JSON: size is checked first.
    expectError(decodeClientMessage(`{${filler}`), /too-large/);
    // Exactly at the limit is fine.
    const text = JSON.stringify({ type: 'ping', f: '' });
    const atLimit = JSON.stringify({ type: 'ping', f: 'x'.repeat(MAX_SIGNAL_MESSAGE_CHARS - text.length) });
    assert.equal(atLimit.length, MAX_SIGNAL_MESSAGE_CHARS);
    expectOk(decodeClientMessage(atLimit));
  });

  describe('join', () => {
    const join = { type: 'join', swarm: 'example.com', peerId: PEER_A, have: [HASH_A], offers: [OFFER] };
    it('rejects a bad swarm id', () => {
      for (const swarm of ['', 'a b', 'x'.repeat(129), 'a/b', 42, null, undefined, ['s']]) {
        expectError(client({ ...join, swarm }), /swarm/);
      }
    });
    it('rejects a bad peer id', () => {
      for (const peerId of ['short', 'x'.repeat(65), 'has space in it!!!', 'abcdefghijklmnop.', 1234567890123456, null, {}]) {
        expectError(client({ ...join, peerId }), /peerId/);
      }
    });
    it('rejects bad hashes in have', () => {
      for (const h of ['A'.repeat(64), 'a'.repeat(63), 'a'.repeat(65), 'g'.repeat(64), '', 7, null]) {
        expectError(client({ ...join, have: [HASH_A, h] }), /hash/);
      }
    });
    it('rejects have that is not an array', () => {
      // (null counts as absent for this optional field: `?? []`)
      for (const have of [HASH_A, { 0: HASH_A }, 1, true]) expectError(client({ ...join, have }), /have/);
    });
    it(`accepts ${MAX_HAVE_PER_MESSAGE} hashes, rejects one more`, () => {
      const many = Array.from({ length: MAX_HAVE_PER_MESSAGE }, () => HASH_A);
      expectOk(client({ ...join, have: many }));
      expectError(client({ ...join, have: [...many, HASH_B] }), /more than/);
    });
    it(`accepts ${MAX_PARKED_OFFERS} offers, rejects one more`, () => {
      const offers = Array.from({ length: MAX_PARKED_OFFERS }, (_, i) => ({ ...OFFER, connId: `conn_000${i}` }));
      expectOk(client({ ...join, offers }));
      expectError(client({ ...join, offers: [...offers, OFFER] }), /offers/);
    });
    it('rejects bad offers', () => {
      const bad: unknown[] = [
        null,
        [],
        'offer',
        { connId: 'short', sdp: OFFER.sdp },
        { connId: CONN },
        { connId: CONN, sdp: null },
        { connId: CONN, sdp: [] },
        { connId: CONN, sdp: { type: 'answer', sdp: 'v=0' } },
        { connId: CONN, sdp: { type: 'pranswer', sdp: 'v=0' } },
        { connId: CONN, sdp: { type: 'offer', sdp: '' } },
        { connId: CONN, sdp: { type: 'offer', sdp: 42 } },
      ];
      for (const o of bad) expectError(client({ ...join, offers: [o] }), /offers|sdp/);
      expectError(client({ ...join, offers: OFFER }), /offers/);
    });
    it('rejects an oversized SDP, accepts one at the limit', () => {
      const at = { connId: CONN, sdp: { type: 'offer', sdp: 's'.repeat(MAX_SDP_CHARS) } };
      expectOk(client({ ...join, offers: [at] }));
      const over = { connId: CONN, sdp: { type: 'offer', sdp: 's'.repeat(MAX_SDP_CHARS + 1) } };
      expectError(client({ ...join, offers: [over] }), /sdp/);
    });
  });

  describe('have / lost / offers', () => {
    it('rejects a missing or non-array have', () => {
      for (const type of ['have', 'lost']) {
        expectError(client({ type }), /have/);
        expectError(client({ type, have: null }), /have/);
        expectError(client({ type, have: { length: 1, 0: HASH_A } }), /have/);
        expectError(client({ type, have: ['nothex'] }), /hash/);
        expectError(client({ type, have: Array.from({ length: MAX_HAVE_PER_MESSAGE + 1 }, () => HASH_A) }), /more than/);
      }
    });
    it('rejects missing, non-array or too many offers', () => {
      expectError(client({ type: 'offers' }), /offers/);
      expectError(client({ type: 'offers', offers: null }), /offers/);
      expectError(client({ type: 'offers', offers: OFFER }), /offers/);
      expectError(client({ type: 'offers', offers: Array.from({ length: MAX_PARKED_OFFERS + 1 }, () => OFFER) }), /offers/);
    });
  });

  describe('want', () => {
    it('rejects a bad hash', () => {
      for (const hash of [undefined, null, 'x', HASH_A.toUpperCase(), [HASH_A]]) expectError(client({ type: 'want', hash }), /want/);
    });
    it('rejects a bad exclude list', () => {
      expectError(client({ type: 'want', hash: HASH_A, exclude: PEER_A }), /exclude/);
      expectError(client({ type: 'want', hash: HASH_A, exclude: { 0: PEER_A } }), /exclude/);
      expectError(client({ type: 'want', hash: HASH_A, exclude: ['bad id'] }), /exclude/);
      expectError(client({ type: 'want', hash: HASH_A, exclude: Array.from({ length: MAX_WANT_EXCLUDE + 1 }, () => PEER_A) }), /exclude/);
      expectOk(client({ type: 'want', hash: HASH_A, exclude: Array.from({ length: MAX_WANT_EXCLUDE }, () => PEER_A) }));
    });
  });

  describe('signal', () => {
    const signal = { type: 'signal', to: PEER_B, connId: CONN, sdp: { type: 'answer', sdp: 'v=0' } };
    it('rejects a bad recipient, connId or sdp', () => {
      expectError(client({ ...signal, to: 'x' }), /to/);
      expectError(client({ ...signal, to: undefined }), /to/);
      expectError(client({ ...signal, connId: 'c' }), /connId/);
      expectError(client({ ...signal, connId: 'x'.repeat(65) }), /connId/);
      expectError(client({ ...signal, sdp: 'v=0' }), /sdp/);
      expectError(client({ ...signal, sdp: null }), /sdp/);
      expectError(client({ ...signal, sdp: [] }), /sdp/);
      expectError(client({ ...signal, sdp: { type: 'rollback', sdp: 'v=0' } }), /sdp/);
      expectError(client({ ...signal, sdp: { type: 'answer', sdp: 'x'.repeat(MAX_SDP_CHARS + 1) } }), /sdp/);
    });
  });
});

describe('decodeServerMessage', () => {
  const valid: ServerMessage[] = [
    { type: 'joined', peerId: PEER_A, swarmSize: 3, peers: [] },
    { type: 'joined', peerId: PEER_A, swarmSize: 3, peers: [{ peerId: PEER_B, offer: OFFER }] },
    { type: 'peers', hash: HASH_A, peers: [{ peerId: PEER_A, offer: OFFER }, { peerId: PEER_B }] },
    { type: 'peers', hash: HASH_A, peers: [] },
    { type: 'signal', from: PEER_B, connId: CONN, sdp: { type: 'answer', sdp: 'v=0' } },
    { type: 'offer-used', connId: CONN, by: PEER_B },
    { type: 'pong' },
    { type: 'error', code: 'swarm-full', message: 'swarm is full' },
  ];
  for (const m of valid) {
    it(`accepts and round-trips ${m.type} ${JSON.stringify(m).slice(0, 60)}`, () => {
      const decoded = expectOk(decodeServerMessage(encodeMessage(m)));
      assert.deepEqual(decoded, m);
      assert.equal(encodeMessage(decoded), encodeMessage(m));
    });
  }

  it('does not accept client messages as server messages, and vice versa', () => {
    expectError(server({ type: 'ping' }), /unknown type/);
    expectError(server({ type: 'join', swarm: 's', peerId: PEER_A }), /unknown type/);
    expectError(client({ type: 'joined', peerId: PEER_A, swarmSize: 1 }), /unknown type/);
  });

  it('rejects not JSON, non-objects and an unknown type', () => {
    expectError(decodeServerMessage('not json'), /JSON/);
    for (const text of ['null', '[]', '[{"type":"pong"}]', '1', '{}']) expectError(decodeServerMessage(text));
    expectError(server({ type: 'hello' }), /unknown type/);
  });

  it('rejects an oversized message', () => {
    const big = JSON.stringify({ type: 'pong', filler: 'x'.repeat(MAX_SIGNAL_MESSAGE_CHARS * 4) });
    expectError(decodeServerMessage(big), /too-large/);
  });

  it('rejects bad joined fields', () => {
    expectError(server({ type: 'joined', peerId: 'x', swarmSize: 1 }), /joined/);
    expectError(server({ type: 'joined', peerId: PEER_A, swarmSize: '1' }), /joined/);
    expectError(server({ type: 'joined', peerId: PEER_A }), /joined/);
  });

  it('rejects bad peers fields', () => {
    expectError(server({ type: 'peers', hash: 'x', peers: [] }), /peers/);
    expectError(server({ type: 'peers', hash: HASH_A, peers: null }), /peers/);
    expectError(server({ type: 'peers', hash: HASH_A, peers: { peerId: PEER_A } }), /peers/);
    expectError(server({ type: 'peers', hash: HASH_A, peers: [null] }), /peer/);
    expectError(server({ type: 'peers', hash: HASH_A, peers: [[PEER_A]] }), /peer/);
    expectError(server({ type: 'peers', hash: HASH_A, peers: [{ peerId: 'short' }] }), /peer/);
    expectError(server({ type: 'peers', hash: HASH_A, peers: [{ peerId: PEER_A, offer: null }] }), /offer/);
    expectError(
      server({ type: 'peers', hash: HASH_A, peers: [{ peerId: PEER_A, offer: { connId: CONN, sdp: { type: 'answer', sdp: 'v=0' } } }] }),
      /offer/,
    );
    expectError(
      server({
        type: 'peers',
        hash: HASH_A,
        peers: [{ peerId: PEER_A, offer: { connId: CONN, sdp: { type: 'offer', sdp: 'x'.repeat(MAX_SDP_CHARS + 1) } } }],
      }),
      /offer/,
    );
  });

  it('rejects bad signal / offer-used / error fields', () => {
    expectError(server({ type: 'signal', from: 'x', connId: CONN, sdp: { type: 'answer', sdp: 'v=0' } }), /signal/);
    expectError(server({ type: 'signal', from: PEER_A, connId: 'x', sdp: { type: 'answer', sdp: 'v=0' } }), /signal/);
    expectError(server({ type: 'signal', from: PEER_A, connId: CONN, sdp: null }), /sdp/);
    expectError(server({ type: 'offer-used', connId: CONN, by: 'x' }), /offer-used/);
    expectError(server({ type: 'offer-used', connId: null, by: PEER_A }), /offer-used/);
    expectError(server({ type: 'error', code: 1, message: 'm' }), /error/);
    expectError(server({ type: 'error', code: 'idle' }), /error/);
  });
});

describe('peer wire', () => {
  const controls: WireControl[] = [
    { t: 'have', have: [HASH_A, HASH_B] },
    { t: 'have', have: [] },
    { t: 'lost', have: [HASH_B] },
    { t: 'lost', have: [] },
    { t: 'hp', hash: HASH_A, pieces: [0, 5, 11] },
    { t: 'hp', hash: HASH_B, pieces: [] },
    { t: 'req', id: 0, hash: HASH_A, piece: 0 },
    { t: 'req', id: 0xffffffff, hash: HASH_B, piece: 123456 },
    { t: 'nak', id: 7, reason: 'busy' },
    { t: 'cancel', id: 42 },
  ];
  for (const c of controls) {
    it(`control ${c.t} round-trips through decodeFrame`, () => {
      const frame = encodeControl(c);
      assert.equal(frame[0], 0x01);
      assert.deepEqual(expectOk(decodeFrame(frame)), { kind: 'control', message: c });
    });
  }

  it('piece frames round-trip (id and bytes), including empty and max-size pieces', () => {
    for (const [id, len] of [
      [0, 0],
      [1, 1],
      [0xdeadbeef, 1000],
      [0xffffffff, MAX_PIECE_SIZE],
    ] as const) {
      const data = new Uint8Array(len);
      for (let i = 0; i < len; i++) data[i] = (i * 31 + 7) & 0xff;
      const frame = encodePiece(id, data);
      assert.equal(frame[0], 0x02);
      assert.equal(frame.length, len + 5);
      const decoded = expectOk(decodeFrame(frame));
      assert.equal(decoded.kind, 'piece');
      if (decoded.kind !== 'piece') return;
      assert.equal(decoded.id, id);
      assert.deepEqual(decoded.data, data);
    }
  });

  it('decodes a piece frame that is a view into a larger buffer (byteOffset ≠ 0)', () => {
    const frame = encodePiece(0x01020304, new Uint8Array([9, 8, 7]));
    const big = new Uint8Array(frame.length + 10);
    big.set(frame, 6);
    const decoded = expectOk(decodeFrame(big.subarray(6, 6 + frame.length)));
    assert.deepEqual(decoded.kind === 'piece' ? [decoded.id, [...decoded.data]] : null, [0x01020304, [9, 8, 7]]);
  });

  it('rejects an empty frame', () => {
    expectError(decodeFrame(new Uint8Array(0)), /empty/);
  });
  it('rejects an unknown frame kind', () => {
    for (const kind of [0x00, 0x03, 0x7b, 0xff]) expectError(decodeFrame(new Uint8Array([kind, 1, 2, 3, 4, 5])), /unknown frame kind/);
  });
  it('rejects a short piece header', () => {
    for (let n = 1; n < 5; n++) {
      const f = new Uint8Array(n);
      f[0] = 0x02;
      expectError(decodeFrame(f), /short header/);
    }
  });
  it('rejects an oversized piece', () => {
    expectError(decodeFrame(encodePiece(1, new Uint8Array(MAX_PIECE_SIZE + 1))), /too large/);
  });
  it('rejects an oversized control message', () => {
    const f = new Uint8Array(MAX_WIRE_CONTROL_BYTES + 2).fill(0x20);
    f[0] = 0x01;
    expectError(decodeFrame(f), /too large/);
  });
  it('rejects invalid UTF-8 in a control message', () => {
    expectError(decodeFrame(new Uint8Array([0x01, 0x7b, 0xff, 0xfe, 0x7d])), /UTF-8/);
    expectError(decodeFrame(new Uint8Array([0x01, 0xc3])), /UTF-8/);
  });
  it('rejects a control message that is not JSON or not an object', () => {
    const enc = (s: string): Uint8Array => new Uint8Array([0x01, ...new TextEncoder().encode(s)]);
    expectError(decodeFrame(enc('{t:')), /JSON/);
    expectError(decodeFrame(new Uint8Array([0x01])), /JSON/);
    expectError(decodeFrame(enc('null')), /not an object/);
    expectError(decodeFrame(enc('[{"t":"cancel","id":1}]')), /not an object/);
    expectError(decodeFrame(enc('{"t":"bogus"}')), /unknown t/);
  });
  it('rejects bad control fields', () => {
    const bad: unknown[] = [
      { t: 'have', have: 'x' },
      { t: 'have', have: ['nothex'] },
      { t: 'have', have: Array.from({ length: MAX_HAVE_PER_MESSAGE + 1 }, () => HASH_A) },
      { t: 'lost' },
      { t: 'lost', have: HASH_A },
      { t: 'lost', have: [HASH_A, 'nothex'] },
      { t: 'lost', have: Array.from({ length: MAX_HAVE_PER_MESSAGE + 1 }, () => HASH_A) },
      { t: 'hp', hash: 'x', pieces: [0] },
      { t: 'hp', hash: HASH_A },
      { t: 'hp', hash: HASH_A, pieces: [-1] },
      { t: 'hp', hash: HASH_A, pieces: [1.5] },
      { t: 'hp', hash: HASH_A, pieces: ['1'] },
      { t: 'hp', hash: HASH_A, pieces: Array.from({ length: MAX_HP_PIECES + 1 }, (_, i) => i) },
      { t: 'req', id: -1, hash: HASH_A, piece: 0 },
      { t: 'req', id: 1.5, hash: HASH_A, piece: 0 },
      { t: 'req', id: 0x100000000, hash: HASH_A, piece: 0 },
      { t: 'req', id: '1', hash: HASH_A, piece: 0 },
      { t: 'req', id: 1, hash: 'x', piece: 0 },
      { t: 'req', id: 1, hash: HASH_A, piece: -1 },
      { t: 'req', id: 1, hash: HASH_A, piece: 0.5 },
      { t: 'req', id: 1, hash: HASH_A },
      { t: 'nak', id: 1 },
      { t: 'nak', id: null, reason: 'r' },
      { t: 'cancel' },
      { t: 'cancel', id: -3 },
    ];
    for (const m of bad) {
      const frame = new Uint8Array([0x01, ...new TextEncoder().encode(JSON.stringify(m))]);
      expectError(decodeFrame(frame));
    }
  });
  it('truncates a long nak reason', () => {
    const frame = encodeControl({ t: 'nak', id: 1, reason: 'r'.repeat(1000) });
    const decoded = expectOk(decodeFrame(frame));
    assert.ok(decoded.kind === 'control' && decoded.message.t === 'nak' && decoded.message.reason.length === 200);
  });
});

describe('bridge messages', () => {
  it('decodeWorkerToBridge accepts valid messages', () => {
    const fetch = { pc: 'fetch', hash: HASH_A, size: 100, pieces: [0, 1] };
    assert.deepEqual(expectOk(decodeWorkerToBridge(fetch)), fetch);
    assert.deepEqual(expectOk(decodeWorkerToBridge({ pc: 'stored', hash: HASH_B })), { pc: 'stored', hash: HASH_B });
    assert.deepEqual(expectOk(decodeWorkerToBridge({ pc: 'lost', hashes: [HASH_A, HASH_B] })), { pc: 'lost', hashes: [HASH_A, HASH_B] });
    assert.deepEqual(expectOk(decodeWorkerToBridge({ pc: 'lost', hashes: [] })), { pc: 'lost', hashes: [] });
    const served = { pc: 'served', path: 'img/a.jpg', hash: HASH_A, bytes: { peer: 1, origin: 2, cache: 3 }, ms: 12.5, status: 206 };
    assert.deepEqual(expectOk(decodeWorkerToBridge(served)), served);
  });
  it('decodeWorkerToBridge rejects bad messages', () => {
    const bad: unknown[] = [
      null,
      [],
      'fetch',
      { pc: 'nope' },
      { pc: 'fetch', hash: 'x', size: 1, pieces: [] },
      { pc: 'fetch', hash: HASH_A, size: -1, pieces: [] },
      { pc: 'fetch', hash: HASH_A, size: 1.5, pieces: [] },
      { pc: 'fetch', hash: HASH_A, size: 1, pieces: null },
      { pc: 'fetch', hash: HASH_A, size: 1, pieces: [0, -1] },
      { pc: 'fetch', hash: HASH_A, size: 1, pieces: ['0'] },
      { pc: 'stored', hash: 'x' },
      { pc: 'lost' },
      { pc: 'lost', hashes: HASH_A },
      { pc: 'lost', hashes: [HASH_A, 'x'] },
      { pc: 'lost', hashes: [HASH_A.toUpperCase()] },
      { pc: 'lost', hashes: [null] },
      { pc: 'served', path: 1, hash: HASH_A, bytes: { peer: 0, origin: 0, cache: 0 }, ms: 1, status: 200 },
      { pc: 'served', path: 'p', hash: HASH_A, bytes: null, ms: 1, status: 200 },
      { pc: 'served', path: 'p', hash: HASH_A, bytes: [], ms: 1, status: 200 },
      { pc: 'served', path: 'p', hash: HASH_A, bytes: { peer: -1, origin: 0, cache: 0 }, ms: 1, status: 200 },
      { pc: 'served', path: 'p', hash: HASH_A, bytes: { peer: 0, origin: 0 }, ms: 1, status: 200 },
      { pc: 'served', path: 'p', hash: HASH_A, bytes: { peer: 0, origin: 0, cache: 0 }, ms: '1', status: 200 },
      { pc: 'served', path: 'p', hash: HASH_A, bytes: { peer: 0, origin: 0, cache: 0 }, ms: 1, status: 2.5 },
    ];
    for (const m of bad) expectError(decodeWorkerToBridge(m));
  });
  it('decodeBridgeReply accepts valid replies', () => {
    const data = new ArrayBuffer(8);
    assert.deepEqual(expectOk(decodeBridgeReply({ pc: 'accepted', peers: 2 })), { pc: 'accepted', peers: 2 });
    assert.deepEqual(expectOk(decodeBridgeReply({ pc: 'accepted', peers: 2, rank: 7 })), { pc: 'accepted', peers: 2, rank: 7 });
    assert.deepEqual(expectOk(decodeBridgeReply({ pc: 'no-peers', reason: 'none' })), { pc: 'no-peers', reason: 'none' });
    const piece = expectOk(decodeBridgeReply({ pc: 'piece', index: 3, data, peerId: PEER_A }));
    assert.ok(piece.pc === 'piece' && piece.data === data && piece.index === 3 && piece.peerId === PEER_A);
    assert.deepEqual(expectOk(decodeBridgeReply({ pc: 'piece-failed', index: 0, reason: 'nak' })), {
      pc: 'piece-failed',
      index: 0,
      reason: 'nak',
    });
  });
  it('decodeBridgeReply bounds free-text reasons', () => {
    const r = expectOk(decodeBridgeReply({ pc: 'no-peers', reason: 'x'.repeat(1000) }));
    assert.ok(r.pc === 'no-peers' && r.reason.length === 200);
  });
  it('decodeBridgeReply rejects bad replies', () => {
    const bad: unknown[] = [
      null,
      [],
      42,
      { pc: 'bogus' },
      { pc: 'accepted' },
      { pc: 'accepted', peers: -1 },
      { pc: 'accepted', peers: 1, rank: -1 },
      { pc: 'accepted', peers: 1, rank: 1.5 },
      { pc: 'accepted', peers: 1, rank: '9' },
      { pc: 'piece', index: -1, data: new ArrayBuffer(1), peerId: PEER_A },
      { pc: 'piece', index: 0, data: new Uint8Array(1), peerId: PEER_A },
      { pc: 'piece', index: 0, data: [1, 2], peerId: PEER_A },
      { pc: 'piece', index: 0, data: new ArrayBuffer(1) },
      { pc: 'piece-failed', index: 'x' },
    ];
    for (const m of bad) expectError(decodeBridgeReply(m));
  });
  it('decodeWorkerFeedback', () => {
    assert.deepEqual(expectOk(decodeWorkerFeedback({ pc: 'cancel' })), { pc: 'cancel' });
    assert.deepEqual(expectOk(decodeWorkerFeedback({ pc: 'bad-piece', index: 2, peerId: PEER_A })), {
      pc: 'bad-piece',
      index: 2,
      peerId: PEER_A,
    });
    for (const m of [null, [], { pc: 'bad-piece', index: -1, peerId: PEER_A }, { pc: 'bad-piece', index: 1 }, { pc: 'x' }]) {
      expectError(decodeWorkerFeedback(m));
    }
  });
});

describe('validateManifest', () => {
  const pieceSize = 1024;
  const good = (): Manifest => ({
    version: 2,
    pieceSize,
    build: '0123456789abcdef0123',
    builtAt: '2024-01-01T00:00:00.000Z',
    assets: {
      'img/café terrace.jpg': { hash: HASH_A, size: 2 * pieceSize + 1, type: 'image/jpeg', piecesRoot: HASH_B },
      'empty.txt': { hash: HASH_B, size: 0, type: 'text/plain' },
      'exact.bin': { hash: HASH_B, size: pieceSize, type: 'application/octet-stream' },
    },
  });
  it('accepts a valid manifest', () => {
    const m = good();
    assert.deepEqual(expectOk(validateManifest(m)), m);
  });
  it('rejects a non-object or wrong version', () => {
    expectError(validateManifest(null));
    expectError(validateManifest([]));
    expectError(validateManifest({ ...good(), version: 3 }), /version/);
    // Version 1 inlined every piece hash in the worker; it is refused, not half-read.
    expectError(validateManifest({ ...good(), version: 1 }), /version/);
  });
  it('rejects a bad pieceSize or builtAt or assets', () => {
    for (const p of [0, 1023, MAX_PIECE_SIZE + 1, 1024.5, '1024']) expectError(validateManifest({ ...good(), pieceSize: p }), /pieceSize/);
    expectError(validateManifest({ ...good(), builtAt: 1 }), /builtAt/);
    for (const b of [undefined, 1, '', 'abc', '0123456789ABCDEF', '0123456789abcdeg', 'f'.repeat(15), 'f'.repeat(65)]) {
      expectError(validateManifest({ ...good(), build: b }), /bad build/);
    }
    for (const b of ['f'.repeat(16), 'f'.repeat(20), 'f'.repeat(64)]) assert.ok(validateManifest({ ...good(), build: b }).ok, b);
    expectError(validateManifest({ ...good(), assets: [] }), /assets/);
    expectError(validateManifest({ ...good(), assets: null }), /assets/);
  });
  it('wants a piecesRoot exactly on assets of more than one piece', () => {
    const m = good();
    delete m.assets['img/café terrace.jpg']!.piecesRoot;
    expectError(validateManifest(m), /bad piecesRoot/);
    const m2 = good();
    m2.assets['empty.txt']!.piecesRoot = HASH_A;
    expectError(validateManifest(m2), /piecesRoot on an asset of one piece/);
    const m3 = good();
    m3.assets['exact.bin']!.piecesRoot = HASH_A;
    expectError(validateManifest(m3), /piecesRoot on an asset of one piece/);
    const m4 = good();
    m4.assets['exact.bin']!.size = pieceSize + 1; // two pieces now, and no root
    expectError(validateManifest(m4), /bad piecesRoot/);
  });
  it('refuses inline piece hashes (version 1 assets)', () => {
    const m = good();
    (m.assets['exact.bin'] as unknown as Record<string, unknown>).pieces = [HASH_B];
    expectError(validateManifest(m), /inline piece hashes/);
  });
  it('rejects a bad whole-file or piece hash', () => {
    const m = good();
    m.assets['exact.bin']!.hash = 'A'.repeat(64);
    expectError(validateManifest(m), /bad hash/);
    for (const root of ['zz', HASH_A.toUpperCase(), 1]) {
      const m2 = good();
      (m2.assets['img/café terrace.jpg'] as unknown as Record<string, unknown>).piecesRoot = root;
      expectError(validateManifest(m2), /bad piecesRoot/);
    }
  });
  it('rejects a bad size or type', () => {
    const m = good();
    (m.assets['exact.bin'] as unknown as Record<string, unknown>).size = -1;
    expectError(validateManifest(m), /size/);
    const m2 = good();
    m2.assets['exact.bin']!.type = '';
    expectError(validateManifest(m2), /type/);
  });
  it('rejects dot segments, absolute and empty paths', () => {
    for (const path of ['../secret', 'img/../../x', './a', 'a/./b', '/abs', '', 'a//b', 'dir/']) {
      const m = good();
      m.assets[path] = { hash: HASH_A, size: 0, type: 'text/plain' };
      expectError(validateManifest(m), /bad path/);
    }
  });
});

describe('bridgeBuildFromUrl', () => {
  const id = '0123456789abcdef0123';
  it('reads the build id from the bridge script URL, relative or absolute', () => {
    assert.equal(BUILD_QUERY, 'v');
    assert.equal(bridgeBuildFromUrl(`peer-connect.js?v=${id}`), id);
    assert.equal(bridgeBuildFromUrl(`../../peer-connect.js?v=${id}`), id);
    assert.equal(bridgeBuildFromUrl(`https://example.com/blog/peer-connect.js?x=1&v=${id}#top`), id);
  });
  it('null without a well-formed id', () => {
    for (const src of [
      'peer-connect.js',
      'peer-connect.js?v=',
      'peer-connect.js?v=XYZ',
      `peer-connect.js?w=${id}`,
      `peer-connect.js?v=${id.toUpperCase()}`,
      'http://[bad',
    ]) {
      assert.equal(bridgeBuildFromUrl(src), null, src);
    }
  });
});

describe('manifestKeyFor', () => {
  const scope = 'https://example.com/site/';
  it('strips the scope prefix', () => {
    assert.equal(manifestKeyFor('https://example.com/site/img/a.jpg', scope), 'img/a.jpg');
    assert.equal(manifestKeyFor('https://example.com/img/a.jpg', 'https://example.com/'), 'img/a.jpg');
  });
  it('another origin → null', () => {
    assert.equal(manifestKeyFor('https://evil.example/site/img/a.jpg', scope), null);
    assert.equal(manifestKeyFor('http://example.com/site/img/a.jpg', scope), null);
    assert.equal(manifestKeyFor('https://example.com:8443/site/img/a.jpg', scope), null);
  });
  it('outside the scope → null', () => {
    assert.equal(manifestKeyFor('https://example.com/other/img/a.jpg', scope), null);
    assert.equal(manifestKeyFor('https://example.com/sitex/img/a.jpg', scope), null);
  });
  it('a query string → null; a fragment is ignored', () => {
    assert.equal(manifestKeyFor('https://example.com/site/img/a.jpg?v=2', scope), null);
    assert.equal(manifestKeyFor('https://example.com/site/img/a.jpg#x', scope), 'img/a.jpg');
  });
  it('decodes percent-encoded unicode and spaces', () => {
    assert.equal(manifestKeyFor('https://example.com/site/img/caf%C3%A9%20terrace.jpg', scope), 'img/café terrace.jpg');
    // A raw (unencoded) URL is encoded by the URL parser, then decoded back.
    assert.equal(manifestKeyFor('https://example.com/site/img/café terrace.jpg', scope), 'img/café terrace.jpg');
    assert.equal(manifestKeyFor('https://example.com/site/%E6%97%A5%E6%9C%AC.png', scope), '日本.png');
  });
  it('bad percent-encoding → null', () => {
    assert.equal(manifestKeyFor('https://example.com/site/img/%E0%A4%A.jpg', scope), null);
    assert.equal(manifestKeyFor('https://example.com/site/img/%C3.jpg', scope), null);
    assert.equal(manifestKeyFor('https://example.com/site/img/%FF.jpg', scope), null);
  });
});
