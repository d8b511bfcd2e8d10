// The parts of create-torrent 6.1 and parse-torrent 11.0 the build uses (neither ships types).

declare module 'create-torrent' {
  export interface CreateTorrentOptions {
    /** The info dict's `name` (part of the info hash). Default: the file's base name. */
    name?: string;
    /** Written as whole seconds; a falsy value means "now". */
    creationDate?: Date;
    createdBy?: string;
    comment?: string;
    /** Part of the info hash. */
    private?: boolean;
    pieceLength?: number;
    /** Tiers of tracker URLs. Leaving both this and `announce` undefined adds public trackers. */
    announceList?: string[][];
    announce?: string | string[];
    /** Web seeds (BEP 19). */
    urlList?: string[];
  }
  export default function createTorrent(
    input: string | Uint8Array | Array<string | Uint8Array>,
    options: CreateTorrentOptions,
    callback: (err: Error | null, torrent: Uint8Array) => void,
  ): void;
}

declare module 'parse-torrent' {
  export interface ParsedTorrent {
    infoHash: string;
    name: string;
    announce: string[];
    urlList: string[];
    private?: boolean;
    created?: Date;
    createdBy?: string;
    length: number;
    pieceLength: number;
    lastPieceLength: number;
    /** SHA-1 of each piece, hex. */
    pieces: string[];
    files: Array<{ path: string; name: string; length: number; offset: number }>;
  }
  /** Parses a .torrent file (or a magnet URI or info hash, which the build never passes). */
  export default function parseTorrent(torrentId: Uint8Array | string): Promise<ParsedTorrent>;
}
