/**
 * The data-channel protocol between two bridges. Every frame is binary; the first byte says what
 * follows:
 *   0x01 control: UTF-8 JSON (`have`, `lost`, `hp`, `req`, `nak`, `cancel`)
 *   0x02 piece:   u32 big-endian request id, then the piece bytes
 * Binary-only framing means one decoder, whatever the WebRTC stack does with strings.
 */
import { HASH_PATTERN, MAX_HAVE_PER_MESSAGE, MAX_HP_PIECES, MAX_PIECE_SIZE, MAX_WIRE_CONTROL_BYTES } from './limits.ts';
import { fail, isRecord, ok, parseJson, type Result } from './result.ts';

export type WireControl =
  /**
   * Assets the sender holds and will serve. A hint, not its whole store: a bridge lists only the
   * assets its current page used (page-bridge/local-have.ts), and serves a `req` for any piece it
   * has stored.
   */
  | { t: 'have'; have: string[] }
  /** Assets the sender no longer holds (its worker evicted them or a deploy dropped them); the shape of signaling's `lost`. */
  | { t: 'lost'; have: string[] }
  /**
   * Pieces of `hash` the sender has stored while it fetches the asset (issue 13): BEP 3's `have`
   * (and, on a new link, its bitfield) for an asset not complete yet. A hint: the sender serves
   * a `req` for any piece it has stored, and holds one for a piece still coming
   * (page-bridge/fetching-now.ts).
   */
  | { t: 'hp'; hash: string; pieces: number[] }
  | { t: 'req'; id: number; hash: string; piece: number }
  | { t: 'nak'; id: number; reason: string }
  | { t: 'cancel'; id: number };

export type WireFrame = { kind: 'control'; message: WireControl } | { kind: 'piece'; id: number; data: Uint8Array };

const CONTROL = 0x01;
const PIECE = 0x02;
const PIECE_HEADER = 5;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeControl(message: WireControl): Uint8Array {
  const json = encoder.encode(JSON.stringify(message));
  const out = new Uint8Array(json.length + 1);
  out[0] = CONTROL;
  out.set(json, 1);
  return out;
}

export function encodePiece(id: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(PIECE_HEADER + data.length);
  out[0] = PIECE;
  new DataView(out.buffer).setUint32(1, id);
  out.set(data, PIECE_HEADER);
  return out;
}

const isId = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= 0xffffffff;

function decodeControl(m: unknown): Result<WireControl> {
  if (!isRecord(m)) return fail('control: not an object');
  switch (m.t) {
    case 'have':
    case 'lost':
      if (!Array.isArray(m.have) || m.have.length > MAX_HAVE_PER_MESSAGE) return fail(`${m.t}: bad list`);
      if (!m.have.every((h) => typeof h === 'string' && HASH_PATTERN.test(h))) return fail(`${m.t}: bad hash`);
      return ok({ t: m.t, have: m.have as string[] });
    case 'hp':
      if (typeof m.hash !== 'string' || !HASH_PATTERN.test(m.hash)) return fail('hp: bad hash');
      if (!Array.isArray(m.pieces) || m.pieces.length > MAX_HP_PIECES) return fail('hp: bad pieces');
      if (!m.pieces.every((p) => typeof p === 'number' && Number.isInteger(p) && p >= 0 && p <= 0xffffff)) return fail('hp: bad piece');
      return ok({ t: 'hp', hash: m.hash, pieces: m.pieces as number[] });
    case 'req':
      if (!isId(m.id) || typeof m.hash !== 'string' || !HASH_PATTERN.test(m.hash)) return fail('req: bad fields');
      if (typeof m.piece !== 'number' || !Number.isInteger(m.piece) || m.piece < 0) return fail('req: bad piece');
      return ok({ t: 'req', id: m.id, hash: m.hash, piece: m.piece });
    case 'nak':
      if (!isId(m.id) || typeof m.reason !== 'string') return fail('nak: bad fields');
      return ok({ t: 'nak', id: m.id, reason: m.reason.slice(0, 200) });
    case 'cancel':
      return isId(m.id) ? ok({ t: 'cancel', id: m.id }) : fail('cancel: bad id');
    default:
      return fail('control: unknown t');
  }
}

/** Decodes one data-channel message. Never throws. */
export function decodeFrame(bytes: Uint8Array): Result<WireFrame> {
  if (bytes.length === 0) return fail('empty frame');
  if (bytes[0] === PIECE) {
    if (bytes.length < PIECE_HEADER) return fail('piece: short header');
    if (bytes.length - PIECE_HEADER > MAX_PIECE_SIZE) return fail('piece: too large');
    const id = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(1);
    return ok({ kind: 'piece', id, data: bytes.subarray(PIECE_HEADER) });
  }
  if (bytes[0] === CONTROL) {
    if (bytes.length - 1 > MAX_WIRE_CONTROL_BYTES) return fail('control: too large');
    let text: string;
    try {
      text = decoder.decode(bytes.subarray(1));
    } catch {
      return fail('control: not UTF-8');
    }
    const parsed = parseJson(text);
    if (!parsed.ok) return parsed;
    const message = decodeControl(parsed.value);
    return message.ok ? ok({ kind: 'control', message: message.value }) : message;
  }
  return fail(`unknown frame kind ${bytes[0]}`);
}
