/**
 * One WebSocket to the signaling server per tab: joins the swarm, reconnects with backoff, and
 * turns `want` into a promise. Messages from the server are decoded like any other input.
 */
import { INTRODUCE_ON_JOIN, MAX_HAVE_PER_MESSAGE, PING_INTERVAL_MS } from '../protocol/limits.ts';
import {
  type ClientMessage,
  decodeServerMessage,
  encodeMessage,
  type ParkedOffer,
  type PeerCandidate,
  type ServerMessage,
} from '../protocol/signal-messages.ts';

export type SignalState = 'connecting' | 'open' | 'closed';

export interface SignalClientOptions {
  url: string;
  swarm: string;
  peerId: string;
  newPeerId: () => string;
  /** What to announce on (re)join. */
  joinState: () => Promise<{ have: string[]; offers: ParkedOffer[] }>;
  /**
   * What this tab holds now (asset hashes). Read on `joined`: what was stored or lost between the
   * join's listing and the server's answer was announced into a socket not yet open (dropped),
   * so the difference is announced then.
   */
  held: () => string[];
  onMessage: (message: ServerMessage) => void;
  onState: (state: SignalState) => void;
}

const WANT_TIMEOUT_MS = 2_000;

/** The server's answer to a `want`: `rank` only when the ask registered this tab as fetching. */
export interface WantAnswer {
  peers: PeerCandidate[];
  rank?: number;
}
const MAX_BACKOFF_MS = 30_000;

export class SignalClient {
  state: SignalState = 'connecting';
  private socket: WebSocket | null = null;
  private backoff = 1_000;
  private pingTimer: ReturnType<typeof setInterval> | undefined;
  private readonly wants = new Map<string, Array<(answer: WantAnswer) => void>>();
  private readonly openWaiters: Array<(open: boolean) => void> = [];
  private stopped = false;

  /** Connects only on start(): what its callbacks reach (the peer pool) may be made after it. */
  constructor(private readonly options: SignalClientOptions) {}

  /** Opens the socket and joins; from then on reconnects until stop(). */
  start(): void {
    this.connect();
  }

  send(message: ClientMessage): boolean {
    if (this.state !== 'open' || !this.socket) return false;
    this.socket.send(encodeMessage(message));
    return true;
  }

  /** Announces hashes in batches the server accepts. */
  announce(type: 'have' | 'lost', hashes: string[]): void {
    for (let i = 0; i < hashes.length; i += MAX_HAVE_PER_MESSAGE) this.send({ type, have: hashes.slice(i, i + MAX_HAVE_PER_MESSAGE) });
  }

  /**
   * Resolves true once joined, false if not joined within `ms`. Only the first connection attempt
   * is worth waiting for: once the server has failed us, requests must not wait on reconnects
   * (that would add the wait to every asset while signaling is down).
   */
  whenOpen(ms: number): Promise<boolean> {
    if (this.state === 'open') return Promise.resolve(true);
    if (this.failures > 0 || this.stopped) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => done(false), ms);
      const done = (open: boolean): void => {
        clearTimeout(timer);
        const i = this.openWaiters.indexOf(done);
        if (i >= 0) this.openWaiters.splice(i, 1);
        resolve(open);
      };
      this.openWaiters.push(done);
    });
  }

  /**
   * Asks who holds `hash` (holders first, then peers fetching it); `fetching`: registers this tab
   * as fetching it too, and the answer's `rank` says how many were before it (see
   * protocol/signal-messages.ts). An unanswered or failed ask resolves with no peers.
   */
  want(hash: string, exclude: string[], fetching = false): Promise<WantAnswer> {
    if (!this.send({ type: 'want', hash, exclude, ...(fetching ? { fetching: true } : {}) })) return Promise.resolve({ peers: [] });
    return new Promise((resolve) => {
      const list = this.wants.get(hash) ?? [];
      const timer = setTimeout(() => settle({ peers: [] }), WANT_TIMEOUT_MS);
      const settle = (peers: WantAnswer): void => {
        clearTimeout(timer);
        const i = list.indexOf(settle);
        if (i >= 0) list.splice(i, 1);
        resolve(peers);
      };
      list.push(settle);
      this.wants.set(hash, list);
    });
  }

  stop(): void {
    this.stopped = true;
    this.socket?.close(1000, 'bye');
  }

  private setState(state: SignalState): void {
    this.state = state;
    this.options.onState(state);
    if (state === 'open') for (const w of [...this.openWaiters]) w(true);
  }

  private connect(): void {
    if (this.stopped) return;
    this.setState('connecting');
    let socket: WebSocket;
    try {
      socket = new WebSocket(withSwarm(this.options.url, this.options.swarm));
    } catch {
      return this.retry();
    }
    this.socket = socket;
    socket.onopen = async () => {
      const { have, offers } = await this.options.joinState();
      if (socket.readyState !== WebSocket.OPEN) return;
      const { swarm, peerId } = this.options;
      const listed = have.slice(0, MAX_HAVE_PER_MESSAGE);
      socket.send(encodeMessage({ type: 'join', swarm, peerId, have: listed, offers, introduce: INTRODUCE_ON_JOIN }));
      this.joinedWith = new Set(listed);
      this.caughtUp = false;
    };
    socket.onmessage = (event: MessageEvent) => {
      if (typeof event.data !== 'string') return;
      const decoded = decodeServerMessage(event.data);
      if (!decoded.ok) return console.warn('[peer-connect] dropped signaling message:', decoded.error);
      const message = decoded.value;
      if (message.type === 'joined') {
        this.backoff = 1_000;
        this.failures = 0;
        this.setState('open');
        this.catchUp();
        clearInterval(this.pingTimer);
        this.pingTimer = setInterval(() => this.send({ type: 'ping' }), PING_INTERVAL_MS);
      } else if (message.type === 'peers') {
        const first = this.wants.get(message.hash)?.[0];
        first?.(message.rank === undefined ? { peers: message.peers } : { peers: message.peers, rank: message.rank });
      } else if (message.type === 'error') {
        console.warn(`[peer-connect] signaling error ${message.code}: ${message.message}`);
        // Our previous socket is not yet known dead on the server: come back under a new id.
        if (message.code === 'duplicate-peer-id') this.options.peerId = this.options.newPeerId();
      }
      this.options.onMessage(message);
    };
    socket.onclose = () => {
      clearInterval(this.pingTimer);
      if (this.socket === socket) this.retry();
    };
    socket.onerror = () => undefined; // onclose follows and retries
  }

  /** The hashes the join listed (the server's view of this socket until `joined` is caught up). */
  private joinedWith: ReadonlySet<string> = new Set();
  private caughtUp = false;

  /**
   * On `joined`: announces what the tab holds beyond the join's first batch (the rest of a long
   * listing, and what was stored while the join was on its way) and takes back what it listed and
   * has lost since. Announcements made before `joined` went nowhere (send() drops them).
   */
  private catchUp(): void {
    // Once per join: a repeated `joined` (a buggy or hostile server) re-sends nothing.
    if (this.caughtUp) return;
    this.caughtUp = true;
    const now = this.options.held();
    const nowSet = new Set(now);
    this.announce(
      'have',
      now.filter((h) => !this.joinedWith.has(h)),
    );
    this.announce(
      'lost',
      [...this.joinedWith].filter((h) => !nowSet.has(h)),
    );
  }

  private failures = 0;

  private retry(): void {
    this.failures++;
    this.socket = null;
    this.setState('closed');
    for (const list of this.wants.values()) for (const settle of [...list]) settle({ peers: [] });
    for (const w of [...this.openWaiters]) w(false);
    if (this.stopped) return;
    const delay = this.backoff * (0.75 + Math.random() / 2);
    this.backoff = Math.min(this.backoff * 2, MAX_BACKOFF_MS);
    setTimeout(() => this.connect(), delay);
  }
}

/**
 * The signaling URL with `?swarm=` added unless it has one: a sharded server (Cloudflare, one
 * Durable Object per swarm) must route the socket before it reads `join`. Others ignore it.
 */
export function withSwarm(url: string, swarm: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.searchParams.has('swarm')) parsed.searchParams.set('swarm', swarm);
    return parsed.toString();
  } catch {
    return url; // not a URL the WebSocket constructor takes either; it throws and we retry
  }
}
