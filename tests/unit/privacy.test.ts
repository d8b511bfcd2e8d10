/**
 * Issue 11, the pure parts: the bridge config's `start` (protocol/bridge-config.ts), the worker's
 * `hello {p2p}` (protocol/bridge-messages.ts), and the visitor's opt-out and the start decision
 * (page-bridge/consent.ts) over an injected storage.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type KeyValueStorage, OPT_OUT_KEY, readOptOut, startDecision, writeOptOut } from '../../page-bridge/consent.ts';
import { decodeStartMode } from '../../protocol/bridge-config.ts';
import { decodeBridgeToWorker } from '../../protocol/bridge-messages.ts';
import { fail, ok } from '../../protocol/result.ts';

const BUILD = 'a'.repeat(20);

/** A Web Storage stand-in; `broken` makes every call throw, as a quota or a blocked storage does. */
class MapStorage implements KeyValueStorage {
  readonly map = new Map<string, string>();
  broken = false;
  getItem(key: string): string | null {
    if (this.broken) throw new Error('SecurityError');
    return this.map.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    if (this.broken) throw new Error('QuotaExceededError');
    this.map.set(key, value);
  }
  removeItem(key: string): void {
    if (this.broken) throw new Error('SecurityError');
    this.map.delete(key);
  }
}

describe('decodeStartMode (the bridge config)', () => {
  it('auto and manual as written; absent is auto, as every earlier build', () => {
    assert.deepEqual(decodeStartMode('auto'), ok('auto'));
    assert.deepEqual(decodeStartMode('manual'), ok('manual'));
    assert.deepEqual(decodeStartMode(undefined), ok('auto'));
  });

  it('anything else fails with its code, naming what it got', () => {
    for (const bad of ['Manual', 'on', '', null, true, 1, {}]) {
      const r = decodeStartMode(bad);
      assert.equal(r.ok, false, JSON.stringify(bad));
      if (!r.ok) {
        assert.equal(r.code, 'bad-start-mode');
        assert.match(r.error, /start must be one of auto, manual/);
      }
    }
  });
});

describe('hello {p2p} (bridge → worker)', () => {
  it('carries whether the bridge does P2P', () => {
    assert.deepEqual(decodeBridgeToWorker({ pc: 'hello', build: BUILD, p2p: false }), ok({ pc: 'hello', build: BUILD, p2p: false }));
    assert.deepEqual(decodeBridgeToWorker({ pc: 'hello', build: BUILD, p2p: true }), ok({ pc: 'hello', build: BUILD, p2p: true }));
  });

  it('a bridge from before the field does P2P', () => {
    assert.deepEqual(decodeBridgeToWorker({ pc: 'hello', build: BUILD }), ok({ pc: 'hello', build: BUILD, p2p: true }));
    assert.deepEqual(decodeBridgeToWorker({ pc: 'hello' }), ok({ pc: 'hello', build: null, p2p: true }));
  });

  it('a p2p that is not a boolean is refused', () => {
    assert.equal(decodeBridgeToWorker({ pc: 'hello', build: BUILD, p2p: 'no' }).ok, false);
  });
});

describe('the opt-out in storage', () => {
  it('stop() writes it, start() clears it, and a later page reads it', () => {
    const s = new MapStorage();
    assert.deepEqual(
      readOptOut(() => s),
      ok(false),
    );
    assert.deepEqual(
      writeOptOut(() => s, true, new Date('2026-01-02T03:04:05Z')),
      ok(undefined),
    );
    assert.equal(s.map.get(OPT_OUT_KEY), '2026-01-02T03:04:05.000Z');
    assert.deepEqual(
      readOptOut(() => s),
      ok(true),
    );
    assert.deepEqual(
      writeOptOut(() => s, false),
      ok(undefined),
    );
    assert.deepEqual(
      readOptOut(() => s),
      ok(false),
    );
    assert.equal(s.map.has(OPT_OUT_KEY), false);
  });

  it('any value under the key is an opt-out (a site may write it itself)', () => {
    const s = new MapStorage();
    s.map.set(OPT_OUT_KEY, '');
    assert.deepEqual(
      readOptOut(() => s),
      ok(true),
    );
  });

  it('a storage that cannot be reached or used fails with a code, never throws', () => {
    const blocked = (): KeyValueStorage => {
      throw new Error('SecurityError: access denied');
    };
    const none = (): KeyValueStorage | null => null;
    for (const getter of [blocked, none]) {
      const r = readOptOut(getter);
      assert.equal(!r.ok && r.code, 'storage-unavailable');
      const w = writeOptOut(getter, true);
      assert.equal(!w.ok && w.code, 'storage-unavailable');
    }
    const s = new MapStorage();
    s.broken = true;
    const r = readOptOut(() => s);
    assert.equal(!r.ok && r.code, 'storage-failed');
    const w = writeOptOut(() => s, true);
    assert.equal(!w.ok && w.code, 'storage-failed');
  });
});

describe('startDecision', () => {
  const unreadable = fail('blocked', 'storage-unavailable' as const);
  it('auto starts unless the visitor opted out', () => {
    assert.equal(startDecision(ok('auto'), ok(false)), 'start');
    assert.equal(startDecision(ok('auto'), ok(true)), 'opted-out');
  });

  it('manual waits for start(); an opt-out is reported as such', () => {
    assert.equal(startDecision(ok('manual'), ok(false)), 'wait');
    assert.equal(startDecision(ok('manual'), ok(true)), 'opted-out');
  });

  it('an opt-out it cannot read, or a start mode it cannot read, never starts by itself', () => {
    assert.equal(startDecision(ok('auto'), unreadable), 'wait');
    assert.equal(startDecision(decodeStartMode('sometimes'), ok(false)), 'wait');
  });
});
