/**
 * Fakes for the page bridge's unit tests. FakePeer stands in for a simple-peer connection: what
 * the code under test sends is decoded and kept (`sent`, `pieces`), and two fakes can be joined
 * so that two PeerLinks talk our wire protocol to each other. FakePeers is a PeerFactory that
 * keeps every peer a PeerPool makes; RecordingSignal keeps what the pool sends to signaling.
 */
import { EventEmitter } from 'node:events';
import type Peer from '@thaunknown/simple-peer/lite.js';
import type { SignalData } from '@thaunknown/simple-peer/lite.js';
import { PeerLink, type PeerLinkHooks } from '../../../page-bridge/peer-link.ts';
import { type PeerFactory, PeerPool, type SignalSender } from '../../../page-bridge/peer-pool.ts';
import type { HolderLookup } from '../../../page-bridge/piece-requests.ts';
import type { WantAnswer } from '../../../page-bridge/signal-client.ts';
import { UploadLedger } from '../../../page-bridge/upload-budget.ts';
import type { Clock } from '../../../protocol/clock.ts';
import { decodeFrame, type WireControl } from '../../../protocol/peer-wire.ts';
import type { ClientMessage, PeerCandidate } from '../../../protocol/signal-messages.ts';

/** What a visitor holds: hash → its pieces by index (a hole or undefined: that piece is not stored). */
export type StoredPieces = Map<string, ReadonlyArray<Uint8Array | undefined>>;

/** Lets pending `setImmediate` deliveries and promise callbacks run. */
export const tick = (ms = 0): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` until it holds (every few ms), or fails after `ms` with `what`. */
export async function until(check: () => boolean, what: string, ms = 2_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await tick(2);
  }
}

export class FakePeer extends EventEmitter implements Peer {
  connected = false;
  destroyed = false;
  /** What the data channel has queued; a test raises it to hold uploads back. */
  bufferSize = 0;
  /** Control messages sent, decoded. */
  readonly sent: WireControl[] = [];
  /** Piece frames sent: request id and bytes. */
  readonly pieces: Array<{ id: number; data: Uint8Array }> = [];
  /** SDP handed to `signal()`: the other side's offer or answer. */
  readonly signals: SignalData[] = [];
  private remote: FakePeer | null = null;

  /** An initiator makes its offer at once, as simple-peer does once ICE gathering is done. */
  constructor(
    readonly initiator: boolean,
    readonly name: string,
  ) {
    super();
    if (initiator) setImmediate(() => this.emit('signal', { type: 'offer', sdp: `offer from ${name}` }));
  }

  signal(data: SignalData): void {
    this.signals.push(data);
    if (!this.initiator && data.type === 'offer')
      setImmediate(() => this.emit('signal', { type: 'answer', sdp: `answer from ${this.name}` }));
  }

  write(chunk: Uint8Array): boolean {
    this.send(chunk);
    return true;
  }

  send(chunk: Uint8Array): void {
    if (this.destroyed) throw new Error('channel closed');
    const frame = decodeFrame(chunk);
    if (frame.ok) {
      const f = frame.value;
      if (f.kind === 'control') this.sent.push(f.message);
      else this.pieces.push({ id: f.id, data: f.data.slice() });
    }
    const remote = this.remote;
    const copy = chunk.slice();
    if (remote) setImmediate(() => !remote.destroyed && remote.emit('data', copy));
  }

  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.connected = false;
    setImmediate(() => this.emit('close'));
    this.remote?.destroy(); // a closed channel closes at both ends
  }

  /** The data channel opens (simple-peer's `connect`). */
  open(): void {
    this.connected = true;
    this.emit('connect');
  }

  /** What the other side sends reaches this peer as `data`. */
  receive(frame: Uint8Array): void {
    this.emit('data', frame);
  }

  /** Joins two fakes: what one sends, the other receives on the next turn of the event loop. */
  static join(a: FakePeer, b: FakePeer): void {
    a.remote = b;
    b.remote = a;
  }
}

/** A PeerFactory for PeerPool that keeps every peer it makes, in order. */
export class FakePeers {
  readonly made: FakePeer[] = [];
  readonly create: PeerFactory = ({ initiator }) => {
    const peer = new FakePeer(initiator, `peer${this.made.length}`);
    this.made.push(peer);
    return peer;
  };

  last(): FakePeer {
    const peer = this.made[this.made.length - 1];
    if (!peer) throw new Error('the pool made no peer');
    return peer;
  }
}

/** The signaling client as the pool sees it: every message kept, `send` succeeding unless told. */
export class RecordingSignal implements SignalSender {
  readonly sent: ClientMessage[] = [];
  joined = true;
  send(message: ClientMessage): boolean {
    if (!this.joined) return false;
    this.sent.push(message);
    return true;
  }
}

/** Hooks that count what a test usually asserts on; `readPiece` answers from `stored`. */
export interface CountingHooks extends PeerLinkHooks {
  uploaded: number[];
  haveCalls: string[][];
  closed: number;
  settled: number;
  violations: string[];
}

/** `stored`: hash → pieces; a piece not in it is answered `null` (not stored). */
export function countingHooks(stored: StoredPieces = new Map()): CountingHooks {
  const hooks: CountingHooks = {
    uploaded: [],
    haveCalls: [],
    closed: 0,
    settled: 0,
    violations: [],
    readPiece: async (hash, index) => stored.get(hash)?.[index] ?? null,
    onUploaded: (n) => void hooks.uploaded.push(n),
    onHave: (_link, hashes) => void hooks.haveCalls.push(hashes),
    onClose: () => void hooks.closed++,
    onSettled: () => void hooks.settled++,
    onViolation: (_link, reason) => void hooks.violations.push(reason),
    uploads: new UploadLedger(),
  };
  return hooks;
}

/** Two PeerLinks over joined fakes: `near` is the one under test, `far` the other visitor. */
export interface LinkedPair {
  near: PeerLink;
  far: PeerLink;
  nearPeer: FakePeer;
  farPeer: FakePeer;
  nearHooks: CountingHooks;
  farHooks: CountingHooks;
}

/** `farStored`: what the other visitor holds and uploads; `nearClock`: the near link's time (real timers unless given). */
export function linkedPair(farStored: StoredPieces = new Map(), nearClock?: Clock): LinkedPair {
  const nearPeer = new FakePeer(false, 'near');
  const farPeer = new FakePeer(false, 'far');
  FakePeer.join(nearPeer, farPeer);
  const nearHooks = countingHooks();
  const farHooks = countingHooks(farStored);
  return {
    near: new PeerLink('far-peer-id', nearPeer, nearHooks, nearClock),
    far: new PeerLink('near-peer-id', farPeer, farHooks),
    nearPeer,
    farPeer,
    nearHooks,
    farHooks,
  };
}

/** Another visitor reached by the pool under test: its link in the pool, and its own end. */
export interface Holder {
  link: PeerLink;
  far: PeerLink;
  farPeer: FakePeer;
  farHooks: CountingHooks;
}

/**
 * Joins the pool's peer `nearPeer` to another visitor `peerId`'s own PeerLink, which uploads
 * `stored`'s pieces, and opens the channel.
 */
export function attachVisitor(nearPeer: FakePeer, peerId: string, stored: StoredPieces = new Map()): Omit<Holder, 'link'> {
  const farPeer = new FakePeer(false, peerId);
  FakePeer.join(nearPeer, farPeer);
  const farHooks = countingHooks(stored);
  const far = new PeerLink('pool-under-test', farPeer, farHooks);
  farPeer.connected = true;
  nearPeer.open();
  return { far, farPeer, farHooks };
}

/**
 * Opens a link from `pool` to a visitor `peerId` who parked an offer (attachVisitor); that
 * visitor announces `stored`'s hashes.
 */
export async function connectHolder(pool: PeerPool, peers: FakePeers, peerId: string, stored: StoredPieces = new Map()): Promise<Holder> {
  const opened = pool.connectTo(
    [{ peerId, offer: { connId: `conn-${peerId}`, sdp: { type: 'offer', sdp: `offer from ${peerId}` } } }],
    null,
  );
  const visitor = attachVisitor(peers.last(), peerId, stored);
  const link = await opened;
  if (!link) throw new Error(`no link to ${peerId}`);
  visitor.far.sendHave([...stored.keys()]);
  await until(() => [...stored.keys()].every((h) => link.haves.has(h)), `${peerId}'s have`);
  return { link, ...visitor };
}

/** The signaling client as piece requests see it: `open` or not, who `want` names, and the asker's `rank` when it registers as fetching. */
export class FakeLookup implements HolderLookup {
  open = true;
  candidates: PeerCandidate[] = [];
  rank: number | undefined;
  readonly wants: Array<{ hash: string; exclude: string[] }> = [];
  /** The hashes asked with `fetching` (registering the asker as a fetcher). */
  readonly fetching: string[] = [];
  async whenOpen(): Promise<boolean> {
    return this.open;
  }
  async want(hash: string, exclude: string[], fetching = false): Promise<WantAnswer> {
    this.wants.push({ hash, exclude });
    if (fetching) this.fetching.push(hash);
    return fetching && this.rank !== undefined ? { peers: this.candidates, rank: this.rank } : { peers: this.candidates };
  }
}

/** A PeerPool on fakes, and what it did: peers made, messages to signaling, change callbacks. */
export interface TestPool {
  pool: PeerPool;
  peers: FakePeers;
  signal: RecordingSignal;
  /** How many times the pool said its links or bans changed. */
  changes: () => number;
}

/** `have`: what the pool tells each new link it holds. */
export function testPool(options: { parkOffers?: boolean; have?: string[]; stored?: StoredPieces; clock?: Clock } = {}): TestPool {
  const peers = new FakePeers();
  const signal = new RecordingSignal();
  const stored: StoredPieces = options.stored ?? new Map();
  let changes = 0;
  const pool = new PeerPool({
    signal,
    iceServers: [],
    parkOffers: options.parkOffers ?? true,
    localHave: () => options.have ?? [],
    onChange: () => void changes++,
    hooks: {
      readPiece: async (hash, index) => stored.get(hash)?.[index] ?? null,
      onUploaded: () => undefined,
      onHave: () => undefined,
      uploads: new UploadLedger(),
    },
    createPeer: peers.create,
    clock: options.clock,
  });
  return { pool, peers, signal, changes: () => changes };
}
