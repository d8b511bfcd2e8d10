/**
 * One WebSocket of the WebTorrent tracker: rate and size limits, decoding, and dispatch to the
 * index. A malformed request gets a `failure reason` and the connection stays open, as with
 * bittorrent-tracker (one socket carries every torrent of a client, so one bad announce must
 * not cut the others); abuse of the connection itself (binary frames, oversized frames, rate)
 * gets a `failure reason` and closes that socket alone. Never throws to the runtime.
 */
import { decodeTrackerRequest, encodeTrackerResponse, type AnnounceRequest, type TrackerDecodeError, type TrackerResponse } from '../../../protocol/tracker-messages.ts';
import type { Clock } from '../clock.ts';
import { IdleTimer } from '../socket/idle-timer.ts';
import { CLOSE_GOING_AWAY, CLOSE_INTERNAL_ERROR, CLOSE_POLICY_VIOLATION, type SignalSocket } from '../signal/signal-connection.ts';
import { TokenBucket, type TokenBucketState } from '../socket/token-bucket.ts';
import type { TrackerIndex, TrackerMembership, TrackerSink } from './tracker-index.ts';
import type { TrackerLimits } from './tracker-limits.ts';

/** The same two calls the signaling core needs from a runtime's socket. */
export type TrackerSocket = SignalSocket;

/** A tracker connection as plain data (see `SignalSnapshot` for why). */
export interface TrackerSnapshot {
  lastSeen: number;
  bucket: TokenBucketState;
  memberships: TrackerMembership[];
}

export class TrackerConnection implements TrackerSink {
  private closed = false;
  private readonly bucket: TokenBucket;
  private readonly idle: IdleTimer;

  constructor(
    private readonly socket: TrackerSocket,
    private readonly index: TrackerIndex,
    private readonly limits: TrackerLimits,
    private readonly clock: Clock,
    private readonly onEnd: (connection: TrackerConnection) => void = () => {},
    restored?: TrackerSnapshot,
  ) {
    this.bucket = new TokenBucket(limits.messagesPerSecond, limits.messageBurst, clock.now(), restored?.bucket);
    this.idle = new IdleTimer(
      clock,
      limits.peerTtlMs,
      () => {
        if (!this.closed) this.violate(`nothing received for ${limits.peerTtlMs} ms`);
      },
      restored?.lastSeen,
    );
    for (const membership of restored?.memberships ?? []) index.restore(this, membership);
  }

  snapshot(): TrackerSnapshot {
    return { lastSeen: this.idle.lastSeenAt, bucket: this.bucket.snapshot(), memberships: this.index.memberships(this) };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** One frame: a string for a text frame, anything else is a binary frame. */
  receive(data: unknown): void {
    if (this.closed) return;
    try {
      this.handleFrame(data);
    } catch (err) {
      // A bug in our code, not the client's: close this socket only, keep serving the others.
      console.error('tracker: internal error handling a frame', err);
      this.end();
      this.closeSocket(CLOSE_INTERNAL_ERROR, 'internal-error');
    }
  }

  /** The runtime reports the socket closed or errored: its peers leave every swarm. */
  socketClosed(): void {
    this.end();
  }

  shutdown(): void {
    if (this.closed) return;
    this.end();
    this.closeSocket(CLOSE_GOING_AWAY, 'server-closing');
  }

  deliver(response: TrackerResponse): void {
    if (this.closed) return;
    try {
      this.socket.send(encodeTrackerResponse(response));
    } catch {
      // The socket died under us; its close event may still be on its way.
      this.end();
      this.closeSocket(CLOSE_INTERNAL_ERROR, 'send-failed');
    }
  }

  private handleFrame(data: unknown): void {
    const now = this.clock.now();
    this.idle.touch(now);
    if (!this.bucket.take(now)) return this.violate(`more than ${this.limits.messagesPerSecond} messages per second`);
    if (typeof data !== 'string') return this.violate('binary frames are not part of the tracker protocol');
    // Checked before parsing so a huge frame costs no JSON.parse.
    if (data.length > this.limits.maxMessageChars) return this.violate(`message longer than ${this.limits.maxMessageChars} characters`);
    const decoded = decodeTrackerRequest(data);
    if (!decoded.ok) return this.fail(decoded.error);
    const request = decoded.value;
    if (request.action === 'scrape') {
      return this.deliver({ action: 'scrape', files: this.index.scrape(request.infoHashes), flags: { min_request_interval: this.limits.minAnnounceIntervalS } });
    }
    if (request.answer) {
      // An answer gets no response (bittorrent-tracker's client expects none).
      const relayed = this.index.relayAnswer(request.infoHash, request.peerId, this, request.answer, now);
      return relayed.ok ? undefined : this.fail({ reason: relayed.reason, action: 'announce', infoHash: request.infoHash });
    }
    this.announce(request, now);
  }

  private announce(request: AnnounceRequest, now: number): void {
    const capped = { ...request, numwant: Math.min(request.numwant, this.limits.maxOffers) };
    // The response goes out before the offers are forwarded, as bittorrent-tracker orders them.
    const outcome = this.index.announce(capped, this, now);
    if (!outcome.ok) return this.fail({ reason: outcome.reason, action: 'announce', infoHash: request.infoHash });
    this.deliver({
      action: 'announce',
      info_hash: request.infoHash,
      interval: this.limits.announceIntervalS,
      'min interval': this.limits.minAnnounceIntervalS,
      complete: outcome.complete,
      incomplete: outcome.incomplete,
    });
  }

  /**
   * A refused request. With `action` and `info_hash` the client shows it as a warning for that
   * torrent; without them bittorrent-tracker's client treats the socket as broken and reconnects.
   */
  private fail(error: TrackerDecodeError): void {
    const response: Extract<TrackerResponse, { 'failure reason': string }> = { 'failure reason': error.reason.slice(0, 200) };
    if (error.action) response.action = error.action;
    if (error.infoHash !== undefined) response.info_hash = error.infoHash;
    this.deliver(response);
  }

  private violate(reason: string): void {
    this.fail({ reason });
    this.end();
    this.closeSocket(CLOSE_POLICY_VIOLATION, reason.slice(0, 100));
  }

  /** Leaves every swarm and stops the timer, once. Does not touch the socket. */
  private end(): void {
    if (this.closed) return;
    this.closed = true;
    this.idle.stop();
    this.index.dropSink(this);
    this.onEnd(this);
  }

  private closeSocket(code: number, reason: string): void {
    try {
      this.socket.close(code, reason);
    } catch {
      // Already closing or closed.
    }
  }
}
