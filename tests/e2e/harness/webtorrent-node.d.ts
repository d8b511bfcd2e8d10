/** What the lying seeder uses of Node WebTorrent beyond tests/unit/tracker-clients.d.ts. */
import 'webtorrent';

declare module 'webtorrent' {
  export interface TorrentOptions {
    /** An abstract-chunk-store constructor. */
    store?: new (
      chunkLength: number,
      opts: { length?: number },
    ) => object;
    /** Mark every piece as present without reading the store. */
    skipVerify?: boolean;
  }
  export interface Torrent {
    uploaded: number;
  }
}
