/**
 * The life of one accepted socket, whichever protocol it speaks: every frame goes through the
 * gate to the protocol, and every way the connection can end (the client's close, a violation,
 * silence, a failed send, a bug of ours, shutdown) ends it exactly once and closes that socket
 * alone. Nothing here throws to the runtime. A protocol extends it with what it does with a text
 * frame, how it tells a client why it is cut off, and what it leaves when it ends.
 */

import type { Clock } from '../../../protocol/clock.ts';
import { type Failure, fail } from '../../../protocol/result.ts';
import {
  CLOSE_GOING_AWAY,
  CLOSE_INTERNAL_ERROR,
  CLOSE_POLICY_VIOLATION,
  type ClientConnection,
  type ClientSocket,
} from './client-socket.ts';
import { FrameGate, type FrameRefusalCode, type FrameRules, type GateState } from './frame-gate.ts';

/** Why the socket layer itself cuts a client off, whatever its protocol. */
export type SocketErrorCode = FrameRefusalCode | 'idle' | 'internal' | 'slow-reader';

export abstract class SocketConnection<C extends string> implements ClientConnection {
  private ended = false;
  private readonly gate: FrameGate;

  protected constructor(
    private readonly socket: ClientSocket,
    protected readonly clock: Clock,
    private readonly rules: FrameRules,
    restored?: GateState,
  ) {
    const heard = socket.lastHeardAt ? () => socket.lastHeardAt?.() ?? null : undefined;
    const idle = (failure: Failure<'idle'>): void => {
      if (!this.ended) this.violate(failure);
    };
    this.gate = new FrameGate(rules, clock, idle, restored, heard);
  }

  get isClosed(): boolean {
    return this.ended;
  }

  receive(data: unknown): void {
    if (this.ended) return;
    try {
      const now = this.clock.now();
      const text = this.gate.admit(data, now);
      if (typeof text === 'string') this.handleText(text, now);
      else this.violate(text);
    } catch (err) {
      // A bug in our code, not the client's fault: close this socket only, keep serving others.
      console.error(`${this.rules.protocol}: internal error handling a frame`, err);
      this.tell(fail('internal error', 'internal'));
      this.end();
      this.closeSocket(CLOSE_INTERNAL_ERROR, 'internal-error');
    }
  }

  socketClosed(): void {
    this.end();
  }

  shutdown(): void {
    if (this.ended) return;
    this.end();
    this.closeSocket(CLOSE_GOING_AWAY, 'server-closing');
  }

  /** What the protocol does with one text frame the gate admitted. */
  protected abstract handleText(text: string, now: number): void;

  /** Sends the client the protocol's own message saying why it is refused. */
  protected abstract tell(failure: Failure<C | SocketErrorCode>): void;

  /** The reason in the close frame that follows a refusal (at most 123 bytes). */
  protected abstract closeReason(failure: Failure<C | SocketErrorCode>): string;

  /** Leaves whatever the connection joined; runs once, when it ends. */
  protected abstract leave(): void;

  /** One message saying why, then a 1008 close of this socket alone. */
  protected violate(failure: Failure<C | SocketErrorCode>): void {
    this.tell(failure);
    this.end();
    this.closeSocket(CLOSE_POLICY_VIOLATION, this.closeReason(failure));
  }

  /**
   * True when the runtime holds more than `rules.maxBufferedBytes` queued for this socket: its
   * client is not reading. Such a socket is sent nothing more (`sendText` closes it instead).
   */
  get backlogged(): boolean {
    const max = this.rules.maxBufferedBytes;
    return max !== undefined && this.socket.bufferedAmount !== undefined && this.socket.bufferedAmount() > max;
  }

  /**
   * Sends one message, unless the socket's queue is past its bound: then the connection ends and
   * the socket is closed (1008 `slow-reader`) with nothing more queued, so one client that stops
   * reading cannot make the server hold its messages without end.
   */
  protected sendText(text: string): void {
    if (this.ended) return;
    if (this.backlogged) return this.cutOffSlowReader();
    try {
      this.socket.send(text);
    } catch {
      // The socket died under us (its close event may still be on its way): end it now.
      this.end();
      this.closeSocket(CLOSE_INTERNAL_ERROR, 'send-failed');
    }
  }

  /** Ends a connection whose client stopped reading; no message first, since it would only queue. */
  protected cutOffSlowReader(): void {
    if (this.ended) return;
    this.end();
    this.closeSocket(CLOSE_POLICY_VIOLATION, 'slow-reader');
  }

  /** The part of a snapshot that changes with every frame. */
  protected gateState(): GateState {
    return this.gate.state();
  }

  /** Stops the gate and leaves, once. Does not touch the socket. */
  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.gate.stop();
    this.leave();
  }

  private closeSocket(code: number, reason: string): void {
    try {
      this.socket.close(code, reason);
    } catch {
      // Already closing or closed: nothing left to do.
    }
  }
}
