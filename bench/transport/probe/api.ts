/**
 * What the transport probe (bench/transport/probe/page.ts, bundled and injected into a visitor's page)
 * exposes as `window.__pcProbe`. Types only, shared by the page bundle and the Node side.
 *
 * Two kinds of connection between the same two browsers, each set up by Node relaying SDP:
 *   raw:  a plain RTCPeerConnection + RTCDataChannel, our own minimal code (the ceiling)
 *   link: simple-peer + the product's PeerLink (page-bridge/peer-link.ts), i.e. our wire protocol
 */
export type ProbeKind = 'raw' | 'link';

/** Where the uploading side's PeerLink reads pieces: a buffer in memory, or the worker's IndexedDB (the real uploader path). */
export type PieceSource = 'memory' | 'idb';

export interface RunResult {
  ok: boolean;
  bytes: number;
  /** On the receiver's clock: from its first request (or the sender's start marker) to the last byte. */
  ms: number;
  error?: string;
}

export interface ProbeApi {
  /** Offering side: resolves with the complete (non-trickle) SDP offer. */
  offer(kind: ProbeKind): Promise<string>;
  /** Answering side: resolves with the complete SDP answer. */
  answer(kind: ProbeKind, offer: string): Promise<string>;
  accept(kind: ProbeKind, answer: string): void;
  /** Resolves true once the data channel is open, false after `timeoutMs`. */
  opened(kind: ProbeKind, timeoutMs: number): Promise<boolean>;

  /** Receiver of a raw stream: counts the next `bytes` bytes (after a 1-byte start marker). */
  rawArm(bytes: number): void;
  /** Sender: the marker, then `bytes` in `messageBytes` messages with bufferedAmount back-pressure. */
  rawSend(bytes: number, messageBytes: number): Promise<void>;
  rawResult(timeoutMs: number): Promise<RunResult>;

  /** Uploader of raw request/response: answers each 4-byte request with one piece from memory. */
  rawServe(pieceBytes: number): void;
  /** Requester: `pieces` requests, `window` outstanding at a time (our protocol's shape, minimal code). */
  rawFetch(pieces: number, window: number, timeoutMs: number): Promise<RunResult>;

  /** Uploader over PeerLink: where its readPiece hook reads from. */
  linkServe(source: PieceSource): void;
  /** Requester over PeerLink: pieces 0..pieces-1 of `hash`, `window` in flight (the bridge keeps 6). */
  linkFetch(hash: string, pieces: number, window: number, timeoutMs: number): Promise<RunResult>;
}

export type ProbeWindow = Window & { __pcProbe?: ProbeApi };
