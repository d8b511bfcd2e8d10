// The parts of webtorrent 2.8 and bittorrent-tracker 11 the tracker tests use (neither ships types).

declare module 'bittorrent-tracker/client' {
  import { EventEmitter } from 'node:events';
  export interface TrackerClientOptions {
    infoHash: string | Uint8Array;
    peerId: string | Uint8Array;
    announce: string[];
    port: number;
    rtcConfig?: object;
  }
  export interface AnnounceUpdate {
    announce: string;
    infoHash: string;
    complete: number;
    incomplete: number;
  }
  export interface ScrapeData extends AnnounceUpdate {
    downloaded: number;
  }
  /** A simple-peer instance. */
  export interface TrackerPeer extends EventEmitter {
    id: string;
    destroy(): void;
  }
  export default class Client extends EventEmitter {
    constructor(options: TrackerClientOptions);
    start(options?: object): void;
    stop(options?: object): void;
    complete(options?: object): void;
    update(options?: object): void;
    scrape(options?: { infoHash?: string[] }): void;
    destroy(callback?: (err?: Error) => void): void;
    on(event: 'update', listener: (data: AnnounceUpdate) => void): this;
    on(event: 'scrape', listener: (data: ScrapeData) => void): this;
    on(event: 'peer', listener: (peer: TrackerPeer) => void): this;
    on(event: 'warning' | 'error', listener: (err: Error) => void): this;
  }
}

declare module 'webtorrent' {
  import { EventEmitter } from 'node:events';
  export interface WebTorrentOptions {
    dht?: boolean;
    lsd?: boolean;
    utPex?: boolean;
    natUpnp?: boolean;
    natPmp?: boolean;
    utp?: boolean;
    webSeeds?: boolean;
    tracker?: { rtcConfig?: object };
  }
  export interface TorrentOptions {
    name?: string;
    announce?: string[];
    path?: string;
  }
  export interface Torrent extends EventEmitter {
    infoHash: string;
    torrentFile: Uint8Array;
    progress: number;
    done: boolean;
    numPeers: number;
    files: Array<{ name: string; length: number; arrayBuffer(): Promise<ArrayBuffer> }>;
    /** `host:port` of a TCP peer (Node only); throws before the `infoHash` event. */
    addPeer(address: string): boolean;
  }
  export default class WebTorrent extends EventEmitter {
    constructor(options?: WebTorrentOptions);
    seed(input: Uint8Array, options: TorrentOptions, onseed: (torrent: Torrent) => void): Torrent;
    add(torrentId: Uint8Array | string, options: TorrentOptions): Torrent;
    destroy(callback?: (err?: Error) => void): void;
    /** True once the TCP listener (Node only) is bound; `listening` is emitted then. */
    listening: boolean;
    address(): { address: string; family: string; port: number } | null;
  }
}
