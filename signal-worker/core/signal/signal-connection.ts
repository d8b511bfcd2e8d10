/**
 * One client connection: the per-socket state machine in front of the swarm index. It enforces
 * the per-connection limits, decodes every frame, and turns any violation into one `error`
 * message followed by closing that socket alone. It never throws to the runtime.
 */
import { decodeClientMessage, encodeMessage, type ClientMessage, type ParkedOffer, type ServerMessage, type SignalErrorCode } from '../../../protocol/signal-messages.ts';
import type { Clock } from '../clock.ts';
import { IdleTimer } from '../socket/idle-timer.ts';
import type { SignalLimits } from './signal-limits.ts';
import type { PeerSink, SwarmIndex, SwarmPeer } from './swarm-index.ts';
import { TokenBucket, type TokenBucketState } from '../socket/token-bucket.ts';

/** The little the core needs from a runtime's WebSocket. */
export interface SignalSocket {
  send(text: string): void;
  close(code: number, reason: string): void;
  /**
   * When the runtime last answered a frame on this socket by itself, never showing it to the
   * core (Cloudflare's WebSocket auto-response to `ping`); it keeps the connection from idling out.
   */
  lastHeardAt?(): number | null;
}

/**
 * Everything a connection holds, as plain data: a runtime that evicts idle objects while their
 * sockets stay open (Cloudflare's WebSocket hibernation) stores it and rebuilds the connection.
 */
export interface SignalSnapshot {
  lastSeen: number;
  bucket: TokenBucketState;
  /** Null until `join` succeeded. */
  peer: { swarm: string; peerId: string; have: string[]; offers: ParkedOffer[] } | null;
}

export interface SignalConnectionOptions {
  /** The swarm the socket was opened for (a sharded server routes by it): any other `join` is refused. */
  swarm?: string;
  /** Rebuilds the connection as it was when this snapshot was taken. */
  restored?: SignalSnapshot;
  /** Called when what `snapshot()` returns changed beyond `lastSeen` and `bucket`, or the connection ended. */
  onChange?: (connection: SignalConnection) => void;
}

/** RFC 6455 close codes we use. */
export const CLOSE_POLICY_VIOLATION = 1008;
export const CLOSE_INTERNAL_ERROR = 1011;
export const CLOSE_GOING_AWAY = 1001;

type State = 'awaiting-join' | 'joined' | 'closed';
type JoinMessage = Extract<ClientMessage, { type: 'join' }>;

export class SignalConnection implements PeerSink {
  private state: State = 'awaiting-join';
  private peer: SwarmPeer | null = null;
  private readonly bucket: TokenBucket;
  private readonly idle: IdleTimer;

  constructor(
    private readonly socket: SignalSocket,
    private readonly index: SwarmIndex,
    private readonly limits: SignalLimits,
    private readonly clock: Clock,
    private readonly onEnd: (connection: SignalConnection) => void = () => {},
    private readonly options: SignalConnectionOptions = {},
  ) {
    const restored = options.restored;
    this.bucket = new TokenBucket(limits.messagesPerSecond, limits.messageBurst, clock.now(), restored?.bucket);
    const heard = socket.lastHeardAt ? () => socket.lastHeardAt?.() ?? null : undefined;
    this.idle = new IdleTimer(
      clock,
      limits.idleTimeoutMs,
      () => {
        if (this.state !== 'closed') this.violate('idle', `nothing received for ${limits.idleTimeoutMs} ms`);
      },
      restored?.lastSeen,
      heard,
    );
    if (restored?.peer) this.rejoin(restored.peer);
  }

  get isClosed(): boolean {
    return this.state === 'closed';
  }

  /** The joined peer id, or null before `join` succeeds. */
  get peerId(): string | null {
    return this.peer?.peerId ?? null;
  }

  /** One frame from the client: a string for a text frame, anything else is a binary frame. */
  receive(data: unknown): void {
    if (this.state === 'closed') return;
    try {
      this.handleFrame(data);
    } catch (err) {
      // A bug in our code, not the client's fault: close this socket only, keep serving others.
      console.error('signal-worker: internal error handling a frame', err);
      this.end();
      this.closeSocket(CLOSE_INTERNAL_ERROR, 'internal-error');
    }
  }

  /** The runtime reports the socket closed (or errored): forget this peer. */
  closed(): void {
    this.end();
  }

  /** Server shutdown: close without blaming the client. */
  shutdown(): void {
    if (this.state === 'closed') return;
    this.end();
    this.closeSocket(CLOSE_GOING_AWAY, 'server-closing');
  }

  deliver(message: ServerMessage): void {
    this.send(message);
    // Another peer's `want` consumed one of our parked offers.
    if (message.type === 'offer-used') this.changed();
  }

  /** The part of the snapshot that changes with every frame, cheap enough to take after each. */
  clockState(): Pick<SignalSnapshot, 'lastSeen' | 'bucket'> {
    return { lastSeen: this.idle.lastSeenAt, bucket: this.bucket.snapshot() };
  }

  snapshot(): SignalSnapshot {
    const peer = this.peer;
    return {
      ...this.clockState(),
      peer: peer && !peer.left ? { swarm: peer.swarm.id, peerId: peer.peerId, have: [...peer.haves], offers: peer.offers.map((o) => ({ ...o })) } : null,
    };
  }

  private handleFrame(data: unknown): void {
    const now = this.clock.now();
    this.idle.touch(now);
    if (!this.bucket.take(now)) {
      return this.violate('rate-limited', `more than ${this.limits.messagesPerSecond} messages per second`);
    }
    if (typeof data !== 'string') return this.violate('malformed', 'binary frames are not part of the signaling protocol');
    // Checked before parsing so a huge frame costs no JSON.parse.
    if (data.length > this.limits.maxMessageChars) {
      return this.violate('too-large', `message longer than ${this.limits.maxMessageChars} characters`);
    }
    const decoded = decodeClientMessage(data);
    if (!decoded.ok) return this.violate(decoded.error === 'too-large' ? 'too-large' : 'malformed', decoded.error);
    this.dispatch(decoded.value);
  }

  private dispatch(message: ClientMessage): void {
    if (message.type === 'join') {
      return this.peer ? this.violate('already-joined', 'join sent twice') : this.join(message);
    }
    const peer = this.peer;
    if (!peer) return this.violate('not-joined', `${message.type} before join`);
    switch (message.type) {
      case 'ping':
        return this.send({ type: 'pong' });
      case 'have': {
        const added = this.index.addHaves(peer, message.have);
        return added.ok ? this.changed() : this.violate(added.code, added.message);
      }
      case 'lost':
        this.index.removeHaves(peer, message.have);
        return this.changed();
      case 'offers':
        this.index.parkOffers(peer, message.offers);
        return this.changed();
      case 'want': {
        const peers = this.index.want(peer, message.hash, message.exclude);
        return this.send({ type: 'peers', hash: message.hash, peers });
      }
      case 'signal':
        // A target that has left is not an error: the sender's connect attempt simply times out.
        this.index.relay(peer, message.to, message.connId, message.sdp);
        return;
    }
  }

  private join(message: JoinMessage): void {
    const expected = this.options.swarm;
    if (expected !== undefined && message.swarm !== expected) {
      return this.violate('malformed', `join.swarm differs from the swarm in the socket's URL (?swarm=${expected})`);
    }
    const joined = this.index.join(message.swarm, message.peerId, this, message.have, message.offers);
    if (!joined.ok) return this.violate(joined.code, joined.message);
    this.peer = joined.peer;
    this.state = 'joined';
    const peers = this.index.introduce(joined.peer, message.introduce);
    this.send({ type: 'joined', peerId: message.peerId, swarmSize: joined.swarmSize, peers });
    this.changed();
  }

  /** Back into the index as the snapshot had it, without `joined` or introductions: the client saw those. */
  private rejoin(peer: NonNullable<SignalSnapshot['peer']>): void {
    const joined = this.index.join(peer.swarm, peer.peerId, this, peer.have, peer.offers);
    // Possible only if the limits were lowered since: the client rejoins as after any refusal.
    if (!joined.ok) return this.violate(joined.code, joined.message);
    this.peer = joined.peer;
    this.state = 'joined';
  }

  private changed(): void {
    this.options.onChange?.(this);
  }

  private violate(code: SignalErrorCode, message: string): void {
    this.send({ type: 'error', code, message: message.slice(0, 200) });
    this.end();
    this.closeSocket(CLOSE_POLICY_VIOLATION, code);
  }

  private send(message: ServerMessage): void {
    if (this.state === 'closed') return;
    try {
      this.socket.send(encodeMessage(message));
    } catch {
      // The socket died under us (its close event may still be on its way): drop the peer now.
      this.end();
      this.closeSocket(CLOSE_INTERNAL_ERROR, 'send-failed');
    }
  }

  /** Leaves the index and stops timers, once. Does not touch the socket. */
  private end(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.idle.stop();
    if (this.peer) this.index.leave(this.peer);
    this.onEnd(this);
    this.changed();
  }

  private closeSocket(code: number, reason: string): void {
    try {
      this.socket.close(code, reason);
    } catch {
      // Already closing or closed: nothing left to do.
    }
  }
}
