/**
 * One WebSocket of the WebTorrent tracker. Frames reach it through the shared socket layer
 * (rate, idle and size checks, ../socket/); abuse of the connection itself (binary, oversized,
 * too many frames, silence) gets a `failure reason` and closes that socket alone. A malformed or
 * refused request gets a `failure reason` and the connection stays open, as with
 * bittorrent-tracker: one socket carries every torrent of a client, so one bad announce must not
 * cut the others.
 *
 * A connection that mints new peer ids faster than `newPeerIdsPerMinute` (past a burst of
 * `newPeerIdBurst`) is cut off the same way as a flood: announcing `started` with a fresh peer id
 * and then `stopped`, over and over, made every offer a new peer to the swarm (two sockets at
 * ~22/s left one tab with 498 RTCPeerConnections).
 */

import type { Clock } from '../../../protocol/clock.ts';
import { type Failure, fail } from '../../../protocol/result.ts';
import {
  type AnnounceRequest,
  decodeTrackerRequest,
  encodeTrackerResponse,
  type TrackerRefusal,
  type TrackerResponse,
} from '../../../protocol/tracker-messages.ts';
import type { AdmitRefusalCode } from '../socket/admission.ts';
import type { ClientSocket } from '../socket/client-socket.ts';
import type { FrameRules, GateState } from '../socket/frame-gate.ts';
import { SocketConnection, type SocketErrorCode } from '../socket/socket-connection.ts';
import { TokenBucket, type TokenBucketState } from '../socket/token-bucket.ts';
import type { TrackerIndex, TrackerIndexCode, TrackerMembership, TrackerSink } from './tracker-index.ts';
import type { TrackerLimits } from './tracker-limits.ts';

/** A tracker connection as plain data (see `SignalSnapshot` for why). */
export interface TrackerSnapshot extends GateState {
  memberships: TrackerMembership[];
  /** The new-peer-id bucket; absent (a runtime that does not store it), it starts full. */
  newPeerIds?: TokenBucketState;
}

/** What every connection of one hub shares. */
export interface TrackerContext {
  index: TrackerIndex;
  limits: TrackerLimits;
  rules: FrameRules;
  clock: Clock;
  onEnd: (connection: TrackerConnection) => void;
}

/** Why a tracker request or connection was refused. */
export type TrackerErrorCode = 'malformed' | 'peer-id-churn' | AdmitRefusalCode | TrackerIndexCode | SocketErrorCode;

/** Where a socket came from, and whether the hub refused it. */
export interface TrackerAcceptOptions {
  /** The client's address (the runtime's, or a trusted proxy header's); null when unknown. */
  address?: string | null;
  /** The hub refused the socket (a connection cap): it is told why and closed at once. */
  refused?: Failure<AdmitRefusalCode>;
}

export class TrackerConnection extends SocketConnection<TrackerErrorCode> implements TrackerSink {
  /** Peer ids this connection may still mint (see the file's comment). */
  private readonly newPeerIds: TokenBucket;

  /** The client's address, counted against the hub's per-address cap; null when unknown. */
  readonly address: string | null;

  constructor(
    socket: ClientSocket,
    private readonly context: TrackerContext,
    restored?: TrackerSnapshot,
    options: TrackerAcceptOptions = {},
  ) {
    super(socket, context.clock, context.rules, restored);
    this.address = options.address ?? null;
    const { limits, clock } = context;
    this.newPeerIds = new TokenBucket(limits.newPeerIdsPerMinute / 60, limits.newPeerIdBurst, clock.now(), restored?.newPeerIds);
    for (const membership of restored?.memberships ?? []) context.index.restore(this, membership);
    if (options.refused) this.violate(options.refused);
  }

  snapshot(): TrackerSnapshot {
    return { ...this.gateState(), memberships: this.context.index.memberships(this), newPeerIds: this.newPeerIds.snapshot() };
  }

  deliver(response: TrackerResponse): void {
    this.sendText(encodeTrackerResponse(response));
  }

  protected handleText(text: string, now: number): void {
    const decoded = decodeTrackerRequest(text);
    if (!decoded.ok) return this.refuse(decoded);
    const request = decoded.value;
    const { index, limits } = this.context;
    if (request.action === 'scrape') {
      return this.deliver({
        action: 'scrape',
        files: index.scrape(request.infoHashes),
        flags: { min_request_interval: limits.minAnnounceIntervalS },
      });
    }
    if (request.answer) {
      // An answer gets no response (bittorrent-tracker's client expects none).
      const relayed = index.relayAnswer(request.infoHash, request.peerId, this, request.answer, now);
      return relayed.ok ? undefined : this.refuse({ ...relayed, action: 'announce', infoHash: request.infoHash });
    }
    this.announce(request, now);
  }

  private announce(request: AnnounceRequest, now: number): void {
    const { index, limits } = this.context;
    if (request.event !== 'stopped' && this.mintsPeerId(request) && !this.newPeerIds.take(now)) {
      return this.violate(fail(`more than ${limits.newPeerIdBurst} new peer ids on one connection`, 'peer-id-churn'));
    }
    const capped = { ...request, numwant: Math.min(request.numwant, limits.maxOffers) };
    // The response goes out before the offers are forwarded, as bittorrent-tracker orders them.
    const outcome = index.announce(capped, this, now);
    if (!outcome.ok) return this.refuse({ ...outcome, action: 'announce', infoHash: request.infoHash });
    this.deliver({
      action: 'announce',
      info_hash: request.infoHash,
      interval: limits.announceIntervalS,
      'min interval': limits.minAnnounceIntervalS,
      complete: outcome.value.complete,
      incomplete: outcome.value.incomplete,
    });
  }

  /** Whether `request` would give this connection a peer id it holds in no torrent. */
  private mintsPeerId(request: AnnounceRequest): boolean {
    const { index } = this.context;
    return !index.isMember(request.infoHash, request.peerId, this) && !index.holdsPeerId(this, request.peerId);
  }

  /**
   * A refused request. With `action` and `info_hash` the client shows it as a warning for that
   * torrent; without them bittorrent-tracker's client treats the socket as broken and reconnects.
   */
  private refuse(refusal: TrackerRefusal<TrackerErrorCode>): void {
    const response: Extract<TrackerResponse, { 'failure reason': string }> = { 'failure reason': refusal.error.slice(0, 200) };
    if (refusal.action) response.action = refusal.action;
    if (refusal.infoHash !== undefined) response.info_hash = refusal.infoHash;
    this.deliver(response);
  }

  protected tell(failure: Failure<TrackerErrorCode>): void {
    this.refuse(failure);
  }

  protected closeReason(failure: Failure<TrackerErrorCode>): string {
    return failure.error.slice(0, 100);
  }

  /** Every peer of this connection leaves its swarm (bittorrent-tracker's synthetic `stopped`). */
  protected leave(): void {
    this.context.index.dropSink(this);
    this.context.onEnd(this);
  }
}
