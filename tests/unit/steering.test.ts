/**
 * Issue 15 in the bridge, without a browser: what a page view reports (deltas, resets, a report
 * that could not go out), the visitor's upload cap (per page view, per day in storage), and the
 * upload gate the site's mode and cap close.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseUploadCap } from '../../builder/option-values.ts';
import { UPLOADED_TODAY_KEY, UploadCap } from '../../page-bridge/steering/upload-cap.ts';
import { type ReportCounters, UsageReporter } from '../../page-bridge/steering/usage-reporter.ts';
import { UploadLedger } from '../../page-bridge/upload-budget.ts';
import { decodeClientMessage } from '../../protocol/signal-messages.ts';
import type { UsageReport } from '../../protocol/usage-report.ts';
import { FakeClock } from './support/fake-clock.ts';

const zero: ReportCounters = { peer: 0, origin: 0, cache: 0, webSeed: 0, uploaded: 0, failures: 0, badPieces: 0, bans: 0 };

describe('usage reporter', () => {
  it('reports growth since the last report that went out, and nothing when nothing grew', () => {
    let counters = { ...zero };
    const sent: UsageReport[] = [];
    let online = true;
    const reporter = new UsageReporter(
      () => counters,
      (r) => online && sent.push(r) > 0,
    );
    assert.equal(reporter.flush(), false, 'nothing grew');
    counters = { ...counters, peer: 65536, origin: 1000 };
    reporter.served('a'.repeat(64), 'img/a.jpg', 65536);
    assert.equal(reporter.flush(), true);
    assert.deepEqual(sent[0]?.bytes, { peer: 65536, origin: 1000, cache: 0, webSeed: 0, uploaded: 0 });
    assert.deepEqual(sent[0]?.assets, [{ hash: 'a'.repeat(64), path: 'img/a.jpg', peer: 65536 }]);
    online = false;
    counters = { ...counters, peer: 65536 * 3 };
    assert.equal(reporter.flush(), false, 'signaling down');
    online = true;
    counters = { ...counters, peer: 65536 * 4, uploaded: 10 };
    assert.equal(reporter.flush(), true);
    assert.equal(sent[1]?.bytes.peer, 65536 * 3, 'the unsent growth is carried in the next report');
    assert.deepEqual(sent[1]?.assets, []);
    // Every report the bridge makes is one the server's decoder takes.
    for (const r of sent) assert.ok(decodeClientMessage(JSON.stringify(r)).ok);
  });

  it('a counter that went down (a new session) counts from zero again, never negative', () => {
    let counters = { ...zero, webSeed: 500, uploaded: 700 };
    const sent: UsageReport[] = [];
    const reporter = new UsageReporter(
      () => counters,
      (r) => sent.push(r) > 0,
    );
    reporter.flush();
    counters = { ...zero, webSeed: 100, uploaded: 800 };
    reporter.flush();
    assert.deepEqual(sent[1]?.bytes, { peer: 0, origin: 0, cache: 0, webSeed: 100, uploaded: 100 });
  });

  it('names at most REPORT_MAX_ASSETS assets, the largest, and skips a path the server would refuse', () => {
    const counters = { ...zero, peer: 1 };
    const sent: UsageReport[] = [];
    const reporter = new UsageReporter(
      () => counters,
      (r) => sent.push(r) > 0,
    );
    for (let i = 0; i < 40; i++) reporter.served(i.toString(16).padStart(64, '0'), `a${i}`, 1000 + i);
    reporter.served('f'.repeat(64), 'bad\npath', 1_000_000);
    reporter.flush();
    assert.equal(sent[0]?.assets.length, 16);
    assert.equal(sent[0]?.assets[0]?.path, 'a39');
    assert.ok(decodeClientMessage(JSON.stringify(sent[0])).ok);
  });
});

class MemoryStorage {
  readonly items = new Map<string, string>();
  getItem(key: string): string | null {
    return this.items.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.items.set(key, value);
  }
}

describe('upload cap', () => {
  it('stops a page view at its per-page-view cap', () => {
    const cap = new UploadCap({ perPageView: 200_000, perDay: null }, () => new MemoryStorage());
    assert.equal(cap.allows(65536), true);
    cap.charge(65536);
    cap.charge(65536);
    cap.charge(65536);
    assert.equal(cap.allows(65536), false);
    assert.equal(cap.allows(0), true);
  });

  it('counts the day across page views in storage, and starts again the next day (UTC)', () => {
    const storage = new MemoryStorage();
    let now = Date.UTC(2026, 10, 30, 23, 0);
    const perDay = 3 * 65536;
    const first = new UploadCap(
      { perPageView: null, perDay },
      () => storage,
      () => now,
    );
    first.charge(2 * 65536);
    const second = new UploadCap(
      { perPageView: null, perDay },
      () => storage,
      () => now,
    );
    assert.equal(second.allows(65536), true);
    second.charge(65536);
    assert.equal(second.allows(1), false, 'the day is spent');
    assert.equal(first.allows(1), false, 'in every page view');
    assert.match(storage.getItem(UPLOADED_TODAY_KEY) ?? '', /"day":"2026-11-30","bytes":196608/);
    now += 2 * 3600_000;
    assert.equal(second.allows(65536), true, 'a new day');
  });

  it('a storage that throws leaves the page view its own count', () => {
    const cap = new UploadCap({ perPageView: null, perDay: 65536 }, () => {
      throw new Error('SecurityError');
    });
    cap.charge(65536);
    assert.equal(cap.allows(1), false);
  });

  it('--upload-cap reads <per page view>/<per day>, either side empty', () => {
    assert.deepEqual(parseUploadCap('50MiB/500MiB'), { perPageView: 50 * 2 ** 20, perDay: 500 * 2 ** 20 });
    assert.deepEqual(parseUploadCap('/1GiB'), { perPageView: null, perDay: 2 ** 30 });
    assert.deepEqual(parseUploadCap('64KiB'), { perPageView: 65536, perDay: null });
    assert.throws(() => parseUploadCap('/'));
    assert.throws(() => parseUploadCap('1/2/3'));
  });
});

describe('the upload gate', () => {
  it('refuses every request and every piece with over-budget while the gate is shut', () => {
    let open = true;
    const ledger = new UploadLedger(new FakeClock(), undefined, () => open);
    assert.equal(ledger.admit('peer', 'h', 0).ok, true);
    assert.equal(ledger.spend('peer', 65536).ok, true);
    open = false;
    const refused = ledger.admit('peer', 'h', 1);
    assert.equal(refused.ok === false && refused.code, 'over-budget');
    const spent = ledger.spend('peer', 65536);
    assert.equal(spent.ok === false && spent.code, 'over-budget');
  });
});
