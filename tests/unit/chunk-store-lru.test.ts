/**
 * page-bridge/torrent-store/lru.ts: the chunk store's eviction policy, without IndexedDB.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ChunkLru } from '../../page-bridge/torrent-store/lru.ts';

const none = { isPinned: (): boolean => false, isBusy: (): boolean => false };
const ids = (lru: ChunkLru): string[] => lru.entries().map((u) => `${u.torrent}:${u.index}`);

describe('ChunkLru', () => {
  it('admits chunks while they fit and counts their bytes', () => {
    const lru = new ChunkLru();
    assert.deepEqual(lru.admit('a', 0, 10, 1, 30, none)?.victims, []);
    assert.deepEqual(lru.admit('a', 1, 10, 2, 30, none)?.victims, []);
    assert.deepEqual(lru.admit('a', 2, 10, 3, 30, none)?.victims, []);
    assert.equal(lru.totalBytes, 30);
    assert.equal(lru.size, 3);
  });

  it('evicts the least recently used chunks first, just enough to fit', () => {
    const lru = new ChunkLru();
    for (let i = 0; i < 4; i++) lru.admit('a', i, 10, i, 40, none);
    const adm = lru.admit('a', 4, 15, 10, 40, none);
    assert.deepEqual(adm?.victims.map((v) => v.index), [0, 1]);
    assert.deepEqual(ids(lru), ['a:2', 'a:3', 'a:4']);
    assert.equal(lru.totalBytes, 35);
  });

  it('a touch (a read) makes a chunk the youngest', () => {
    const lru = new ChunkLru();
    for (let i = 0; i < 3; i++) lru.admit('a', i, 10, i, 30, none);
    assert.ok(lru.touch('a', 0, 5));
    const adm = lru.admit('a', 3, 10, 6, 30, none);
    assert.deepEqual(adm?.victims.map((v) => v.index), [1]);
    assert.deepEqual(ids(lru), ['a:2', 'a:0', 'a:3']);
  });

  it('touching an unknown chunk changes nothing', () => {
    const lru = new ChunkLru();
    assert.equal(lru.touch('a', 0, 1), undefined);
    assert.equal(lru.size, 0);
  });

  it('evicts across torrents by age, not by torrent', () => {
    const lru = new ChunkLru();
    lru.admit('a', 0, 10, 1, 30, none);
    lru.admit('b', 0, 10, 2, 30, none);
    lru.admit('a', 1, 10, 3, 30, none);
    const adm = lru.admit('c', 0, 20, 4, 30, none);
    assert.deepEqual(adm?.victims.map((v) => `${v.torrent}:${v.index}`), ['a:0', 'b:0']);
  });

  it('evicts closed torrents before open (pinned) ones, then the oldest pinned', () => {
    const lru = new ChunkLru();
    lru.admit('open', 0, 10, 1, 30, none);
    lru.admit('closed', 0, 10, 2, 30, none);
    lru.admit('open', 1, 10, 3, 30, none);
    const pinned = { isPinned: (t: string): boolean => t === 'open', isBusy: (): boolean => false };
    assert.deepEqual(lru.admit('open', 2, 10, 4, 30, pinned)?.victims.map((v) => v.torrent), ['closed']);
    assert.deepEqual(lru.admit('open', 3, 10, 5, 30, pinned)?.victims.map((v) => `${v.torrent}:${v.index}`), ['open:0']);
  });

  it('never evicts a busy chunk (a put or get in flight), even if that passes the quota', () => {
    const lru = new ChunkLru();
    lru.admit('a', 0, 10, 1, 20, none);
    lru.admit('a', 1, 10, 2, 20, none);
    const busy = { isPinned: (): boolean => false, isBusy: (_t: string, i: number): boolean => i === 0 };
    assert.deepEqual(lru.admit('a', 2, 10, 3, 20, busy)?.victims.map((v) => v.index), [1]);
    assert.deepEqual(lru.admit('a', 3, 10, 4, 20, { isPinned: () => false, isBusy: () => true })?.victims, []);
    assert.equal(lru.totalBytes, 30);
  });

  it('a chunk larger than the quota is refused and changes nothing', () => {
    const lru = new ChunkLru();
    lru.admit('a', 0, 10, 1, 30, none);
    assert.equal(lru.admit('a', 1, 31, 2, 30, none), null);
    assert.deepEqual(ids(lru), ['a:0']);
  });

  it('re-putting a stored chunk replaces it without evicting it or double counting', () => {
    const lru = new ChunkLru();
    lru.admit('a', 0, 10, 1, 20, none);
    lru.admit('a', 1, 10, 2, 20, none);
    const adm = lru.admit('a', 0, 10, 3, 20, none);
    assert.deepEqual(adm?.victims, []);
    assert.equal(adm?.replaced?.lastUse, 1);
    assert.equal(lru.totalBytes, 20);
    assert.deepEqual(ids(lru), ['a:1', 'a:0']);
  });

  it('lastUse is strictly increasing even when the clock stalls or goes back', () => {
    const lru = new ChunkLru();
    lru.admit('a', 0, 1, 100, 10, none);
    lru.admit('a', 1, 1, 100, 10, none);
    lru.admit('a', 2, 1, 50, 10, none);
    assert.deepEqual(lru.entries().map((u) => u.lastUse), [100, 101, 102]);
  });

  it('restores order from persisted records (a reload) and keeps the clock ahead of them', () => {
    const lru = new ChunkLru([
      { torrent: 'b', index: 0, bytes: 5, lastUse: 30 },
      { torrent: 'a', index: 0, bytes: 5, lastUse: 10 },
      { torrent: 'a', index: 1, bytes: 5, lastUse: 20 },
    ]);
    assert.deepEqual(ids(lru), ['a:0', 'a:1', 'b:0']);
    assert.equal(lru.totalBytes, 15);
    assert.equal(lru.touch('a', 0, 1)?.lastUse, 31);
  });

  it('restore puts back victims of a failed write in their old places', () => {
    const lru = new ChunkLru();
    for (let i = 0; i < 3; i++) lru.admit('a', i, 10, i + 1, 30, none);
    const adm = lru.admit('a', 3, 10, 9, 30, none);
    assert.ok(adm);
    lru.delete('a', 3);
    lru.restore(adm.victims);
    assert.deepEqual(ids(lru), ['a:0', 'a:1', 'a:2']);
    assert.equal(lru.totalBytes, 30);
  });

  it('deleteTorrent removes only that torrent', () => {
    const lru = new ChunkLru();
    lru.admit('a', 0, 10, 1, 100, none);
    lru.admit('b', 0, 10, 2, 100, none);
    lru.admit('a', 1, 10, 3, 100, none);
    assert.equal(lru.deleteTorrent('a').length, 2);
    assert.deepEqual(ids(lru), ['b:0']);
    assert.equal(lru.totalBytes, 10);
  });

  it('torrent ids with newlines or colons do not collide', () => {
    const lru = new ChunkLru();
    lru.admit('x\n1', 2, 1, 1, 10, none);
    lru.admit('x', 1, 1, 2, 10, none);
    assert.equal(lru.size, 2);
    assert.equal(lru.find('x\n1', 2)?.lastUse, 1);
  });
});
