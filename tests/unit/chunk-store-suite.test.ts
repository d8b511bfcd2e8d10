/**
 * abstract-chunk-store's own interface test suite (written for tape) run against IdbChunkStore on
 * fake-indexeddb, through a small tape-like adapter onto node:test.
 */
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { createStore } from 'idb-keyval';
import { IdbChunkStore } from '../../page-bridge/torrent-store/idb-chunk-store.ts';

/** The subset of tape's `t` the suite uses. */
interface TapeT {
  error(err: unknown): void;
  ok(value: unknown): void;
  equal(a: unknown, b: unknown): void;
  deepEqual(a: unknown, b: unknown): void;
  end(): void;
}
type TapeTest = (name: string, fn: (t: TapeT) => void) => void;
type Suite = (test: TapeTest, Store: new (chunkLength: number) => IdbChunkStore) => void;

const require = createRequire(import.meta.url);
// CommonJS without types; its shape is the two-argument function above.
const suite = require('abstract-chunk-store/tests') as Suite;

/** Bytes compared as bytes: the suite expects Buffers, the store returns Uint8Arrays. */
const bytes = (v: unknown): unknown => (v instanceof Uint8Array ? [...v] : v);

const tape: TapeTest = (name, fn) => {
  it(
    name,
    () =>
      new Promise<void>((resolve, reject) => {
        const t: TapeT = {
          error: (err) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : undefined),
          ok: (v) => assert.ok(v),
          equal: (a, b) => assert.equal(a, b),
          deepEqual: (a, b) => assert.deepEqual(bytes(a), bytes(b)),
          end: resolve,
        };
        try {
          fn(t);
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      }),
  );
};

let n = 0;
const db = createStore('chunk-suite', 'chunks');

/** `new Store(chunkLength)` as the suite calls it: each instance is a torrent of its own. */
class SuiteStore extends IdbChunkStore {
  constructor(chunkLength: number) {
    super(chunkLength, { idbStore: db, torrentId: `suite-${++n}` });
  }
}

describe('abstract-chunk-store suite', () => {
  suite(tape, SuiteStore);
});
