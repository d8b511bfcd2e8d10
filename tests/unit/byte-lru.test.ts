/**
 * protocol/byte-lru.ts: the eviction policy both stores share, without IndexedDB. Mostly through
 * the torrent store's chunk entries (pinned torrents, busy chunks), then per-asset entries as the
 * worker's piece store uses them (an entry that grows piece by piece).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ChunkId, type ChunkLru, newChunkLru } from '../../page-bridge/torrent-store/lru.ts';
import { ByteLru } from '../../protocol/byte-lru.ts';

const none = { isPinned: (): boolean => false, isBusy: (): boolean => false };
const c = (torrent: string, index: number): ChunkId => ({ torrent, index });
const ids = (lru: ChunkLru): string[] => lru.entries().map((u) => `${u.torrent}:${u.index}`);

describe('ByteLru with chunk entries (torrent store)', () => {
  it('admits chunks while they fit and counts their bytes', () => {
    const lru = newChunkLru();
    assert.deepEqual(lru.admit(c('a', 0), 10, 1, 30, none)?.victims, []);
    assert.deepEqual(lru.admit(c('a', 1), 10, 2, 30, none)?.victims, []);
    assert.deepEqual(lru.admit(c('a', 2), 10, 3, 30, none)?.victims, []);
    assert.equal(lru.totalBytes, 30);
    assert.equal(lru.size, 3);
  });

  it('evicts the least recently used chunks first, just enough to fit', () => {
    const lru = newChunkLru();
    for (let i = 0; i < 4; i++) lru.admit(c('a', i), 10, i, 40, none);
    const adm = lru.admit(c('a', 4), 15, 10, 40, none);
    assert.deepEqual(
      adm?.victims.map((v) => v.index),
      [0, 1],
    );
    assert.deepEqual(ids(lru), ['a:2', 'a:3', 'a:4']);
    assert.equal(lru.totalBytes, 35);
  });

  it('a touch (a read) makes a chunk the youngest', () => {
    const lru = newChunkLru();
    for (let i = 0; i < 3; i++) lru.admit(c('a', i), 10, i, 30, none);
    assert.ok(lru.touch(c('a', 0), 5));
    const adm = lru.admit(c('a', 3), 10, 6, 30, none);
    assert.deepEqual(
      adm?.victims.map((v) => v.index),
      [1],
    );
    assert.deepEqual(ids(lru), ['a:2', 'a:0', 'a:3']);
  });

  it('touching an unknown chunk changes nothing', () => {
    const lru = newChunkLru();
    assert.equal(lru.touch(c('a', 0), 1), undefined);
    assert.equal(lru.size, 0);
  });

  it('evicts across torrents by age, not by torrent', () => {
    const lru = newChunkLru();
    lru.admit(c('a', 0), 10, 1, 30, none);
    lru.admit(c('b', 0), 10, 2, 30, none);
    lru.admit(c('a', 1), 10, 3, 30, none);
    const adm = lru.admit(c('c', 0), 20, 4, 30, none);
    assert.deepEqual(
      adm?.victims.map((v) => `${v.torrent}:${v.index}`),
      ['a:0', 'b:0'],
    );
  });

  it('evicts closed torrents before open (pinned) ones, then the oldest pinned', () => {
    const lru = newChunkLru();
    lru.admit(c('open', 0), 10, 1, 30, none);
    lru.admit(c('closed', 0), 10, 2, 30, none);
    lru.admit(c('open', 1), 10, 3, 30, none);
    const pinned = { isPinned: (id: ChunkId): boolean => id.torrent === 'open', isBusy: (): boolean => false };
    assert.deepEqual(
      lru.admit(c('open', 2), 10, 4, 30, pinned)?.victims.map((v) => v.torrent),
      ['closed'],
    );
    assert.deepEqual(
      lru.admit(c('open', 3), 10, 5, 30, pinned)?.victims.map((v) => `${v.torrent}:${v.index}`),
      ['open:0'],
    );
  });

  it('never evicts a busy chunk (a put or get in flight), even if that passes the quota', () => {
    const lru = newChunkLru();
    lru.admit(c('a', 0), 10, 1, 20, none);
    lru.admit(c('a', 1), 10, 2, 20, none);
    const busy = { isPinned: (): boolean => false, isBusy: (id: ChunkId): boolean => id.index === 0 };
    assert.deepEqual(
      lru.admit(c('a', 2), 10, 3, 20, busy)?.victims.map((v) => v.index),
      [1],
    );
    assert.deepEqual(lru.admit(c('a', 3), 10, 4, 20, { isPinned: () => false, isBusy: () => true })?.victims, []);
    assert.equal(lru.totalBytes, 30);
  });

  it('a chunk larger than the quota is refused and changes nothing', () => {
    const lru = newChunkLru();
    lru.admit(c('a', 0), 10, 1, 30, none);
    assert.equal(lru.admit(c('a', 1), 31, 2, 30, none), null);
    assert.deepEqual(ids(lru), ['a:0']);
  });

  it('re-putting a stored chunk replaces it without evicting it or double counting', () => {
    const lru = newChunkLru();
    lru.admit(c('a', 0), 10, 1, 20, none);
    lru.admit(c('a', 1), 10, 2, 20, none);
    const adm = lru.admit(c('a', 0), 10, 3, 20, none);
    assert.deepEqual(adm?.victims, []);
    assert.equal(adm?.replaced?.lastUse, 1);
    assert.equal(lru.totalBytes, 20);
    assert.deepEqual(ids(lru), ['a:1', 'a:0']);
  });

  it('lastUse is strictly increasing even when the clock stalls or goes back', () => {
    const lru = newChunkLru();
    lru.admit(c('a', 0), 1, 100, 10, none);
    lru.admit(c('a', 1), 1, 100, 10, none);
    lru.admit(c('a', 2), 1, 50, 10, none);
    assert.deepEqual(
      lru.entries().map((u) => u.lastUse),
      [100, 101, 102],
    );
  });

  it('restores order from persisted records (a reload) and keeps the clock ahead of them', () => {
    const lru = newChunkLru([
      { torrent: 'b', index: 0, bytes: 5, lastUse: 30 },
      { torrent: 'a', index: 0, bytes: 5, lastUse: 10 },
      { torrent: 'a', index: 1, bytes: 5, lastUse: 20 },
    ]);
    assert.deepEqual(ids(lru), ['a:0', 'a:1', 'b:0']);
    assert.equal(lru.totalBytes, 15);
    assert.equal(lru.touch(c('a', 0), 1)?.lastUse, 31);
  });

  it('restore puts back victims of a failed write in their old places', () => {
    const lru = newChunkLru();
    for (let i = 0; i < 3; i++) lru.admit(c('a', i), 10, i + 1, 30, none);
    const adm = lru.admit(c('a', 3), 10, 9, 30, none);
    assert.ok(adm);
    lru.delete(c('a', 3));
    lru.restore(adm.victims);
    assert.deepEqual(ids(lru), ['a:0', 'a:1', 'a:2']);
    assert.equal(lru.totalBytes, 30);
  });

  it('deleteTorrent removes only that torrent', () => {
    const lru = newChunkLru();
    lru.admit(c('a', 0), 10, 1, 100, none);
    lru.admit(c('b', 0), 10, 2, 100, none);
    lru.admit(c('a', 1), 10, 3, 100, none);
    assert.equal(lru.deleteWhere((u) => u.torrent === 'a').length, 2);
    assert.deepEqual(ids(lru), ['b:0']);
    assert.equal(lru.totalBytes, 10);
  });

  it('torrent ids with newlines or colons do not collide', () => {
    const lru = newChunkLru();
    lru.admit(c('x\n1', 2), 1, 1, 10, none);
    lru.admit(c('x', 1), 1, 2, 10, none);
    assert.equal(lru.size, 2);
    assert.equal(lru.find(c('x\n1', 2))?.lastUse, 1);
  });
});

describe('ByteLru with asset entries (piece store)', () => {
  type Asset = { hash: string };
  const assets = (): ByteLru<Asset> => new ByteLru<Asset>((a) => a.hash);
  const none = { isPinned: (): boolean => false, isBusy: (): boolean => false };
  const a = (hash: string): Asset => ({ hash });
  const hashes = (lru: ByteLru<Asset>): string[] => lru.entries().map((e) => e.hash);

  it('an asset grows piece by piece through admit with its new total, counted once', () => {
    const lru = assets();
    lru.admit(a('x'), 10, 1, 100, none);
    const adm = lru.admit(a('x'), 20, 2, 100, none);
    assert.equal(adm?.replaced?.bytes, 10);
    assert.equal(lru.totalBytes, 20);
    assert.equal(lru.size, 1);
  });

  it('a growing asset evicts whole older assets, oldest first, never itself', () => {
    const lru = assets();
    lru.admit(a('old'), 30, 1, 100, none);
    lru.admit(a('mid'), 30, 2, 100, none);
    lru.admit(a('new'), 30, 3, 100, none);
    assert.deepEqual(
      lru.admit(a('new'), 60, 4, 100, none)?.victims.map((v) => v.hash),
      ['old'],
    );
    assert.deepEqual(
      lru.admit(a('new'), 90, 5, 100, none)?.victims.map((v) => v.hash),
      ['mid'],
    );
    assert.deepEqual(hashes(lru), ['new']);
  });

  it('a read (touch) moves a whole asset to the young end', () => {
    const lru = assets();
    lru.admit(a('x'), 40, 1, 100, none);
    lru.admit(a('y'), 40, 2, 100, none);
    lru.touch(a('x'), 3);
    assert.deepEqual(
      lru.admit(a('z'), 40, 4, 100, none)?.victims.map((v) => v.hash),
      ['y'],
    );
  });

  it('growing past the quota is refused and leaves the asset as it was', () => {
    const lru = assets();
    lru.admit(a('x'), 90, 1, 100, none);
    assert.equal(lru.admit(a('x'), 101, 2, 100, none), null);
    assert.deepEqual(lru.entries(), [{ hash: 'x', bytes: 90, lastUse: 1 }]);
  });

  it('a busy asset is spared; trim takes it once it is not busy', () => {
    const lru = assets();
    lru.admit(a('served'), 60, 1, 100, none);
    const busy = { isPinned: (): boolean => false, isBusy: (id: Asset): boolean => id.hash === 'served' };
    assert.deepEqual(lru.admit(a('other'), 60, 2, 100, busy)?.victims, []);
    assert.equal(lru.totalBytes, 120);
    assert.deepEqual(
      lru.trim(100, none).map((v) => v.hash),
      ['served'],
    );
    assert.equal(lru.totalBytes, 60);
  });

  it("restore changes an asset's size without making it younger (a piece deleted is not a use)", () => {
    const lru = assets();
    lru.admit(a('x'), 30, 1, 100, none);
    lru.admit(a('y'), 30, 2, 100, none);
    lru.restore([{ hash: 'y', bytes: 10, lastUse: 2 }]);
    assert.deepEqual(hashes(lru), ['x', 'y']);
    assert.equal(lru.totalBytes, 40);
  });

  it('deleteWhere removes exactly the matching assets', () => {
    const lru = assets();
    for (const [i, h] of ['keep', 'drop1', 'drop2'].entries()) lru.admit(a(h), 10, i + 1, 100, none);
    assert.deepEqual(
      lru.deleteWhere((e) => e.hash.startsWith('drop')).map((e) => e.hash),
      ['drop1', 'drop2'],
    );
    assert.deepEqual(hashes(lru), ['keep']);
    assert.equal(lru.totalBytes, 10);
  });
});
