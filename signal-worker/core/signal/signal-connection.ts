/**
 * One signaling connection: the per-socket state machine in front of the swarm index. Frames
 * reach it through the shared socket layer (rate, idle and size checks, ../socket/); it decodes
 * them and turns any violation into one `error` message followed by closing that socket alone.
 */

import type { Clock } from '../../../protocol/clock.ts';
import { REPORT_BURST, REPORT_REFILL_MS } from '../../../protocol/limits.ts';
import { type Failure, fail } from '../../../protocol/result.ts';
import {
  type ClientMessage,
  decodeClientMessage,
  encodeMessage,
  type ParkedOffer,
  type ServerMessage,
  type SignalErrorCode,
} from '../../../protocol/signal-messages.ts';
import type { ClientSocket } from '../socket/client-socket.ts';
import type { FrameRules, GateState } from '../socket/frame-gate.ts';
import { SocketConnection, type SocketErrorCode } from '../socket/socket-connection.ts';
import { TokenBucket } from '../socket/token-bucket.ts';
import type { P2pSwitch } from '../stats/p2p-switch.ts';
import type { UsageBoard } from '../stats/usage-board.ts';
import type { PeerSink, SwarmIndex, SwarmPeer } from './swarm-index.ts';

/**
 * Everything a connection holds, as plain data: a runtime that evicts idle objects while their
 * sockets stay open (Cloudflare's WebSocket hibernation) stores it and rebuilds the connection.
 */
export interface SignalSnapshot extends GateState {
  /** Null until `join` succeeded. */
  peer: { swarm: string; peerId: string; have: string[]; offers: ParkedOffer[] } | null;
}

/** What every connection of one hub shares. */
export interface SignalContext {
  index: SwarmIndex;
  rules: FrameRules;
  clock: Clock;
  onEnd: (connection: SignalConnection) => void;
  /** Called when what `snapshot()` returns changed beyond the gate's state, or the connection ended. */
  onChange?: ((connection: SignalConnection) => void) | undefined;
  /** The hub's statistics (reports, joins, relays, messages, errors): the dashboard's and metrics' source. */
  usage: UsageBoard;
  /** Each swarm's P2P mode, told to joiners in `joined`. */
  p2p: P2pSwitch;
}

export interface SignalConnectionOptions {
  /** The swarm the socket was opened for (a sharded server routes by it): any other `join` is refused. */
  swarm?: string;
  /** Rebuilds the connection as it was when this snapshot was taken. */
  restored?: SignalSnapshot;
  /** The client's address (from the runtime, or a trusted proxy's header); null or absent when unknown. */
  address?: string | null;
  /** The hub refused the socket (a connection cap): it is told why and closed at once. */
  refused?: Failure<SignalErrorCode>;
}

type JoinMessage = Extract<ClientMessage, { type: 'join' }>;

export class SignalConnection extends SocketConnection<SignalErrorCode> implements PeerSink {
  private peer: SwarmPeer | null = null;
  /** Reports this connection may still send (REPORT_BURST, one back every REPORT_REFILL_MS); made on its first report. */
  private reports: TokenBucket | null = null;

  constructor(
    socket: ClientSocket,
    private readonly context: SignalContext,
    private readonly options: SignalConnectionOptions = {},
  ) {
    super(socket, context.clock, context.rules, options.restored);
    if (options.refused) this.violate(options.refused);
    else if (options.restored?.peer) this.rejoin(options.restored.peer);
  }

  /** The client's address, null when the runtime did not say. */
  get address(): string | null {
    return this.options.address ?? null;
  }

  /** The joined swarm's id, or null before `join` succeeds. */
  get swarmId(): string | null {
    return this.peer?.swarm.id ?? null;
  }

  /** The joined peer id, or null before `join` succeeds. */
  get peerId(): string | null {
    return this.peer?.peerId ?? null;
  }

  deliver(message: ServerMessage): boolean {
    if (this.isClosed) return false;
    // A socket past its queue bound is closed by sendText instead, with nothing sent.
    this.sendText(encodeMessage(message));
    // Another peer's `want` consumed one of our parked offers.
    if (message.type === 'offer-used') this.changed();
    return !this.isClosed;
  }

  lastHeardAt(): number {
    return this.gateState().lastSeen;
  }

  evict(failure: Failure<'evicted'>): void {
    if (!this.isClosed) this.violate(failure);
  }

  /** The part of the snapshot that changes with every frame, cheap enough to take after each. */
  clockState(): GateState {
    return this.gateState();
  }

  snapshot(): SignalSnapshot {
    const peer = this.peer;
    return {
      ...this.gateState(),
      peer:
        peer && !peer.left
          ? { swarm: peer.swarm.id, peerId: peer.peerId, have: [...peer.haves], offers: peer.offers.map((o) => ({ ...o })) }
          : null,
    };
  }

  protected handleText(text: string, now: number): void {
    // Never `too-large` here: the gate already refused anything longer than maxMessageChars,
    // which the limits keep at or below the decoder's own size limit.
    this.context.usage.message();
    const decoded = decodeClientMessage(text);
    if (!decoded.ok) return this.violate(fail(decoded.error, 'malformed'));
    this.dispatch(decoded.value, now);
  }

  private dispatch(message: ClientMessage, now: number): void {
    if (message.type === 'join') {
      return this.peer ? this.violate(fail('join sent twice', 'already-joined')) : this.join(message, now);
    }
    const peer = this.peer;
    if (!peer) return this.violate(fail(`${message.type} before join`, 'not-joined'));
    switch (message.type) {
      case 'ping':
        return this.send({ type: 'pong' });
      case 'have': {
        const added = this.context.index.addHaves(peer, message.have);
        return added.ok ? this.changed() : this.violate(added);
      }
      case 'lost':
        this.context.index.removeHaves(peer, message.have);
        return this.changed();
      case 'offers':
        this.context.index.parkOffers(peer, message.offers);
        return this.changed();
      case 'want': {
        if (message.fetching !== true) {
          const peers = this.context.index.want(peer, message.hash, message.exclude, now);
          return this.send({ type: 'peers', hash: message.hash, peers });
        }
        // Its rank among the asset's fetchers: which share of it the origin gives it (page-bridge/schedule/origin-share.ts).
        const rank = this.context.index.rankOf(peer, message.hash);
        const peers = this.context.index.want(peer, message.hash, message.exclude, now, true);
        return this.send({ type: 'peers', hash: message.hash, peers, rank });
      }
      case 'signal': {
        // A target that has left is not an error: the sender's connect attempt simply times out.
        // One that stopped reading is cut off, and the sender told (not fatal to the sender).
        const relayed = this.context.index.relay(peer, message.to, message.connId, message.sdp);
        if (!relayed.ok) this.tell(relayed);
        else this.context.usage.relayed(peer.swarm.id, now);
        return;
      }
      case 'report':
        return this.report(peer.swarm.id, message, now);
    }
  }

  private join(message: JoinMessage, now: number): void {
    const expected = this.options.swarm;
    if (expected !== undefined && message.swarm !== expected) {
      return this.violate(fail(`join.swarm differs from the swarm in the socket's URL (?swarm=${expected})`, 'malformed'));
    }
    const joined = this.context.index.join(message.swarm, message.peerId, this, message.have, message.offers, this.address);
    if (!joined.ok) return this.violate(joined);
    this.peer = joined.value.peer;
    this.context.usage.joined(message.swarm, now);
    const peers = this.context.index.introduce(joined.value.peer, message.introduce, now);
    const mode = this.context.p2p.modeOf(message.swarm);
    this.send({ type: 'joined', peerId: message.peerId, swarmSize: joined.value.swarmSize, peers, mode });
    this.changed();
  }

  /**
   * Counts a report unless this connection is past its report rate: then it is dropped and the
   * client told (not fatal: a tab that reports at pagehide just after its periodic report loses
   * one report, not its connection).
   */
  private report(swarm: string, report: Extract<ClientMessage, { type: 'report' }>, now: number): void {
    this.reports ??= new TokenBucket(1000 / REPORT_REFILL_MS, REPORT_BURST, now);
    if (!this.reports.take(now)) {
      this.context.usage.reportDropped();
      return this.tell(fail(`more than ${REPORT_BURST} reports in ${REPORT_REFILL_MS * REPORT_BURST} ms`, 'report-dropped'));
    }
    this.context.usage.report(swarm, report, now);
  }

  /** Back into the index as the snapshot had it, without `joined` or introductions: the client saw those. */
  private rejoin(peer: NonNullable<SignalSnapshot['peer']>): void {
    const joined = this.context.index.join(peer.swarm, peer.peerId, this, peer.have, peer.offers, this.address);
    // Possible only if the limits were lowered since: the client rejoins as after any refusal.
    if (!joined.ok) return this.violate(joined);
    this.peer = joined.value.peer;
    // Not a join: this peer was counted when it joined, before the object was evicted.
    this.context.usage.joined(peer.swarm, this.clock.now(), false);
  }

  protected tell(failure: Failure<SignalErrorCode | SocketErrorCode>): void {
    this.context.usage.errorSent(wireCode(failure.code));
    this.send({ type: 'error', code: wireCode(failure.code), message: failure.error.slice(0, 200) });
  }

  protected closeReason(failure: Failure<SignalErrorCode | SocketErrorCode>): string {
    return wireCode(failure.code);
  }

  protected leave(): void {
    if (this.peer) {
      this.context.index.leave(this.peer);
      this.context.usage.left(this.peer.swarm.id, this.clock.now());
    }
    this.context.onEnd(this);
    this.changed();
  }

  private changed(): void {
    this.context.onChange?.(this);
  }

  private send(message: ServerMessage): void {
    this.sendText(encodeMessage(message));
  }
}

/** A binary frame is simply not a signaling message; every other socket-layer code is on the wire as is. */
function wireCode(code: SignalErrorCode | SocketErrorCode): SignalErrorCode {
  return code === 'binary' ? 'malformed' : code;
}
