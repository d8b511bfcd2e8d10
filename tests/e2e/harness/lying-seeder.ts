/**
 * A lying WebTorrent peer: a Node WebTorrent 2.8.5 client (WebRTC through node-datachannel) that
 * joins a torrent through our tracker claiming every piece, and answers every request with bytes
 * of the right length that are not the file's. The browser must never pass one of them on.
 */
import WebTorrent, { type Torrent } from 'webtorrent';
import { fireEndOfCandidates, LOOPBACK_RTC_CONFIG } from '../../unit/tracker-webrtc.ts';

/** A chunk store whose every chunk is the same wrong byte (abstract-chunk-store's callback API). */
class LyingStore {
  constructor(
    readonly chunkLength: number,
    private readonly opts: { length?: number } = {},
  ) {}
  put(_index: number, _chunk: Uint8Array, cb?: (err: Error | null) => void): void {
    queueMicrotask(() => cb?.(null));
  }
  get(index: number, opts: unknown, cb?: (err: Error | null, chunk?: Uint8Array) => void): void {
    const callback = typeof opts === 'function' ? (opts as typeof cb) : cb;
    const o = (typeof opts === 'object' && opts !== null ? opts : {}) as { offset?: number; length?: number };
    const total = this.opts.length ?? Infinity;
    const chunkSize = Math.min(this.chunkLength, total - index * this.chunkLength);
    const offset = o.offset ?? 0;
    const length = o.length ?? chunkSize - offset;
    queueMicrotask(() => callback?.(null, new Uint8Array(length).fill(0x5a)));
  }
  close(cb?: (err: Error | null) => void): void {
    queueMicrotask(() => cb?.(null));
  }
  destroy(cb?: (err: Error | null) => void): void {
    queueMicrotask(() => cb?.(null));
  }
}

export interface LyingSeeder {
  peerId: string;
  /** Bytes it sent to peers (all of them wrong). */
  uploaded(): number;
  close(): Promise<void>;
}

export async function startLyingSeeder(torrentFile: Uint8Array, trackerUrl: string): Promise<LyingSeeder> {
  fireEndOfCandidates();
  const client = new WebTorrent({
    dht: false,
    lsd: false,
    utp: false,
    natUpnp: false,
    webSeeds: false,
    tracker: { rtcConfig: LOOPBACK_RTC_CONFIG },
  });
  const torrent: Torrent = client.add(Buffer.from(torrentFile), { announce: [trackerUrl], store: LyingStore, skipVerify: true });
  await new Promise<void>((resolve, reject) => {
    torrent.once('ready', () => resolve());
    torrent.once('error', reject);
  });
  return {
    // WebTorrent's peer id as the tracker and the browser see it (hex).
    peerId: (client as unknown as { peerId: string }).peerId,
    uploaded: () => torrent.uploaded,
    close: () => new Promise<void>((resolve) => client.destroy(() => resolve())),
  };
}
