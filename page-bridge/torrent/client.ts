/**
 * The bridge's WebTorrent client: the module `peer-connect-torrent.js`, imported by the bridge
 * the first time a page needs a torrent. One WebTorrent client per tab; one torrent per media
 * asset, added with its pieces in IndexedDB (IdbChunkStore), deselected until something reads,
 * announced to the site's tracker, with the asset's own URL as web seed when peers cannot serve.
 */
// First: WebTorrent's module must be evaluated with the gated RTCPeerConnection (rtc-gate.ts).
import './rtc-gate-install.ts';
import WebTorrent, { type Torrent, type Wire } from 'webtorrent/dist/webtorrent.min.js';
import type { BridgeTorrent } from '../../protocol/bridge-config.ts';
import { WEB_SEED_QUERY } from '../../protocol/bridge-config.ts';
import {
  TORRENT_UPLOAD_BYTES_PER_PAGE_VIEW,
  TORRENT_UPLOAD_BYTES_PER_WIRE,
  TORRENT_UPLOAD_RATE_BYTES_PER_S,
  TORRENT_WEB_SEED_GRACE_MS,
  TORRENT_WEB_SEED_STALL_MS,
} from '../../protocol/limits.ts';
import { urlPathFor } from '../../protocol/manifest.ts';
import { IdbChunkStore } from '../torrent-store/idb-chunk-store.ts';
import type { ChunkStoreOptions } from '../torrent-store/types.ts';
import type { TorrentClientApi, TorrentClientModule, TorrentClientOptions, TorrentClientStats, TorrentServeRequest } from './api.ts';
import { PieceSources } from './piece-sources.ts';
import { restoreRtcPeerConnection, torrentRtcGate } from './rtc-gate-install.ts';
import { markStep, serveFromTorrent, type TorrentReadTarget } from './serve-from-torrent.ts';
import { shouldAddWebSeed } from './web-seed-policy.ts';

// WebTorrent has read the gated class; every other script sees the browser's own from here on.
restoreRtcPeerConnection();

const POLICY_TICK_MS = 100;

/** Everything this tab knows about one torrent. */
class TorrentEntry implements TorrentReadTarget {
  readonly sources = new PieceSources();
  readers = 0;
  readingSince: number | null = null;
  lastByteAt: number | null = null;
  othersInSwarm: number | null = null;
  webSeedOn = false;
  bytesFromPeers = 0;
  bytesFromWebSeed = 0;
  badPieces = 0;
  /** Peers that sent a piece failing its SHA-1: WebTorrent 2.8.5 re-requests it but keeps the peer. */
  readonly banned = new Set<string>();
  /** Wires that sent blocks of each piece not yet verified. */
  private readonly contributors = new Map<number, Set<Wire>>();
  private timer: ReturnType<typeof setInterval> | null = null;
  /** Steps already marked (`peer-connect:<step>` User Timing marks, once per torrent). */
  private readonly marked = new Set<string>();

  constructor(
    readonly torrent: Torrent,
    private readonly webSeedUrl: string,
  ) {
    torrent.on('wire', (wire: Wire) => this.watch(wire));
    torrent.on('verified', (index) => {
      // Progress is a verified piece, not a byte: a peer sending garbage must look stalled.
      this.lastByteAt = Date.now();
      this.contributors.delete(index);
      this.markOnce('first-verified-piece');
    });
    torrent.on('warning', (warning) => {
      const failed = /^Piece (\d+) failed verification/.exec(String(warning instanceof Error ? warning.message : warning));
      if (failed) this.pieceFailed(Number(failed[1]));
    });
  }

  private pieceFailed(index: number): void {
    this.badPieces++;
    this.sources.reset(index);
    for (const wire of this.contributors.get(index) ?? []) {
      if (wire.type === 'webSeed') continue; // the origin's own file: it changed, or a proxy mangled it
      if (wire.peerId) this.banned.add(wire.peerId);
      wire.destroy();
    }
    this.contributors.delete(index);
  }

  get infoHash(): string {
    return this.torrent.infoHash;
  }

  markOnce(step: string): void {
    if (this.marked.has(step)) return;
    this.marked.add(step);
    markStep(step, this.torrent.infoHash);
  }

  get file() {
    const file = this.torrent.files[0];
    if (!file) throw new Error('torrent has no file');
    return file;
  }

  get pieceLength(): number {
    return this.torrent.pieceLength;
  }

  sourceOf(piece: number) {
    return this.sources.sourceOf(piece);
  }

  forget(piece: number): void {
    // Private in WebTorrent 2.8.5 (see torrent-store/types.ts): the only way to un-verify a piece.
    this.torrent._markUnverified?.(piece);
  }

  peerWires(): number {
    return this.torrent.wires.filter((w) => w.type !== 'webSeed').length;
  }

  reading(active: boolean): void {
    this.readers += active ? 1 : -1;
    if (this.readers > 0 && this.readingSince === null) {
      this.readingSince = Date.now();
      this.check();
      this.timer ??= setInterval(() => this.check(), POLICY_TICK_MS);
    } else if (this.readers === 0) {
      this.readingSince = null;
      if (this.timer) clearInterval(this.timer);
      this.timer = null;
    }
  }

  check(): void {
    const view = {
      now: Date.now(),
      readingSince: this.readingSince,
      lastByteAt: this.lastByteAt,
      peerWires: this.peerWires(),
      othersInSwarm: this.othersInSwarm,
      webSeedOn: this.webSeedOn,
    };
    if (!this.torrent.destroyed && shouldAddWebSeed(view, { peerGraceMs: TORRENT_WEB_SEED_GRACE_MS, stallMs: TORRENT_WEB_SEED_STALL_MS })) {
      this.webSeedOn = true;
      this.torrent.addWebSeed(this.webSeedUrl);
      this.markOnce('web-seed-added');
    }
  }

  private watch(wire: Wire): void {
    if (wire.peerId && this.banned.has(wire.peerId)) return wire.destroy();
    const fromWebSeed = wire.type === 'webSeed';
    if (!fromWebSeed) this.markOnce('first-peer-wire');
    wire.on('piece', (index, _offset, block) => {
      const wires = this.contributors.get(index) ?? new Set<Wire>();
      wires.add(wire);
      this.contributors.set(index, wires);
      this.sources.block(index, block.byteLength, fromWebSeed);
      if (fromWebSeed) this.bytesFromWebSeed += block.byteLength;
      else this.bytesFromPeers += block.byteLength;
    });
  }
}

function makeClient(options: TorrentClientOptions): TorrentClientApi {
  // The bridge calls this as soon as its import of this module resolved: the module's cost ends here.
  markStep('torrent-module');
  const client = new WebTorrent({
    tracker: { rtcConfig: { iceServers: options.iceServers } },
    // Our web seed is added by the policy above, with a query the worker lets through.
    webSeeds: false,
    // WebTorrent's throttle at rate 0 never sends a block: download-only. Otherwise its rate budget.
    uploadLimit: options.uploading && options.mayUpload?.(0) !== false ? TORRENT_UPLOAD_RATE_BYTES_PER_S : 0,
  });
  client.on('error', () => undefined); // per-torrent errors are handled where the torrent is added
  const entries = new Map<string, Promise<TorrentEntry>>();
  const added: TorrentEntry[] = [];
  let uploaded = 0;

  const trackerUrl = (announce: string): string => {
    if (!announce.startsWith('/')) return announce;
    const page = new URL(options.scope);
    return `${page.protocol === 'https:' ? 'wss:' : 'ws:'}//${page.host}${announce}`;
  };

  async function add(ref: BridgeTorrent): Promise<TorrentEntry> {
    const response = await fetch(new URL(urlPathFor(ref.torrentFile), options.scope));
    if (!response.ok) throw new Error(`.torrent: HTTP ${response.status}`);
    const bytes = new Uint8Array(await response.arrayBuffer());
    markStep('torrent-file', ref.infoHash);
    const torrent = client.add(bytes, {
      announce: [trackerUrl(ref.announce)],
      store: IdbChunkStore as unknown as new (chunkLength: number, opts: ChunkStoreOptions) => IdbChunkStore,
      storeOpts: { quotaBytes: options.quotaBytes },
      deselect: true,
    });
    await new Promise<void>((resolve, reject) => {
      if (torrent.ready) return resolve();
      torrent.once('ready', resolve);
      torrent.once('error', (err) => reject(err instanceof Error ? err : new Error(err)));
    });
    // Ready means the store was read back and every stored piece checked: a returning viewer's cost.
    markStep('torrent-ready', ref.infoHash);
    // The manifest pins the info hash; a .torrent that differs (a stale cache, an edited file)
    // would be a different swarm, so it is not used.
    if (torrent.infoHash !== ref.infoHash) {
      torrent.destroy();
      throw new Error(`.torrent info hash ${torrent.infoHash} is not the manifest's ${ref.infoHash}`);
    }
    const webSeed = `${new URL(urlPathFor(ref.path), options.scope).href}?${WEB_SEED_QUERY}`;
    const entry = new TorrentEntry(torrent, webSeed);
    // Per wire, counting piece bytes only (the torrent's own 'upload' event counts what passes
    // its throttle, not what peers received).
    torrent.on('wire', (wire) => {
      let toWire = 0;
      wire.on('upload', (n) => {
        uploaded += n;
        toWire += n;
        options.onUploaded(n);
        // The page view's budget spent, or the site or the visitor's cap says no more: the
        // throttle at 0 sends nothing more to anyone.
        if (uploaded >= TORRENT_UPLOAD_BYTES_PER_PAGE_VIEW || options.mayUpload?.(0) === false) client.throttleUpload(0);
        // One peer's budget spent: that wire goes (it may come back through the tracker; its budget does not reset per wire).
        if (toWire >= TORRENT_UPLOAD_BYTES_PER_WIRE) wire.destroy();
      });
    });
    watchSwarmSize(torrent, entry);
    added.push(entry);
    return entry;
  }

  const entryFor = (ref: BridgeTorrent): Promise<TorrentEntry> => {
    let entry = entries.get(ref.infoHash);
    if (!entry) {
      entry = add(ref);
      entries.set(ref.infoHash, entry);
      entry.catch(() => entries.delete(ref.infoHash)); // the next request tries again
    }
    return entry;
  };

  return {
    serve(request: TorrentServeRequest): void {
      void serveFromTorrent(entryFor(request.torrent), request, request.port);
    },
    async seed(torrents): Promise<void> {
      await Promise.allSettled(torrents.map((t) => entryFor(t)));
    },
    stats(): TorrentClientStats {
      const stats: TorrentClientStats = {
        torrents: added.length,
        peers: 0,
        bytesFromPeers: 0,
        bytesFromWebSeed: 0,
        uploaded,
        badPieces: 0,
        bannedPeers: [],
        pendingConnections: torrentRtcGate.pending,
        refusedConnections: torrentRtcGate.refused,
        gatedConnections: torrentRtcGate.made,
      };
      for (const entry of added) {
        stats.badPieces += entry.badPieces;
        stats.bannedPeers.push(...entry.banned);
        stats.peers += entry.peerWires();
        stats.bytesFromPeers += entry.bytesFromPeers;
        stats.bytesFromWebSeed += entry.bytesFromWebSeed;
      }
      return stats;
    },
    setUploading(on: boolean): void {
      client.throttleUpload(on && options.uploading && uploaded < TORRENT_UPLOAD_BYTES_PER_PAGE_VIEW ? TORRENT_UPLOAD_RATE_BYTES_PER_S : 0);
    },
    destroy(): Promise<void> {
      return new Promise((resolve) => {
        try {
          client.destroy(() => resolve());
        } catch {
          resolve(); // already destroyed
        }
      });
    },
  };
}

/**
 * The tracker's count of other peers, from bittorrent-tracker's client (`update` events carry
 * `complete` and `incomplete`, ourselves included). Private in WebTorrent: when absent, the
 * policy falls back to its grace period.
 */
function watchSwarmSize(torrent: Torrent, entry: TorrentEntry): void {
  const tracker = torrent.discovery?.tracker;
  tracker?.on('update', (data) => {
    const count = (data.complete ?? 0) + (data.incomplete ?? 0);
    entry.othersInSwarm = Math.max(0, count - 1);
    entry.markOnce('tracker-answer');
    if (entry.readers > 0) entry.check();
  });
  // A warning before any answer: the tracker is down or refused us, so no peer can be found
  // through it; the web seed need not wait out the grace period. A later answer overrides this.
  tracker?.on('warning', () => {
    if (entry.othersInSwarm !== null) return;
    entry.othersInSwarm = 0;
    if (entry.readers > 0) entry.check();
  });
}

export const createTorrentClient: TorrentClientModule['createTorrentClient'] = makeClient;
