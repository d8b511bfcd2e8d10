/**
 * Browser side of the "wire alone" measurement: the product's own PeerLink over simple-peer,
 * exactly as the bridge uses them, but driven from here, with no service worker, no
 * MessageChannel and no storage writes in the path. The uploader reads pieces from memory or,
 * like the real bridge, from the worker's IndexedDB (page-bridge/local-pieces.ts).
 */
import Peer, { type SignalData } from '@thaunknown/simple-peer/lite.js';
import { readPiece } from '../../../page-bridge/local-pieces.ts';
import { PeerLink } from '../../../page-bridge/peer-link.ts';
import { PIECE_SIZE } from '../../../protocol/limits.ts';
import { ok } from '../../../protocol/result.ts';
import type { PieceSource, RunResult } from './api.ts';

let peer: Peer | null = null;
let link: PeerLink | null = null;
let linkOpen: Promise<void> = Promise.resolve();
let source: PieceSource = 'memory';
const memoryPiece = crypto.getRandomValues(new Uint8Array(PIECE_SIZE));

const readFrom = (hash: string, index: number): Promise<Uint8Array | null> =>
  source === 'memory' ? Promise.resolve(memoryPiece) : readPiece(hash, index);

function start(initiator: boolean): Promise<string> {
  link?.close();
  peer?.destroy();
  const p = new Peer({ initiator, trickle: false, config: { iceServers: [] } });
  peer = p;
  linkOpen = new Promise((resolve) => {
    p.on('connect', () => {
      link = new PeerLink('probe-remote-peer', p, {
        readPiece: readFrom,
        onUploaded: () => undefined,
        onHave: () => undefined,
        onClose: () => undefined,
        onSettled: () => undefined,
        onViolation: (_l, reason) => console.warn(`probe link violation: ${reason}`),
        // The benchmark sends the same piece again and again on purpose: no page-view budget.
        uploads: { admit: () => ok(undefined), release: () => undefined, spend: () => ok(undefined) },
      });
      resolve();
    });
  });
  return new Promise((resolve) => {
    p.on('signal', (data: SignalData) => {
      if ((data.type === 'offer' || data.type === 'answer') && data.sdp) resolve(data.sdp);
    });
  });
}

export const linkOffer = (): Promise<string> => start(true);

export function linkAnswer(offer: string): Promise<string> {
  const answer = start(false);
  peer?.signal({ type: 'offer', sdp: offer });
  return answer;
}

export function linkAccept(answer: string): void {
  peer?.signal({ type: 'answer', sdp: answer });
}

export function linkOpened(timeoutMs: number): Promise<boolean> {
  return Promise.race([linkOpen.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs))]);
}

export function linkServe(from: PieceSource): void {
  source = from;
}

export async function linkFetch(hash: string, pieces: number, window: number, timeoutMs: number): Promise<RunResult> {
  const l = link;
  if (!l) return { ok: false, bytes: 0, ms: 0, error: 'no link' };
  let next = 0;
  let got = 0;
  let bytes = 0;
  const start = performance.now();
  const done = new Promise<RunResult>((resolve) => {
    const pump = (): void => {
      while (next < pieces && l.inFlight < window) {
        const index = next++;
        l.request(hash, index).then(
          (data) => {
            bytes += data.byteLength;
            if (++got === pieces) resolve({ ok: true, bytes, ms: performance.now() - start });
            else pump();
          },
          (e: unknown) => resolve({ ok: false, bytes, ms: performance.now() - start, error: String(e) }),
        );
      }
    };
    pump();
  });
  return Promise.race([
    done,
    new Promise<RunResult>((r) => setTimeout(() => r({ ok: false, bytes, ms: timeoutMs, error: 'timeout' }), timeoutMs)),
  ]);
}
