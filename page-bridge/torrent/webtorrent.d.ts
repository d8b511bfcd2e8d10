/**
 * The parts of WebTorrent 2.8.5's browser build (`webtorrent/dist/webtorrent.min.js`) the bridge
 * uses. Written here because the package ships no types; checked against lib/torrent.js,
 * lib/file.js and lib/peer.js of that version.
 */
declare module 'webtorrent/dist/webtorrent.min.js' {
  import type { AbstractChunkStore, ChunkStoreOptions } from '../torrent-store/types.ts';

  export interface WebTorrentOptions {
    /** Passed to bittorrent-tracker's client: `rtcConfig` reaches every RTCPeerConnection. */
    tracker?: { rtcConfig?: RTCConfiguration; announce?: string[] } | false;
    dht?: false;
    lsd?: false;
    utp?: false;
    natUpnp?: false;
    natPmp?: false;
    /** false: the torrent's `url-list` is not used; the bridge adds its own web seed. */
    webSeeds?: boolean;
    /** Bytes per second; -1 unlimited. */
    uploadLimit?: number;
    downloadLimit?: number;
    maxConns?: number;
  }

  export interface AddOptions {
    announce?: string[];
    store?: new (chunkLength: number, opts: ChunkStoreOptions) => AbstractChunkStore;
    storeOpts?: Record<string, unknown>;
    /** Nothing is downloaded until something (a file stream) asks for it. */
    deselect?: boolean;
    /** Keep the store's pieces when the torrent is destroyed. */
    destroyStoreOnDestroy?: boolean;
  }

  export interface Wire {
    /** 'webrtc' | 'webSeed' | 'tcpIncoming' | 'tcpOutgoing' | 'utp...' */
    type: string;
    downloaded: number;
    uploaded: number;
    peerId?: string;
    destroy(): void;
    /** A block received (bittorrent-protocol `_onPiece`; web seeds' WebConn too). */
    on(event: 'piece', listener: (index: number, offset: number, block: Uint8Array) => void): this;
    /** Piece bytes sent to this wire's peer. */
    on(event: 'upload', listener: (bytes: number) => void): this;
  }

  export interface TorrentFile {
    readonly length: number;
    readonly name: string;
    /** Yields the file's bytes from `start` to `end` (inclusive), selecting those pieces first. */
    [Symbol.asyncIterator](opts?: { start?: number; end?: number }): AsyncIterator<Uint8Array>;
  }

  export interface Torrent {
    readonly infoHash: string;
    readonly files: TorrentFile[];
    readonly wires: Wire[];
    readonly ready: boolean;
    readonly destroyed: boolean;
    readonly downloaded: number;
    readonly uploaded: number;
    readonly received: number;
    readonly progress: number;
    readonly length: number;
    readonly pieceLength: number;
    addWebSeed(url: string): void;
    removePeer(id: string): void;
    destroy(opts?: { destroyStore?: boolean }, cb?: (err: Error | null) => void): void;
    on(event: 'ready' | 'done' | 'metadata', listener: () => void): this;
    on(event: 'error' | 'warning', listener: (err: Error | string) => void): this;
    on(event: 'download' | 'upload', listener: (bytes: number) => void): this;
    on(event: 'wire', listener: (wire: Wire) => void): this;
    /** A piece passed its SHA-1 and was stored. */
    on(event: 'verified', listener: (index: number) => void): this;
    /**
     * Private in 2.8.5: clears a verified piece's bit so it is fetched again (see
     * torrent-store/types.ts). The only way to un-verify a piece.
     */
    _markUnverified?(index: number): void;
    /** Private: torrent-discovery, whose `tracker` is bittorrent-tracker's client. */
    discovery?: {
      tracker?: {
        on(event: 'update', listener: (data: { complete?: number; incomplete?: number }) => void): void;
        /** A tracker that cannot be reached or refuses the announce (also later WebRTC failures). */
        on(event: 'warning', listener: (err: Error) => void): void;
      };
    };
    once(event: 'ready', listener: () => void): this;
    once(event: 'error', listener: (err: Error | string) => void): this;
    off(event: string, listener: (...args: never[]) => void): this;
  }

  export default class WebTorrent {
    static readonly WEBRTC_SUPPORT: boolean;
    readonly torrents: Torrent[];
    constructor(opts?: WebTorrentOptions);
    add(torrentId: Uint8Array | string, opts?: AddOptions, onTorrent?: (torrent: Torrent) => void): Torrent;
    on(event: 'error', listener: (err: Error | string) => void): this;
    /** Bytes per second for every upload of this client; 0 sends nothing, -1 unlimited. */
    throttleUpload(rate: number): boolean | undefined;
    destroy(cb?: (err: Error | null) => void): void;
  }
}
