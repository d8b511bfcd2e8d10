/**
 * What this tab may upload in one page view (protocol/limits.ts, "a tab against hostile peers"):
 * a piece already sent to a peer is not sent to it again, each peer and the tab as a whole have a
 * byte budget, and each has a rate (token buckets refilled on the Clock). A refusal is a code the
 * link sends as its `nak` reason, so the downloader asks another holder or the origin.
 */
import { type Clock, timerClock } from '../protocol/clock.ts';
import {
  UPLOAD_BURST_PER_PAGE_VIEW_BYTES,
  UPLOAD_BURST_PER_PEER_BYTES,
  UPLOAD_BYTES_PER_PAGE_VIEW,
  UPLOAD_BYTES_PER_PEER,
  UPLOAD_RATE_PER_PAGE_VIEW_BYTES_PER_S,
  UPLOAD_RATE_PER_PEER_BYTES_PER_S,
} from '../protocol/limits.ts';
import { type Failure, fail, ok, type Success } from '../protocol/result.ts';

/**
 * `duplicate`: this piece was already sent to (or is being sent to) this peer in this page view;
 * `over-budget`: the peer's or the tab's bytes for the page view are spent; `busy`: over a rate.
 */
export type UploadRefusal = 'duplicate' | 'over-budget' | 'busy';

export type UploadDecision = Success<void> | Failure<UploadRefusal>;

/** Bytes (`*Bytes`) and bytes per second (`*Rate`, with a burst in bytes) for one page view. */
export interface UploadLimits {
  perPeerBytes: number;
  perPageBytes: number;
  perPeerRate: number;
  perPeerBurst: number;
  perPageRate: number;
  perPageBurst: number;
}

export const DEFAULT_UPLOAD_LIMITS: UploadLimits = {
  perPeerBytes: UPLOAD_BYTES_PER_PEER,
  perPageBytes: UPLOAD_BYTES_PER_PAGE_VIEW,
  perPeerRate: UPLOAD_RATE_PER_PEER_BYTES_PER_S,
  perPeerBurst: UPLOAD_BURST_PER_PEER_BYTES,
  perPageRate: UPLOAD_RATE_PER_PAGE_VIEW_BYTES_PER_S,
  perPageBurst: UPLOAD_BURST_PER_PAGE_VIEW_BYTES,
};

/** A bucket of `burst` bytes refilled at `perSecond` bytes per second, computed lazily from the clock. */
export class ByteBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly clock: Clock,
    private readonly perSecond: number,
    private readonly burst: number,
  ) {
    this.tokens = burst;
    this.last = clock.now();
  }

  /** Whether `bytes` are available now (refills first; takes nothing). */
  has(bytes: number): boolean {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + (Math.max(0, now - this.last) * this.perSecond) / 1000);
    this.last = now;
    return this.tokens >= bytes;
  }

  take(bytes: number): void {
    this.tokens -= bytes;
  }
}

interface PeerAccount {
  sent: number;
  /** `hash:piece` keys sent or being sent to this peer. Bounded by its byte budget over the piece size. */
  pieces: Set<string>;
  bucket: ByteBucket;
}

const keyOf = (hash: string, piece: number): string => `${hash}:${piece}`;

/**
 * The site owner's say over uploads, asked before every piece: false refuses it (`over-budget`).
 * The bridge's: `download-only` or `off` from the signaling server, and the `--upload-cap`.
 */
export type UploadGate = (bytes: number) => boolean;

export class UploadLedger {
  private readonly peers = new Map<string, PeerAccount>();
  private readonly pageBucket: ByteBucket;
  private sent = 0;

  constructor(
    private readonly clock: Clock = timerClock,
    private readonly limits: UploadLimits = DEFAULT_UPLOAD_LIMITS,
    private readonly gate: UploadGate = () => true,
  ) {
    this.pageBucket = new ByteBucket(clock, limits.perPageRate, limits.perPageBurst);
  }

  /** Bytes uploaded in this page view, to every peer. */
  get uploaded(): number {
    return this.sent;
  }

  /**
   * A request arrived: refused if the piece was already sent to this peer or either byte budget
   * is spent; otherwise the piece counts as this peer's from now on (release() if it is not sent).
   */
  admit(peerId: string, hash: string, piece: number): UploadDecision {
    const account = this.account(peerId);
    const key = keyOf(hash, piece);
    if (account.pieces.has(key)) return fail(`piece ${piece} of ${hash} already sent to this peer`, 'duplicate');
    if (account.sent >= this.limits.perPeerBytes || this.sent >= this.limits.perPageBytes || !this.gate(0))
      return fail('upload budget spent', 'over-budget');
    account.pieces.add(key);
    return ok(undefined);
  }

  /** An admitted piece that will not be sent (not stored, cancelled, refused later). */
  release(peerId: string, hash: string, piece: number): void {
    this.peers.get(peerId)?.pieces.delete(keyOf(hash, piece));
  }

  /** Just before `bytes` go out to `peerId`: charged to both budgets and both rates, or refused. */
  spend(peerId: string, bytes: number): UploadDecision {
    const account = this.account(peerId);
    if (account.sent + bytes > this.limits.perPeerBytes || this.sent + bytes > this.limits.perPageBytes || !this.gate(bytes))
      return fail('upload budget spent', 'over-budget');
    if (!account.bucket.has(bytes) || !this.pageBucket.has(bytes)) return fail('upload rate exceeded', 'busy');
    account.bucket.take(bytes);
    this.pageBucket.take(bytes);
    account.sent += bytes;
    this.sent += bytes;
    return ok(undefined);
  }

  private account(peerId: string): PeerAccount {
    let account = this.peers.get(peerId);
    if (!account) {
      account = { sent: 0, pieces: new Set(), bucket: new ByteBucket(this.clock, this.limits.perPeerRate, this.limits.perPeerBurst) };
      this.peers.set(peerId, account);
    }
    return account;
  }
}
