/**
 * A hostile visitor in Node: it joins the real signaling server under its own peer id and speaks
 * our data-channel protocol (protocol/peer-wire.ts) over real WebRTC (simple-peer on
 * node-datachannel, as the tracker tests use), frame by frame, so a test can make it do what no
 * honest bridge does: drip pieces, flood `have`, ask for the same piece again and again, take
 * parked offers and never answer them.
 */
import { randomBytes } from 'node:crypto';
import Peer, { type SignalData } from '@thaunknown/simple-peer/lite.js';
import WebSocket from 'ws';
import { decodeFrame, encodeControl, encodePiece, type WireFrame } from '../../../protocol/peer-wire.ts';
import { type ClientMessage, decodeServerMessage, type PeerCandidate, type ServerMessage } from '../../../protocol/signal-messages.ts';
import { fireEndOfCandidates, LOOPBACK_RTC_CONFIG } from '../../unit/tracker-webrtc.ts';

/** One open data channel to a victim, raw. */
export interface HostileLink {
  remote: string;
  /** Sends one of our frames (encodeControl / encodePiece). */
  send(frame: Uint8Array): void;
  /** Each frame from the victim, decoded (undecodable ones are dropped). */
  onFrame(listener: (frame: WireFrame) => void): void;
  /** True once the victim (or we) closed the channel. */
  readonly closed: boolean;
}

export interface HostileOptions {
  signalUrl: string;
  swarm: string;
  /** Hashes to announce on join and over each link. */
  have?: string[];
  /** Offers to park on join (each a live connection). */
  parkOffers?: number;
  /** Each link as it opens. */
  onLink?(link: HostileLink): void;
}

export interface HostilePeer {
  peerId: string;
  links: HostileLink[];
  /**
   * Opens a link to `victim` by offering through the relay (as a bridge does to a holder with no
   * offer left). An attempt that has not opened in `attemptMs` is dropped and a fresh offer sent,
   * as a client retries: on a busy machine Node's WebRTC sometimes leaves a first attempt
   * half-open. At most `attempts` tries: a hang guard, not a deadline.
   */
  connectTo(victim: string, attemptMs?: number, attempts?: number): Promise<HostileLink>;
  /** Signaling messages as the server sent them. */
  send(message: ClientMessage): void;
  /** The next server message that passes `accept`, within `ms`. */
  next(accept: (m: ServerMessage) => boolean, ms?: number): Promise<ServerMessage>;
  close(): Promise<void>;
}

const newPeerId = (): string => randomBytes(15).toString('base64url');

export async function startHostilePeer(options: HostileOptions): Promise<HostilePeer> {
  fireEndOfCandidates();
  const peerId = newPeerId();
  const ws = new WebSocket(`${options.signalUrl}?swarm=${encodeURIComponent(options.swarm)}`);
  ws.on('error', () => undefined);
  const peers = new Map<string, Peer>();
  const links: HostileLink[] = [];
  const waiters: Array<{ accept: (m: ServerMessage) => boolean; resolve: (m: ServerMessage) => void }> = [];
  const linkWaiters = new Map<string, (link: HostileLink) => void>();
  const send = (m: ClientMessage): void => ws.send(JSON.stringify(m));

  const wireUp = (peer: Peer, connId: string, remote: () => string | null): void => {
    peer.on('error', () => undefined);
    peer.on('connect', () => {
      const who = remote() ?? 'unknown';
      let closed = false;
      const listeners: Array<(f: WireFrame) => void> = [];
      peer.on('close', () => {
        closed = true;
      });
      peer.on('data', (data: Uint8Array | string) => {
        if (typeof data === 'string') return;
        const frame = decodeFrame(new Uint8Array(data));
        if (frame.ok) for (const l of listeners) l(frame.value);
      });
      const link: HostileLink = {
        remote: who,
        send: (frame) => {
          if (closed || peer.destroyed) return;
          try {
            peer.send(frame);
          } catch {
            closed = true; // the victim closed the channel
          }
        },
        onFrame: (l) => void listeners.push(l),
        get closed() {
          return closed || peer.destroyed;
        },
      };
      links.push(link);
      if (options.have?.length) link.send(encodeControl({ t: 'have', have: options.have.slice(0, 512) }));
      options.onLink?.(link);
      linkWaiters.get(connId)?.(link);
    });
  };

  const makeOffer = (connId: string, remote: () => string | null): Promise<string> => {
    const peer = new Peer({ initiator: true, trickle: false, config: LOOPBACK_RTC_CONFIG });
    peers.set(connId, peer);
    wireUp(peer, connId, remote);
    return new Promise((resolve) =>
      peer.on('signal', (data: SignalData) => {
        if (data.type === 'offer' && data.sdp) resolve(data.sdp);
      }),
    );
  };

  const parkedBy = new Map<string, string>();
  ws.on('message', (raw) => {
    const decoded = decodeServerMessage(String(raw));
    if (!decoded.ok) return;
    const m = decoded.value;
    if (m.type === 'offer-used') parkedBy.set(m.connId, m.by);
    if (m.type === 'signal') {
      const existing = peers.get(m.connId);
      if (m.sdp.type === 'answer' && existing) existing.signal(m.sdp);
      else if (m.sdp.type === 'offer' && !existing) {
        // Someone offers to us through the relay: answer it.
        const peer = new Peer({ initiator: false, trickle: false, config: LOOPBACK_RTC_CONFIG });
        peers.set(m.connId, peer);
        wireUp(peer, m.connId, () => m.from);
        peer.on('signal', (data: SignalData) => {
          if (data.type === 'answer' && data.sdp)
            send({ type: 'signal', to: m.from, connId: m.connId, sdp: { type: 'answer', sdp: data.sdp } });
        });
        peer.signal(m.sdp);
      }
    }
    const i = waiters.findIndex((w) => w.accept(m));
    if (i >= 0) waiters.splice(i, 1)[0]?.resolve(m);
  });

  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const next = (accept: (m: ServerMessage) => boolean, ms = 10_000): Promise<ServerMessage> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('hostile peer: no such message from the server')), ms);
      waiters.push({
        accept,
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  const joined = next((m) => m.type === 'joined' || m.type === 'error');
  send({ type: 'join', swarm: options.swarm, peerId, have: (options.have ?? []).slice(0, 512), offers: [], introduce: 0 });
  const j = await joined;
  if (j.type !== 'joined') throw new Error(`hostile peer: join refused: ${JSON.stringify(j)}`);
  const parked = options.parkOffers ?? 0;
  if (parked > 0) {
    const offers = await Promise.all(
      Array.from({ length: parked }, async () => {
        const connId = newPeerId();
        const sdp = await makeOffer(connId, () => parkedBy.get(connId) ?? null);
        return { connId, sdp: { type: 'offer' as const, sdp } };
      }),
    );
    send({ type: 'offers', offers });
  }

  return {
    peerId,
    links,
    send,
    next,
    async connectTo(victim, attemptMs = 10_000, attempts = 6) {
      for (let attempt = 1; ; attempt++) {
        const connId = newPeerId();
        let timer: NodeJS.Timeout | undefined;
        const opened = new Promise<HostileLink | null>((resolve) => {
          timer = setTimeout(() => resolve(null), attemptMs);
          linkWaiters.set(connId, (link) => {
            clearTimeout(timer);
            resolve(link);
          });
        });
        const sdp = await makeOffer(connId, () => victim);
        send({ type: 'signal', to: victim, connId, sdp: { type: 'offer', sdp } });
        const link = await opened;
        if (link) return link;
        linkWaiters.delete(connId);
        peers.get(connId)?.destroy();
        peers.delete(connId);
        if (attempt >= attempts) throw new Error(`hostile peer: no link to ${victim} in ${attempts} attempts`);
      }
    },
    async close() {
      for (const p of peers.values()) p.destroy();
      ws.close();
    },
  };
}

/** A holder list as `want` returns it, for a test that takes offers and never answers. */
export type { PeerCandidate };
export { encodeControl, encodePiece };
