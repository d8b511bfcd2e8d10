/**
 * One client connection: the per-socket state machine in front of the swarm index. It enforces
 * the per-connection limits, decodes every frame, and turns any violation into one `error`
 * message followed by closing that socket alone. It never throws to the runtime.
 */
import { decodeClientMessage, encodeMessage, type ClientMessage, type ServerMessage, type SignalErrorCode } from '../../protocol/signal-messages.ts';
import type { Clock } from './clock.ts';
import { IdleTimer } from './idle-timer.ts';
import type { SignalLimits } from './limits.ts';
import type { PeerSink, SwarmIndex, SwarmPeer } from './swarm-index.ts';
import { TokenBucket } from './token-bucket.ts';

/** The little the core needs from a runtime's WebSocket. */
export interface SignalSocket {
  send(text: string): void;
  close(code: number, reason: string): void;
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
  ) {
    this.bucket = new TokenBucket(limits.messagesPerSecond, limits.messageBurst, clock.now());
    this.idle = new IdleTimer(clock, limits.idleTimeoutMs, () => {
      if (this.state !== 'closed') this.violate('idle', `nothing received for ${limits.idleTimeoutMs} ms`);
    });
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
        return added.ok ? undefined : this.violate(added.code, added.message);
      }
      case 'lost':
        return this.index.removeHaves(peer, message.have);
      case 'offers':
        return this.index.parkOffers(peer, message.offers);
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
    const joined = this.index.join(message.swarm, message.peerId, this, message.have, message.offers);
    if (!joined.ok) return this.violate(joined.code, joined.message);
    this.peer = joined.peer;
    this.state = 'joined';
    const peers = this.index.introduce(joined.peer, message.introduce);
    this.send({ type: 'joined', peerId: message.peerId, swarmSize: joined.swarmSize, peers });
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
  }

  private closeSocket(code: number, reason: string): void {
    try {
      this.socket.close(code, reason);
    } catch {
      // Already closing or closed: nothing left to do.
    }
  }
}
