/** One simulated browser tab on the signaling server: a WebSocket with message counters, for the load child. */
import WebSocket from 'ws';

export type Json = Record<string, unknown>;

export const counters = { sent: 0, received: 0 };

export class LoadPeer {
  constructor(
    readonly index: number,
    readonly swarm: number,
    readonly id: string,
    readonly ws: WebSocket,
  ) {}

  send(message: Json): void {
    counters.sent++;
    this.ws.send(JSON.stringify(message));
  }

  /** Counts every message the server sends this peer and hands each JSON object to `handle` (anything else is dropped). */
  onJson(handle: (message: Json) => void): void {
    this.ws.on('message', (data) => {
      counters.received++;
      let m: unknown;
      try {
        m = JSON.parse(String(data));
      } catch {
        return;
      }
      if (m && typeof m === 'object') handle(m as Json);
    });
  }
}

/**
 * Opens a socket; resolves null if it does not open within `timeoutMs`. `localAddress` (any of
 * 127/8) makes it come from another client address, as each visitor's tab does.
 */
export function openSocket(url: string, timeoutMs: number, localAddress?: string): Promise<WebSocket | null> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, localAddress === undefined ? { perMessageDeflate: false } : { perMessageDeflate: false, localAddress });
    const timer = setTimeout(() => {
      ws.terminate();
      resolve(null);
    }, timeoutMs);
    ws.once('open', () => {
      clearTimeout(timer);
      resolve(ws);
    });
    ws.once('error', () => {
      clearTimeout(timer);
      resolve(null);
    });
  });
}

/** Resolves with `value` or with `fallback` after `ms`. */
export function within<T>(work: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([work, new Promise<T>((r) => (timer = setTimeout(() => r(fallback), ms)))]).finally(() => clearTimeout(timer));
}

/** Per-peer FIFO of waiters for one kind of reply (the server answers each peer in order). */
export class Replies<T> {
  private readonly waiters = new Map<number, Array<(v: T) => void>>();

  wait(peer: LoadPeer): Promise<T> {
    return new Promise((resolve) => {
      const list = this.waiters.get(peer.index) ?? [];
      list.push(resolve);
      this.waiters.set(peer.index, list);
    });
  }

  deliver(peer: LoadPeer, value: T): void {
    this.waiters.get(peer.index)?.shift()?.(value);
  }
}

/**
 * A loopback address of its own for simulated visitor `i` (127.1.0.0 and up; all of 127/8 is
 * loopback on Linux): the signaling server's per-address caps count each tab as one visitor,
 * as real tabs on their own connections are.
 */
export function visitorAddress(i: number): string {
  return `127.${1 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
}
