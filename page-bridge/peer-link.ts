/**
 * One open data channel to another visitor: our wire protocol on top of simple-peer.
 * Downloads: `request()` a piece, resolved when its frame arrives. Uploads: answer the other
 * side's requests from local storage, one at a time, respecting the channel's back-pressure.
 */
import type Peer from '@thaunknown/simple-peer/lite.js';
import { type Clock, timerClock } from '../protocol/clock.ts';
import {
  CHOKE_RETRY_MS,
  MAX_HAVE_PER_MESSAGE,
  MAX_HAVES_PER_LINK,
  MAX_HP_PIECES,
  MAX_HP_PIECES_PER_LINK,
  MAX_PARTIAL_PER_LINK,
  MAX_REQUESTS_IN_FLIGHT_FROM_PEER,
  MAX_UPLOAD_BUFFERED_BYTES,
  PIECE_STALL_TIMEOUT_MS,
  UPLOAD_POLL_MS,
} from '../protocol/limits.ts';
import { decodeFrame, encodeControl, encodePiece, type WireControl } from '../protocol/peer-wire.ts';
import { ThroughputMeter } from './peer-score.ts';
import { UploadQueue } from './schedule/upload-queue.ts';
import type { UploadLedger } from './upload-budget.ts';

export interface PeerLinkHooks {
  /**
   * Bytes of a stored piece, or null when we do not have it (or do not upload). `signal` aborts
   * when the request is withdrawn (`cancel`, the link closed): a read held for a piece still
   * coming (fetching-now.ts) lets go then.
   */
  readPiece(hash: string, index: number, signal?: AbortSignal): Promise<Uint8Array | null>;
  onUploaded(bytes: number): void;
  onHave(link: PeerLink, hashes: string[]): void;
  /** The other side said it has stored more pieces of `hash` (`hp`): a request waiting for a source may go. */
  onPieces?(link: PeerLink, hash: string): void;
  onClose(link: PeerLink): void;
  /** A request of ours finished (piece, refusal or timeout): a slot is free. */
  onSettled(): void;
  /** A protocol violation: the link is closed and the peer not used again. */
  onViolation(link: PeerLink, reason: string): void;
  /** The page view's upload budgets (page-bridge/upload-budget.ts), shared by every link. */
  uploads: Pick<UploadLedger, 'admit' | 'release' | 'spend'>;
  /**
   * This link's upload queue (schedule/upload-queue.ts): fed what the link sends and still
   * queues, asked per request; a request it will not take is `nak choked`. Default: the link's
   * own. One per link, not per tab: measured on loopback, a tab-wide queue let one slow reader
   * (a busy receiving page that leaves its channel full) choke every other link's requests.
   */
  uploadQueue?: Pick<UploadQueue, 'observe' | 'admits'>;
}

/**
 * Why a request of ours to a peer failed: its `nak` reason (`missing`, `busy`, `choked`, an
 * upload-budget refusal), or `timeout`, `cancelled`, `closed`. `choked` is not the peer's
 * failure: its upload queue was full, and it may be asked again after CHOKE_RETRY_MS.
 */
export class PieceRequestError extends Error {
  constructor(readonly code: string) {
    super(LOCAL_FAILURES[code] ?? `peer refused: ${code}`);
  }
}

/** The messages of the failures this side decides (the others are the peer's `nak` reasons). */
const LOCAL_FAILURES: Readonly<Record<string, string>> = { timeout: 'piece timed out', cancelled: 'cancelled', closed: 'link closed' };

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

type Pending = {
  hash: string;
  piece: number;
  resolve: (data: ArrayBuffer) => void;
  reject: (e: Error) => void;
  timer: ReturnType<typeof setTimeout>;
};
/** A queued upload: `read` once its storage read settled; `abort` withdraws a read still held. */
type Upload = { id: number; hash: string; piece: number; abort: AbortController; read?: { data: Uint8Array | null } };

export class PeerLink {
  /** Assets the other side says it holds: at most MAX_HAVES_PER_LINK, one more is a violation. */
  readonly haves = new Set<string>();
  /**
   * Assets the other side is fetching (the signaling server named it a fetcher, or it sent `hp`),
   * with the pieces it said it has stored: at most MAX_PARTIAL_PER_LINK, the oldest forgotten.
   */
  readonly partial = new Map<string, Set<number>>();
  /** What this peer delivered to us, per second of requests in flight (page-bridge/peer-score.ts). */
  readonly throughput: ThroughputMeter;
  lastUsed = Date.now();
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Queued uploads, each with its storage read already started: reads overlap the sends. */
  private readonly uploads: Upload[] = [];
  private uploading = false;
  private closed = false;
  /** Until when (clock ms) the other side choked us: it is not asked meanwhile. */
  private chokedUntil = 0;
  /** Our uploads' queue on this link, and every byte handed to the channel (its drain is measured from it). */
  private readonly ownUploadQueue = new UploadQueue();
  private sentBytes = 0;

  constructor(
    readonly peerId: string,
    private readonly peer: Peer,
    private readonly hooks: PeerLinkHooks,
    private readonly clock: Clock = timerClock,
  ) {
    this.throughput = new ThroughputMeter(clock);
    peer.on('data', (data) => this.onData(data));
    peer.on('close', () => this.close());
    peer.on('error', () => this.close());
  }

  get inFlight(): number {
    return this.pending.size;
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Whether the other side choked our last request within CHOKE_RETRY_MS: ask someone else meanwhile. */
  get choked(): boolean {
    return this.chokedForMs > 0;
  }

  /**
   * Ms left of the other side's choke (0: not choked). Never more than CHOKE_RETRY_MS: a wall
   * clock stepped back does not stretch a choke.
   */
  get chokedForMs(): number {
    const left = this.chokedUntil - this.clock.now();
    return left > 0 && left <= CHOKE_RETRY_MS ? left : 0;
  }

  /**
   * Bytes of our uploads on this link not yet on the wire: the channel's buffer and the pieces
   * read and waiting to be sent (schedule/upload-queue.ts). A read still held for a piece this
   * tab is fetching does not count: it waits for the origin, not for the link.
   */
  get uploadBacklog(): number {
    let bytes = this.closed ? 0 : this.peer.bufferSize;
    for (const u of this.uploads) bytes += u.read?.data?.byteLength ?? 0;
    return bytes;
  }

  private get uploadQueue(): Pick<UploadQueue, 'observe' | 'admits'> {
    return this.hooks.uploadQueue ?? this.ownUploadQueue;
  }

  /**
   * Tells the upload queue what was handed to the channel and is still in its buffer now (what
   * left it is the drain; a read joining the queue is an arrival, not a drain backwards); returns
   * the link's whole backlog (bytes).
   */
  private observeUploads(): number {
    this.uploadQueue.observe(this.clock.now(), this.sentBytes, this.closed ? 0 : this.peer.bufferSize);
    return this.uploadBacklog;
  }

  sendHave(hashes: string[]): void {
    this.sendHashes('have', hashes);
  }

  /** Pieces of `hash` we have stored while fetching it (`hp`). */
  sendPieces(hash: string, pieces: readonly number[]): void {
    for (let i = 0; i < pieces.length; i += MAX_HP_PIECES) this.send({ t: 'hp', hash, pieces: pieces.slice(i, i + MAX_HP_PIECES) });
  }

  /** The other side is fetching `hash` (it may serve its pieces as they land); a complete holder stays one. */
  markFetching(hash: string): void {
    if (!this.haves.has(hash)) this.piecesOf(hash);
  }

  /** Whether the other side holds `hash` whole, or said it has piece `index` of it. */
  hasPiece(hash: string, index: number): boolean {
    return this.haves.has(hash) || this.partial.get(hash)?.has(index) === true;
  }

  /** Whether the other side holds or is fetching `hash`: a source to ask. */
  isSource(hash: string): boolean {
    return this.haves.has(hash) || this.partial.has(hash);
  }

  private piecesOf(hash: string): Set<number> {
    let pieces = this.partial.get(hash);
    if (pieces) return pieces;
    pieces = new Set();
    this.partial.set(hash, pieces);
    while (this.partial.size > MAX_PARTIAL_PER_LINK) this.partial.delete(this.partial.keys().next().value as string);
    return pieces;
  }

  /** Assets we no longer hold: the other side stops asking us for them. */
  sendLost(hashes: string[]): void {
    this.sendHashes('lost', hashes);
  }

  private sendHashes(t: 'have' | 'lost', hashes: string[]): void {
    for (let i = 0; i < hashes.length; i += MAX_HAVE_PER_MESSAGE) this.send({ t, have: hashes.slice(i, i + MAX_HAVE_PER_MESSAGE) });
  }

  request(hash: string, piece: number, timeoutMs = PIECE_STALL_TIMEOUT_MS): Promise<ArrayBuffer> {
    if (this.closed) return Promise.reject(new PieceRequestError('closed'));
    const id = this.nextId++;
    this.lastUsed = Date.now();
    this.throughput.busy();
    const request = new Promise<ArrayBuffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        this.throughput.settled(0, this.pending.size > 0);
        this.send({ t: 'cancel', id });
        reject(new PieceRequestError('timeout'));
      }, timeoutMs);
      this.pending.set(id, { hash, piece, resolve, reject, timer });
      this.send({ t: 'req', id, hash, piece });
    });
    void request.then(this.hooks.onSettled, this.hooks.onSettled);
    return request;
  }

  /** Withdraws our requests for piece `piece` of `hash` (it came from elsewhere): `cancel` on the wire, each rejects. */
  cancel(hash: string, piece: number): void {
    for (const [id, p] of this.pending) {
      if (p.hash !== hash || p.piece !== piece) continue;
      this.pending.delete(id);
      clearTimeout(p.timer);
      this.throughput.settled(0, this.pending.size > 0);
      this.send({ t: 'cancel', id });
      p.reject(new PieceRequestError('cancelled'));
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new PieceRequestError('closed'));
    }
    this.pending.clear();
    // Never sent: the peer may ask for them again on another link.
    for (const u of this.uploads.splice(0)) {
      u.abort.abort();
      this.hooks.uploads.release(this.peerId, u.hash, u.piece);
    }
    this.wakeUploader();
    this.peer.destroy();
    this.hooks.onClose(this);
  }

  /**
   * Straight onto the data channel. simple-peer's stream `write()` holds each message until the
   * channel's buffer is under 64 KiB, i.e. one piece on the wire at a time: measured 6 MB/s per
   * link. We keep up to MAX_UPLOAD_BUFFERED_BYTES queued instead (see drainUploads).
   */
  private send(message: WireControl): void {
    this.sendFrame(encodeControl(message));
  }

  private sendFrame(frame: Uint8Array): void {
    if (this.closed) return;
    try {
      this.peer.send(frame);
      this.sentBytes += frame.byteLength;
    } catch {
      this.close(); // the channel closed under us
    }
  }

  private onData(data: Uint8Array | string): void {
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    const frame = decodeFrame(bytes);
    if (!frame.ok) return this.hooks.onViolation(this, frame.error);
    if (frame.value.kind === 'piece') {
      const p = this.pending.get(frame.value.id);
      if (!p) return; // cancelled or timed out: a late piece is harmless
      this.pending.delete(frame.value.id);
      clearTimeout(p.timer);
      this.throughput.settled(frame.value.data.byteLength, this.pending.size > 0);
      this.lastUsed = Date.now();
      // Copy out of the channel's buffer into a buffer of its own, which can be transferred to the worker.
      p.resolve(frame.value.data.slice().buffer as ArrayBuffer);
      return;
    }
    const m = frame.value.message;
    switch (m.t) {
      case 'have': {
        const added = m.have.filter((h) => !this.haves.has(h));
        if (new Set(added).size + this.haves.size > MAX_HAVES_PER_LINK)
          return this.hooks.onViolation(this, `have: more than ${MAX_HAVES_PER_LINK} assets`);
        for (const h of added) {
          this.haves.add(h);
          this.partial.delete(h);
        }
        this.hooks.onHave(this, m.have);
        return;
      }
      case 'lost':
        // No longer a holder of these (PeerPool.holders); a request already sent gets `nak missing`.
        for (const h of m.have) {
          this.haves.delete(h);
          this.partial.delete(h);
        }
        return;
      case 'hp': {
        if (this.haves.has(m.hash)) return;
        const pieces = this.piecesOf(m.hash);
        for (const p of m.pieces) pieces.add(p);
        // Bounded like a bitfield of the largest asset a request names.
        if (pieces.size > MAX_HP_PIECES * 64) return this.hooks.onViolation(this, 'hp: too many pieces');
        // And all its assets together: the oldest others are forgotten (a hint, not a promise).
        let total = 0;
        for (const p of this.partial.values()) total += p.size;
        for (const [hash, p] of this.partial) {
          if (total <= MAX_HP_PIECES_PER_LINK) break;
          if (hash === m.hash) continue;
          this.partial.delete(hash);
          total -= p.size;
        }
        this.hooks.onPieces?.(this, m.hash);
        return;
      }
      case 'req': {
        // The queue keeps the one being read until its read settles (nextUpload): one more than the limit.
        if (this.uploads.length > MAX_REQUESTS_IN_FLIGHT_FROM_PEER) return this.send({ t: 'nak', id: m.id, reason: 'busy' });
        const admitted = this.hooks.uploads.admit(this.peerId, m.hash, m.piece);
        if (!admitted.ok) return this.send({ t: 'nak', id: m.id, reason: admitted.code });
        // After the budgets: a duplicate or over-budget request gets that answer, which is final.
        if (!this.uploadQueue.admits(this.observeUploads())) {
          this.hooks.uploads.release(this.peerId, m.hash, m.piece);
          return this.send({ t: 'nak', id: m.id, reason: 'choked' });
        }
        const upload: Upload = { id: m.id, hash: m.hash, piece: m.piece, abort: new AbortController() };
        // One callback per upload, whatever happens to the queue meanwhile (nextUpload).
        void this.hooks
          .readPiece(m.hash, m.piece, upload.abort.signal)
          .catch(() => null)
          .then((data) => {
            upload.read = { data };
            this.wakeUploader();
          });
        this.uploads.push(upload);
        void this.drainUploads();
        return;
      }
      case 'cancel': {
        const i = this.uploads.findIndex((u) => u.id === m.id);
        const [cancelled] = i >= 0 ? this.uploads.splice(i, 1) : [];
        if (cancelled) {
          cancelled.abort.abort();
          this.hooks.uploads.release(this.peerId, cancelled.hash, cancelled.piece);
          this.wakeUploader();
        }
        return;
      }
      case 'nak': {
        const p = this.pending.get(m.id);
        if (!p) return;
        this.pending.delete(m.id);
        clearTimeout(p.timer);
        this.throughput.settled(0, this.pending.size > 0);
        if (m.reason === 'choked') this.chokedUntil = this.clock.now() + CHOKE_RETRY_MS;
        p.reject(new PieceRequestError(m.reason));
      }
    }
  }

  /**
   * The first queued upload (in request order) whose read has settled, taken off the queue; waits
   * for one when none has: a read held for a piece this tab is still fetching (fetching-now.ts)
   * must not hold up the pieces it has. Null once the queue is empty or the link closed.
   */
  private async nextUpload(): Promise<{ u: Upload; data: Uint8Array | null } | null> {
    while (this.uploads.length > 0 && !this.closed) {
      const i = this.uploads.findIndex((u) => u.read !== undefined);
      const u = i >= 0 ? this.uploads[i] : undefined;
      if (u?.read) {
        this.uploads.splice(i, 1);
        return { u, data: u.read.data };
      }
      // A read settling, a cancel or the close wakes it.
      await new Promise<void>((resolve) => (this.wakeUploader = resolve));
      this.wakeUploader = () => undefined;
    }
    return null;
  }

  /** Wakes nextUpload's wait when a read settles or the queue changes. */
  private wakeUploader: () => void = () => undefined;

  private async drainUploads(): Promise<void> {
    if (this.uploading) return;
    this.uploading = true;
    try {
      for (let next = await this.nextUpload(); next && !this.closed; next = await this.nextUpload()) {
        const { u, data } = next;
        if (!data) {
          this.hooks.uploads.release(this.peerId, u.hash, u.piece);
          this.send({ t: 'nak', id: u.id, reason: 'missing' });
          continue;
        }
        this.lastUsed = Date.now();
        // Back-pressure: the channel has no "buffer low" event we can reach through simple-peer,
        // so wait in short steps while too much is queued.
        while (!this.closed && this.peer.bufferSize > MAX_UPLOAD_BUFFERED_BYTES) {
          this.observeUploads();
          await sleep(UPLOAD_POLL_MS);
        }
        if (this.closed) {
          // Never sent, as those still queued at close().
          this.hooks.uploads.release(this.peerId, u.hash, u.piece);
          return;
        }
        const spent = this.hooks.uploads.spend(this.peerId, data.byteLength);
        if (!spent.ok) {
          this.hooks.uploads.release(this.peerId, u.hash, u.piece);
          this.send({ t: 'nak', id: u.id, reason: spent.code });
          continue;
        }
        this.sendFrame(encodePiece(u.id, data));
        this.observeUploads();
        this.hooks.onUploaded(data.byteLength);
      }
    } finally {
      this.uploading = false;
    }
  }
}
