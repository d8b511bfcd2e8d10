/**
 * Browser side of the raw baseline: one plain RTCPeerConnection with one data channel and the
 * least code that can move bytes, so whatever ours loses against it is ours. Runs in a page
 * (bundled by bundle.ts); no imports from the product.
 */
import type { RunResult } from './api.ts';

/** Keep at most this queued on the channel: the product's own MAX_UPLOAD_BUFFERED_BYTES, so the two compare like with like. */
const HIGH_WATER = 1024 * 1024;
const LOW_WATER = HIGH_WATER / 2;

let pc: RTCPeerConnection | null = null;
let channel: RTCDataChannel | null = null;
let channelOpen: Promise<void> | null = null;
let onMessage: (data: ArrayBuffer) => void = () => undefined;

function adopt(ch: RTCDataChannel): void {
  channel = ch;
  ch.binaryType = 'arraybuffer';
  ch.bufferedAmountLowThreshold = LOW_WATER;
  ch.onmessage = (e: MessageEvent) => {
    if (e.data instanceof ArrayBuffer) onMessage(e.data);
  };
}

/** Non-trickle: wait for ICE gathering to finish so one SDP carries the candidates. */
async function gathered(conn: RTCPeerConnection): Promise<string> {
  if (conn.iceGatheringState !== 'complete') {
    await new Promise<void>((resolve) => {
      const t = setTimeout(resolve, 5_000);
      conn.addEventListener('icegatheringstatechange', () => {
        if (conn.iceGatheringState === 'complete') {
          clearTimeout(t);
          resolve();
        }
      });
    });
  }
  return conn.localDescription?.sdp ?? '';
}

function newConnection(): RTCPeerConnection {
  pc?.close();
  const conn = new RTCPeerConnection({ iceServers: [] });
  pc = conn;
  channelOpen = new Promise((resolve) => {
    const watch = (ch: RTCDataChannel): void => {
      adopt(ch);
      if (ch.readyState === 'open') resolve();
      else ch.addEventListener('open', () => resolve());
    };
    conn.ondatachannel = (e) => watch(e.channel);
    if (channel && channel.readyState !== 'closed') watch(channel);
  });
  return conn;
}

export async function rawOffer(): Promise<string> {
  channel = null;
  const conn = newConnection();
  const ch = conn.createDataChannel('raw');
  adopt(ch);
  // newConnection's promise was created before the channel existed: watch it here too.
  channelOpen = new Promise((resolve) => (ch.readyState === 'open' ? resolve() : ch.addEventListener('open', () => resolve())));
  await conn.setLocalDescription(await conn.createOffer());
  return gathered(conn);
}

export async function rawAnswer(offer: string): Promise<string> {
  channel = null;
  const conn = newConnection();
  await conn.setRemoteDescription({ type: 'offer', sdp: offer });
  await conn.setLocalDescription(await conn.createAnswer());
  return gathered(conn);
}

export function rawAccept(answer: string): void {
  void pc?.setRemoteDescription({ type: 'answer', sdp: answer });
}

export async function rawOpened(timeoutMs: number): Promise<boolean> {
  if (!channelOpen) return false;
  return Promise.race([channelOpen.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs))]);
}

/** Waits until the channel's queue is under LOW_WATER (or it closed). */
function drained(ch: RTCDataChannel): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      ch.removeEventListener('bufferedamountlow', done);
      ch.removeEventListener('close', done);
      resolve();
    };
    ch.addEventListener('bufferedamountlow', done);
    ch.addEventListener('close', done);
  });
}

async function sendPaced(ch: RTCDataChannel, message: Uint8Array<ArrayBuffer>): Promise<void> {
  if (ch.bufferedAmount > HIGH_WATER) await drained(ch);
  ch.send(message);
}

let result: Promise<RunResult> = Promise.resolve({ ok: false, bytes: 0, ms: 0, error: 'not armed' });

export function rawArm(bytes: number): void {
  let got = 0;
  let start = 0;
  result = new Promise((resolve) => {
    onMessage = (data) => {
      if (start === 0) {
        start = performance.now(); // the 1-byte marker: the sender's first send
        return;
      }
      got += data.byteLength;
      if (got >= bytes) {
        onMessage = () => undefined;
        resolve({ ok: true, bytes: got, ms: performance.now() - start });
      }
    };
  });
}

export async function rawSend(bytes: number, messageBytes: number): Promise<void> {
  const ch = channel;
  if (!ch) throw new Error('no raw channel');
  const message = crypto.getRandomValues(new Uint8Array(Math.min(messageBytes, 65_536)));
  const body: Uint8Array<ArrayBuffer> = messageBytes > message.length ? new Uint8Array(messageBytes) : message;
  ch.send(new Uint8Array(1));
  for (let sent = 0; sent < bytes && ch.readyState === 'open'; sent += body.length) await sendPaced(ch, body);
}

export function rawResult(timeoutMs: number): Promise<RunResult> {
  return Promise.race([
    result,
    new Promise<RunResult>((r) => setTimeout(() => r({ ok: false, bytes: 0, ms: timeoutMs, error: 'timeout' }), timeoutMs)),
  ]);
}

/** Request/response, the shape of our wire: a 4-byte request id in, one piece (id first) out. */
export function rawServe(pieceBytes: number): void {
  const piece = new Uint8Array(pieceBytes);
  crypto.getRandomValues(piece.subarray(0, Math.min(pieceBytes, 65_536)));
  const view = new DataView(piece.buffer);
  let queue = Promise.resolve();
  onMessage = (data) => {
    const ch = channel;
    if (!ch || data.byteLength !== 4) return;
    const id = new DataView(data).getUint32(0);
    // Sends stay in request order, each after back-pressure allows it, as PeerLink's drain loop does.
    queue = queue.then(async () => {
      view.setUint32(0, id);
      await sendPaced(ch, piece);
    });
  };
}

export async function rawFetch(pieces: number, window: number, timeoutMs: number): Promise<RunResult> {
  const ch = channel;
  if (!ch) return { ok: false, bytes: 0, ms: 0, error: 'no raw channel' };
  let next = 0;
  let got = 0;
  let bytes = 0;
  const start = performance.now();
  const request = (): void => {
    const m = new Uint8Array(4);
    new DataView(m.buffer).setUint32(0, next++);
    ch.send(m);
  };
  const done = new Promise<RunResult>((resolve) => {
    onMessage = (data) => {
      got++;
      bytes += data.byteLength;
      if (got === pieces) resolve({ ok: true, bytes, ms: performance.now() - start });
      else if (next < pieces) request();
    };
  });
  for (let i = 0; i < Math.min(window, pieces); i++) request();
  const outcome = await Promise.race([
    done,
    new Promise<RunResult>((r) => setTimeout(() => r({ ok: false, bytes, ms: timeoutMs, error: 'timeout' }), timeoutMs)),
  ]);
  onMessage = () => undefined;
  return outcome;
}
