/**
 * Per-frame timestamps of our wire protocol, on both browsers, without touching product code:
 * an init script wraps RTCDataChannel's `send` and `onmessage` (which simple-peer uses) and logs
 * each `req` and piece frame (protocol/peer-wire.ts framing) with a clock both processes share
 * (performance.timeOrigin + now: same machine). Node then pairs them up per request id:
 *   requester sends req → uploader receives it → uploader sends the piece → requester receives it
 */
import type { BrowserContext, Page } from 'playwright-core';
import { median, percentile } from '../lib/report/stats.ts';

export interface TapRecord {
  t: number;
  dir: 'in' | 'out';
  kind: 'req' | 'piece';
  id: number;
  /** The channel's bufferedAmount just after a send (out only). */
  queued: number;
}

type TapWindow = Window & { __pcTap?: TapRecord[] };

/** Bounds the log: a 16 MB asset is 256 pieces, 2 records per piece per side. */
const MAX_RECORDS = 20_000;

/** Runs in every page of the context before any page script. */
function installWireTap(max: number): void {
  const w = window as TapWindow;
  w.__pcTap = [];
  const now = (): number => performance.timeOrigin + performance.now();
  const log = (dir: 'in' | 'out', data: unknown, queued: number): void => {
    const tap = w.__pcTap;
    if (!tap || tap.length >= max) return;
    let bytes: Uint8Array | null = null;
    if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
    else if (ArrayBuffer.isView(data)) bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (!bytes || bytes.length < 5) return;
    if (bytes[0] === 0x02) {
      tap.push({ t: now(), dir, kind: 'piece', id: new DataView(bytes.buffer, bytes.byteOffset).getUint32(1), queued });
    } else if (bytes[0] === 0x01 && bytes.length < 300) {
      try {
        const m = JSON.parse(new TextDecoder().decode(bytes.subarray(1))) as { t?: string; id?: number };
        if (m.t === 'req' && typeof m.id === 'number') tap.push({ t: now(), dir, kind: 'req', id: m.id, queued });
      } catch {
        // not one of our control frames (the raw probe shares the channel type)
      }
    }
  };
  const proto = RTCDataChannel.prototype;
  const send = proto.send;
  proto.send = function (this: RTCDataChannel, data: never) {
    send.call(this, data);
    log('out', data, this.bufferedAmount);
  } as typeof proto.send;
  const desc = Object.getOwnPropertyDescriptor(proto, 'onmessage');
  if (!desc?.set || !desc.get) return;
  const { get, set } = desc;
  Object.defineProperty(proto, 'onmessage', {
    configurable: true,
    get(this: RTCDataChannel) {
      return get.call(this);
    },
    set(this: RTCDataChannel, fn: ((ev: MessageEvent) => unknown) | null) {
      set.call(
        this,
        fn
          ? (ev: MessageEvent) => {
              log('in', ev.data, 0);
              return fn.call(this, ev);
            }
          : null,
      );
    },
  });
}

export async function addWireTap(context: BrowserContext): Promise<void> {
  await context.addInitScript(installWireTap, MAX_RECORDS);
}

/** Returns and clears the page's log. */
export function takeTap(page: Page): Promise<TapRecord[]> {
  return page.evaluate(() => {
    const w = window as TapWindow;
    const out = w.__pcTap ?? [];
    w.__pcTap = [];
    return out;
  });
}

export interface PieceTimeline {
  pieces: number;
  /** Medians and p90s, ms. */
  reqTransit: [number, number];
  /** Uploader: request received → piece handed to the channel (storage read + waiting behind earlier pieces). */
  uploaderTurnaround: [number, number];
  /** Piece handed to the channel → piece delivered on the other side. */
  pieceTransit: [number, number];
  /** Median bytes queued on the uploader's channel right after a piece send. */
  queuedAfterSend: number;
  /** Median requests the uploader had received but not yet answered, at each piece send. */
  uploaderBacklog: number;
  /** Requester: first req sent → last piece received, and the rate over that span. */
  spanMs: number;
  /** Uploader: time with no request in hand (idle waiting for the requester), share of the span. */
  uploaderIdleShare: number;
}

const mp = (xs: number[]): [number, number] => [median(xs), percentile(xs, 90)];

export function pieceTimeline(requester: readonly TapRecord[], uploader: readonly TapRecord[]): PieceTimeline {
  const at = (recs: readonly TapRecord[], dir: 'in' | 'out', kind: 'req' | 'piece'): Map<number, TapRecord> =>
    new Map(recs.filter((r) => r.dir === dir && r.kind === kind).map((r) => [r.id, r]));
  const reqOut = at(requester, 'out', 'req');
  const reqIn = at(uploader, 'in', 'req');
  const pieceOut = at(uploader, 'out', 'piece');
  const pieceIn = at(requester, 'in', 'piece');
  const ids = [...pieceIn.keys()].filter((id) => reqOut.has(id) && reqIn.has(id) && pieceOut.has(id)).sort((a, b) => a - b);
  const d = (a: Map<number, TapRecord>, b: Map<number, TapRecord>): number[] => ids.map((id) => b.get(id)!.t - a.get(id)!.t);
  const sends = ids.map((id) => pieceOut.get(id)!.t);
  const arrivals = ids.map((id) => reqIn.get(id)!.t);
  const backlog = sends.map((t) => arrivals.filter((a) => a <= t).length - sends.filter((s) => s < t).length);
  // Idle: the uploader has answered everything it received and waits for the next request.
  let idle = 0;
  for (let k = 0; k + 1 < ids.length; k++) {
    const nextReq = arrivals[k + 1]!;
    if (nextReq > sends[k]!) idle += nextReq - sends[k]!;
  }
  const first = ids.length ? reqOut.get(ids[0]!)!.t : 0;
  const last = ids.length ? Math.max(...ids.map((id) => pieceIn.get(id)!.t)) : 0;
  return {
    pieces: ids.length,
    reqTransit: mp(d(reqOut, reqIn)),
    uploaderTurnaround: mp(d(reqIn, pieceOut)),
    pieceTransit: mp(d(pieceOut, pieceIn)),
    queuedAfterSend: median(ids.map((id) => pieceOut.get(id)!.queued)),
    uploaderBacklog: median(backlog),
    spanMs: last - first,
    uploaderIdleShare: last > first ? idle / (last - first) : Number.NaN,
  };
}
