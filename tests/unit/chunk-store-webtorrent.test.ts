/**
 * Real WebTorrent 2.8.5 clients using IdbChunkStore (`store: IdbChunkStore`) on fake-indexeddb:
 * a torrent re-added after a "reload" is verified from the store and done with no download,
 * missing or corrupted chunks are fetched again, and a reloaded client seeds to a newcomer.
 *
 * The clients meet over TCP (`torrent.addPeer`), not WebRTC through a tracker: what is tested is
 * the store, and Node's WebRTC (node-datachannel through webrtc-polyfill) intermittently leaves a
 * first attempt half-open on a busy machine, which blocks the peer (a duplicate id) until
 * WebTorrent's 25 s connect timeout. Our tracker with real clients over WebRTC is
 * tests/unit/tracker-clients.test.ts.
 */
import 'fake-indexeddb/auto';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { createStore, type UseStore } from 'idb-keyval';
import WebTorrent, { type Torrent } from 'webtorrent';
import { IdbChunkStore, type IdbChunkStoreOptions } from '../../page-bridge/torrent-store/idb-chunk-store.ts';

const PIECE = 16 * 1024;
/** A hang guard, not a speed limit: each step takes well under a second here. */
const STEP_TIMEOUT_MS = 60_000;
// No DHT, LSD, PEX, uTP, tracker or web seed: every torrent is added with `announce: []`, and the
// only peers are the ones a test adds over TCP.
const CLIENT_OPTIONS = { dht: false, lsd: false, utPex: false, natUpnp: false, natPmp: false, utp: false, webSeeds: false };

/** What the store tests read from a Torrent beyond tracker-clients.d.ts's view of it. */
interface TorrentState {
  received: number;
}

function next(emitter: EventEmitter, event: string, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), STEP_TIMEOUT_MS);
    emitter.once(event, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** Connects `torrent` to `peer`'s TCP listener (WebTorrent in Node listens on a free port). */
async function addTcpPeer(torrent: Torrent, peer: WebTorrent): Promise<void> {
  if (!peer.listening) await new Promise<void>((resolve) => peer.once('listening', () => resolve()));
  const port = peer.address()?.port;
  if (!port) throw new Error('WebTorrent client has no TCP port');
  if (!torrent.infoHash) await new Promise<void>((resolve) => torrent.once('infoHash', () => resolve()));
  torrent.addPeer(`127.0.0.1:${port}`);
}

const destroyClient = (c: WebTorrent): Promise<void> => new Promise((resolve) => c.destroy(() => resolve()));

function storeOptions(db: UseStore, extra: IdbChunkStoreOptions = {}): { store: typeof IdbChunkStore; storeOpts: IdbChunkStoreOptions } {
  return { store: IdbChunkStore, storeOpts: { idbStore: db, ...extra } };
}

/** Seed `data` into a store on `dbName` and close the client, as a tab that then reloads. */
async function seedAndClose(dbName: string, data: Uint8Array): Promise<{ torrentFile: Uint8Array; infoHash: string }> {
  const client = new WebTorrent(CLIENT_OPTIONS);
  const opts = { name: 'clip.bin', announce: [], pieceLength: PIECE, ...storeOptions(createStore(dbName, 'chunks')) };
  const torrent = await new Promise<Torrent>((resolve) => client.seed(data, opts, resolve));
  const seeded = { torrentFile: torrent.torrentFile, infoHash: torrent.infoHash };
  await destroyClient(client); // closes the store, which writes the batched LRU uses
  return seeded;
}

describe('WebTorrent 2.8.5 with IdbChunkStore', () => {
  it('a torrent re-added on the same database is verified from the store and done with no peers', async () => {
    const data = randomBytes(64 * PIECE + 1000);
    const { torrentFile } = await seedAndClose('wt-reload', data);

    const client = new WebTorrent(CLIENT_OPTIONS);
    try {
      const torrent = client.add(torrentFile, { announce: [], ...storeOptions(createStore('wt-reload', 'chunks')) });
      await next(torrent, 'done', 'the re-added torrent to be done');
      assert.equal(torrent.progress, 1);
      assert.equal((torrent as unknown as TorrentState).received, 0, 'nothing was downloaded');
      const file = torrent.files[0];
      assert.ok(file);
      assert.ok(Buffer.from(await file.arrayBuffer()).equals(data));
    } finally {
      await destroyClient(client);
    }
  });

  it('counts only stored pieces whose bytes hash right', async () => {
    const data = randomBytes(64 * PIECE + 1000);
    const { torrentFile, infoHash } = await seedAndClose('wt-source', data);

    // What another session left: even pieces, piece 1 with the right length but wrong bytes.
    const client = new WebTorrent(CLIENT_OPTIONS);
    try {
      const db = createStore('wt-partial', 'chunks');
      const direct = new IdbChunkStore(PIECE, { idbStore: db, torrentId: infoHash, length: data.length });
      const put = (i: number, buf: Uint8Array): Promise<void> =>
        new Promise((resolve, reject) => direct.put(i, buf, (err) => (err ? reject(err) : resolve())));
      for (let i = 0; i <= 64; i += 2) await put(i, data.subarray(i * PIECE, Math.min((i + 1) * PIECE, data.length)));
      await put(1, new Uint8Array(PIECE).fill(7));
      await new Promise<void>((resolve) => direct.close(() => resolve()));

      const torrent = client.add(torrentFile, { announce: [], ...storeOptions(createStore('wt-partial', 'chunks')) });
      await next(torrent, 'ready', 'the partial torrent to be verified');
      const expected = (32 * PIECE + 1000) / data.length;
      assert.ok(Math.abs(torrent.progress - expected) < 1e-9, `progress ${torrent.progress}, expected ${expected}`);
      assert.equal(torrent.done, false);
    } finally {
      await destroyClient(client);
    }
  });

  describe('between clients', () => {
    it('downloads into the store; after a reload seeds it to a newcomer without downloading', async () => {
      const data = randomBytes(48 * PIECE + 123);

      const seeder = new WebTorrent(CLIENT_OPTIONS);
      const viewer = new WebTorrent(CLIENT_OPTIONS);
      try {
        const seedOpts = { name: 'clip.bin', announce: [], pieceLength: PIECE, ...storeOptions(createStore('wt-seeder', 'chunks')) };
        const seeded = await new Promise<Torrent>((resolve) => seeder.seed(data, seedOpts, resolve));
        const first = viewer.add(seeded.torrentFile, { announce: [], ...storeOptions(createStore('wt-viewer', 'chunks')) });
        await addTcpPeer(first, seeder);
        await next(first, 'done', 'the viewer to download');
        assert.ok((first as unknown as TorrentState).received >= data.length);
      } finally {
        await Promise.all([destroyClient(seeder), destroyClient(viewer)]);
      }

      // The viewer "reloads" (new client, new UseStore on the same database); the seeder is gone.
      const reloaded = new WebTorrent(CLIENT_OPTIONS);
      const newcomer = new WebTorrent(CLIENT_OPTIONS);
      try {
        const { torrentFile } = await seedAndClose('wt-torrentfile', data); // same bytes, same info hash
        const again = reloaded.add(torrentFile, { announce: [], ...storeOptions(createStore('wt-viewer', 'chunks')) });
        await next(again, 'done', 'the reloaded viewer to verify its store');
        assert.equal((again as unknown as TorrentState).received, 0);

        const fresh = newcomer.add(torrentFile, { announce: [], ...storeOptions(createStore('wt-newcomer', 'chunks')) });
        await addTcpPeer(fresh, reloaded);
        await next(fresh, 'done', 'the newcomer to download from the reloaded viewer');
        const file = fresh.files[0];
        assert.ok(file);
        assert.ok(Buffer.from(await file.arrayBuffer()).equals(data));
      } finally {
        await Promise.all([destroyClient(reloaded), destroyClient(newcomer)]);
      }
    });
  });
});
