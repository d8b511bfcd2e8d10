/// <reference path="./torrent-modules.d.ts" />
/**
 * Torrents for large files and media: which files get one, where the tracker and web seed are,
 * and the torrent itself (create-torrent), read back with parse-torrent for its info hash.
 * Only the info dict (name, length, piece length, SHA-1 pieces, private) makes the info hash, and
 * everything in it comes from the file's bytes, its base name and constants here, so the same file
 * always gives the same info hash; the creation date is fixed too, so the whole .torrent is too.
 */
import createTorrent from 'create-torrent';
import parseTorrent from 'parse-torrent';
import { TORRENT_MAX_PIECE_LENGTH, TORRENT_MIN_PIECE_LENGTH, TORRENT_TARGET_PIECES } from '../protocol/limits.ts';
import { urlPathFor } from '../protocol/manifest.ts';
import { DEFAULT_TRACKER_PATH } from '../protocol/routes.ts';

/** Which files get a torrent: `media` = audio/video of any size and any file ≥ the minimum size; `large` = only the latter. */
export type TorrentMode = 'media' | 'large' | 'off';
export const TORRENT_MODES: readonly TorrentMode[] = ['media', 'large', 'off'];

/** The folder, beside the site's files, that holds the `.torrent`s: `<dir>/<asset path>.torrent`. */
export const TORRENT_DIR = 'peer-connect-torrents';

export const TORRENT_CREATED_BY = 'PeerConnect';

/**
 * The `.torrent`'s creation date, fixed so rebuilds give identical bytes (it is outside the info
 * dict, so it never changed the info hash). create-torrent takes 0 as "now", so 1 s past the epoch:
 * plainly not a real date.
 */
export const TORRENT_CREATION_DATE = new Date(1000);

export const isMediaType = (type: string): boolean => /^(audio|video)\//i.test(type);

export function wantsTorrent(file: { size: number; type: string }, mode: TorrentMode, minSize: number): boolean {
  if (mode === 'off' || file.size === 0) return false;
  return file.size >= minSize || (mode === 'media' && isMediaType(file.type));
}

/** 64 KiB, doubled until the file fits in TORRENT_TARGET_PIECES pieces (see protocol/limits.ts). */
export function torrentPieceLength(size: number): number {
  let length = TORRENT_MIN_PIECE_LENGTH;
  while (length < TORRENT_MAX_PIECE_LENGTH && Math.ceil(size / length) > TORRENT_TARGET_PIECES) length *= 2;
  return length;
}

/** Site-relative path of an asset's `.torrent`. */
export const torrentFileFor = (assetPath: string): string => `${TORRENT_DIR}/${assetPath}.torrent`;

const isUrl = (value: string): URL | null => {
  try {
    return new URL(value);
  } catch {
    return null;
  }
};

/**
 * The tracker for the manifest: `--tracker` as given; else the tracker route on `--signal`'s host
 * (same scheme, host and port; path DEFAULT_TRACKER_PATH); else that path on the page's origin,
 * resolved at run time (a path-only `--signal` also leaves it to run time).
 */
export function resolveTracker(tracker: string | null | undefined, signal: string | null | undefined): string {
  if (tracker != null) {
    const url = isUrl(tracker);
    if (!url || (url.protocol !== 'ws:' && url.protocol !== 'wss:') || url.hash !== '') {
      throw new Error(`--tracker must be a ws:// or wss:// URL (a .torrent cannot hold a path), got ${JSON.stringify(tracker)}`);
    }
    return url.href;
  }
  const signalUrl = signal != null ? isUrl(signal) : null;
  if (signalUrl) {
    const scheme =
      signalUrl.protocol === 'https:' || signalUrl.protocol === 'wss:'
        ? 'wss:'
        : signalUrl.protocol === 'http:' || signalUrl.protocol === 'ws:'
          ? 'ws:'
          : null;
    if (scheme) return `${scheme}//${signalUrl.host}${DEFAULT_TRACKER_PATH}`;
  }
  return DEFAULT_TRACKER_PATH;
}

/** `--base-url`: where the site's root is deployed, as a URL that ends with `/`. */
export function resolveBaseUrl(baseUrl: string | null | undefined): URL | null {
  if (baseUrl == null) return null;
  const url = isUrl(baseUrl);
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.search !== '' || url.hash !== '') {
    throw new Error(`--base-url must be an http:// or https:// URL without query or fragment, got ${JSON.stringify(baseUrl)}`);
  }
  if (!url.pathname.endsWith('/')) url.pathname += '/';
  return url;
}

export interface MadeTorrent {
  /** The `.torrent` file's bytes. */
  torrent: Uint8Array;
  infoHash: string;
  pieceLength: number;
}

export interface MakeTorrentOptions {
  /** Site-relative decoded path of the asset: its base name is the torrent's name. */
  assetPath: string;
  /** Absolute `ws:`/`wss:` URL, or null to write no `announce` (the manifest's path is resolved at run time). */
  announce: string | null;
  /** The deployed site root, or null to write no web seed (the bridge uses the asset's own URL). */
  baseUrl: URL | null;
}

/** Makes one file's torrent, streaming it from disk (memory stays at a few pieces). */
export async function makeTorrent(absolutePath: string, size: number, options: MakeTorrentOptions): Promise<MadeTorrent> {
  const pieceLength = torrentPieceLength(size);
  const name = options.assetPath.slice(options.assetPath.lastIndexOf('/') + 1);
  const torrent = await new Promise<Uint8Array>((resolve, reject) => {
    createTorrent(
      absolutePath,
      {
        name,
        pieceLength,
        private: true,
        createdBy: TORRENT_CREATED_BY,
        creationDate: TORRENT_CREATION_DATE,
        // An empty list, never undefined: with neither announce nor announceList, create-torrent
        // adds public trackers, and this torrent's peers are the site's visitors.
        announceList: options.announce ? [[options.announce]] : [],
        ...(options.baseUrl ? { urlList: [new URL(urlPathFor(options.assetPath), options.baseUrl).href] } : {}),
      },
      (err, buffer) => (err ? reject(err) : resolve(buffer)),
    );
  });
  const parsed = await parseTorrent(torrent);
  if (parsed.length !== size || parsed.pieceLength !== pieceLength) {
    throw new Error(`${options.assetPath} changed while its torrent was made (size ${size}, torrent ${parsed.length})`);
  }
  return { torrent, infoHash: parsed.infoHash, pieceLength };
}
