/**
 * Loads the WebTorrent module (`peer-connect-torrent.js`, ~220 KB) the first time this page needs
 * a torrent: for a worker request of a torrent asset, or at start when this browser already holds
 * pieces of one of the site's torrents (so it seeds them again after a reload, before anyone asks).
 */
import { createStore } from 'idb-keyval';
import type { BridgeConfig, BridgeTorrent } from '../protocol/bridge-config.ts';
import { TORRENT_CLIENT_FILE } from '../protocol/bridge-config.ts';
import { manifestKeyFor } from '../protocol/manifest.ts';
import { TORRENT_DB_NAME, TORRENT_STORE_NAME } from '../protocol/store-keys.ts';
import type { TorrentClientApi, TorrentClientModule, TorrentClientStats } from './torrent/api.ts';
import { storedTorrentIds } from './torrent-store/idb-chunks.ts';
import { WorkerPort } from './worker-port.ts';

export interface TorrentLoaderOptions {
  config: BridgeConfig;
  /** The folder of the bridge script: the worker's scope, where our files are. */
  base: URL;
  uploading: boolean;
  onUploaded(bytes: number): void;
  /** The site's mode and the visitor's upload cap (index.ts), asked after each torrent upload. */
  mayUpload?(bytes: number): boolean;
}

export class TorrentLoader {
  private client: Promise<TorrentClientApi> | null = null;

  constructor(private readonly options: TorrentLoaderOptions) {}

  torrentFor(hash: string): BridgeTorrent | undefined {
    return Object.hasOwn(this.options.config.torrents, hash) ? this.options.config.torrents[hash] : undefined;
  }

  serve(torrent: BridgeTorrent, size: number, pieces: number[], port: MessagePort): void {
    this.load().then(
      (client) => client.serve({ torrent, size, pieceSize: torrent.pieceSize, pieces, port }),
      (error: unknown) => {
        // Without the module the worker goes to the origin at once rather than wait out a deadline.
        const reply = new WorkerPort(port);
        reply.noPeers(`torrent client unavailable: ${String(error)}`);
        reply.close();
      },
    );
  }

  /**
   * Joins the torrents of the page's <video>/<audio> before the elements ask: loading the module,
   * the .torrent, verifying the store and reaching the tracker then overlap the page's own loading
   * instead of delaying the first frame. Nothing is downloaded until the element reads.
   */
  prepareFor(doc: Document): number {
    const byPath = new Map(Object.values(this.options.config.torrents).map((t) => [t.path, t]));
    if (byPath.size === 0) return 0;
    const wanted = new Set<BridgeTorrent>();
    // Media still wrapped for first-visit swapping count too: their markup is the noscript's
    // text, parsed inert (a template fetches nothing).
    const roots: ParentNode[] = [doc];
    for (const noscript of doc.querySelectorAll('noscript[data-peer-connect]')) {
      const template = doc.createElement('template');
      template.innerHTML = noscript.textContent ?? '';
      roots.push(template.content);
    }
    const media = roots.flatMap((root) => [...root.querySelectorAll('video[src], audio[src], video > source[src], audio > source[src]')]);
    for (const el of media) {
      const key = manifestKeyFor(new URL(el.getAttribute('src') ?? '', doc.baseURI).href, this.options.base.href);
      const torrent = key === null ? undefined : byPath.get(key);
      if (torrent) wanted.add(torrent);
    }
    if (wanted.size > 0)
      void this.load().then(
        (client) => client.seed([...wanted]),
        () => undefined,
      );
    return wanted.size;
  }

  /** Seeds again the site's torrents whose pieces are stored here. Resolves with how many. */
  async seedStored(): Promise<number> {
    const torrents = Object.values(this.options.config.torrents);
    if (torrents.length === 0 || !this.options.uploading || typeof indexedDB === 'undefined') return 0;
    const stored = await storedTorrentIds(createStore(TORRENT_DB_NAME, TORRENT_STORE_NAME)).catch(() => new Set<string>());
    const held = torrents.filter((t) => stored.has(t.infoHash));
    if (held.length === 0) return 0;
    const client = await this.load();
    await client.seed(held);
    return held.length;
  }

  /** Null until a page needed a torrent. */
  stats(): TorrentClientStats | null {
    return this.api?.stats() ?? null;
  }

  private api: TorrentClientApi | null = null;
  private destroyed = false;

  /** The site's mode changed: the loaded client's throttle follows (one loaded later asks `mayUpload`). */
  setUploading(on: boolean): void {
    this.api?.setUploading?.(on);
  }

  /** P2P stopped: the client, if loaded, leaves its torrents and closes; nothing loads again. */
  destroy(): void {
    this.destroyed = true;
    const api = this.api;
    this.client = null;
    this.api = null;
    // Loaded: close it now; still loading: load() closes it once it arrives.
    void api?.destroy();
  }

  private load(): Promise<TorrentClientApi> {
    if (this.destroyed) return Promise.reject(new Error('P2P stopped'));
    if (!this.client) {
      const url = new URL(TORRENT_CLIENT_FILE, this.options.base).href;
      this.client = (import(url) as Promise<TorrentClientModule>).then((module) =>
        module.createTorrentClient({
          scope: this.options.base.href,
          iceServers: this.options.config.iceServers,
          quotaBytes: this.options.config.torrentQuotaBytes,
          uploading: this.options.uploading,
          onUploaded: (n) => this.options.onUploaded(n),
          mayUpload: (n) => this.options.mayUpload?.(n) ?? true,
        }),
      );
      void this.client.then(
        (api) => {
          if (this.destroyed)
            void api.destroy(); // stopped while it loaded
          else this.api = api;
        },
        () => undefined,
      );
      this.client.catch(() => (this.client = null));
    }
    return this.client;
  }
}
