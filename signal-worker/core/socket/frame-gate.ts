/**
 * What every frame passes before a protocol reads it, on both routes: the idle clock is reset,
 * a token is taken from the rate bucket, and a binary or oversized frame is refused before any
 * parsing. It also closes a connection nothing is heard from.
 */

import type { Clock } from '../../../protocol/clock.ts';
import { type Failure, fail } from '../../../protocol/result.ts';
import { IdleTimer } from './idle-timer.ts';
import { TokenBucket, type TokenBucketState } from './token-bucket.ts';

/** The limits a gate enforces, with the protocol's name for its messages. Made once per hub. */
export interface FrameRules {
  /** Names the protocol in refusals: "binary frames are not part of the <protocol> protocol". */
  protocol: string;
  /** Largest text frame, in UTF-16 code units. */
  maxMessageChars: number;
  /** Token-bucket refill rate. */
  messagesPerSecond: number;
  /** Token-bucket capacity. */
  messageBurst: number;
  /** A connection silent for this long is closed. */
  idleTimeoutMs: number;
  /**
   * Bytes the runtime may hold queued for one socket before the connection stops sending and
   * closes it as a slow reader; undefined: no bound of ours (the runtime's own applies).
   */
  maxBufferedBytes?: number;
}

/** The gate's state as plain data, so a runtime that evicts idle objects (Cloudflare) can carry it over. */
export interface GateState {
  lastSeen: number;
  bucket: TokenBucketState;
}

export type FrameRefusalCode = 'rate-limited' | 'binary' | 'too-large';

/** A protocol's rules from its limits; `idleTimeoutMs` is named apart because the tracker calls it its peer TTL. */
export function frameRules(
  protocol: string,
  limits: Pick<FrameRules, 'maxMessageChars' | 'messagesPerSecond' | 'messageBurst'>,
  idleTimeoutMs: number,
): FrameRules {
  return {
    protocol,
    maxMessageChars: limits.maxMessageChars,
    messagesPerSecond: limits.messagesPerSecond,
    messageBurst: limits.messageBurst,
    idleTimeoutMs,
  };
}

export class FrameGate {
  private readonly bucket: TokenBucket;
  private readonly idle: IdleTimer;

  /** `onIdle` runs once nothing was heard for `rules.idleTimeoutMs`; `heardElsewhere` see ClientSocket.lastHeardAt. */
  constructor(
    private readonly rules: FrameRules,
    clock: Clock,
    onIdle: (failure: Failure<'idle'>) => void,
    restored?: GateState,
    heardElsewhere?: () => number | null,
  ) {
    this.bucket = new TokenBucket(rules.messagesPerSecond, rules.messageBurst, clock.now(), restored?.bucket);
    const idle = (): void => onIdle(fail(`nothing received for ${rules.idleTimeoutMs} ms`, 'idle'));
    this.idle = new IdleTimer(clock, rules.idleTimeoutMs, idle, restored?.lastSeen, heardElsewhere);
  }

  /**
   * The frame's text, or why it is refused. Not a Result on success: an admitted frame, the
   * hot path, allocates nothing here.
   */
  admit(data: unknown, now: number): string | Failure<FrameRefusalCode> {
    this.idle.touch(now);
    if (!this.bucket.take(now)) return fail(`more than ${this.rules.messagesPerSecond} messages per second`, 'rate-limited');
    if (typeof data !== 'string') return fail(`binary frames are not part of the ${this.rules.protocol} protocol`, 'binary');
    // Checked before parsing so a huge frame costs no JSON.parse.
    if (data.length > this.rules.maxMessageChars) return fail(`message longer than ${this.rules.maxMessageChars} characters`, 'too-large');
    return data;
  }

  state(): GateState {
    return { lastSeen: this.idle.lastSeenAt, bucket: this.bucket.snapshot() };
  }

  stop(): void {
    this.idle.stop();
  }
}
