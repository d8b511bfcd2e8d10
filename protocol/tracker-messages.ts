/**
 * The WebTorrent WebSocket tracker protocol, as bittorrent-tracker's server and client speak it
 * (lib/server/parse-websocket.js, lib/client/websocket-tracker.js). JSON text frames; info_hash,
 * peer_id, to_peer_id and offer_id are 20 raw bytes sent as "binary strings" (one char per byte).
 * `decodeTrackerRequest` is the only way in; a malformed request becomes a `TrackerRefusal`
 * carrying what the server needs to answer it with a `failure reason` the client will read.
 */
import { MAX_SDP_CHARS, TRACKER_BINARY_ID_PATTERN, TRACKER_MAX_OFFERS, TRACKER_MAX_SCRAPE_HASHES } from './limits.ts';
import { type Failure, isRecord, type Success } from './result.ts';

/** A 20-byte id as a binary string (what goes over the wire and keys the server's maps). */
export type BinaryId = string;

/** `paused` and `empty` (and no event) mean a plain re-announce, as in bittorrent-tracker. */
export type TrackerEvent = 'started' | 'stopped' | 'completed' | 'update';

export interface TrackerSdp<T extends 'offer' | 'answer'> {
  type: T;
  sdp: string;
}

export interface TrackerOffer {
  offerId: BinaryId;
  offer: TrackerSdp<'offer'>;
}

export interface TrackerAnswer {
  toPeerId: BinaryId;
  offerId: BinaryId;
  answer: TrackerSdp<'answer'>;
}

export interface AnnounceRequest {
  action: 'announce';
  infoHash: BinaryId;
  peerId: BinaryId;
  event: TrackerEvent;
  /** Bytes left; null when the client does not know (it sends `Infinity`, which JSON makes null). */
  left: number | null;
  /** How many of `offers` to hand out: min(numwant, offers, TRACKER_MAX_OFFERS). */
  numwant: number;
  offers: TrackerOffer[];
  /** Set when this announce only carries an answer to an offer the client was given. */
  answer: TrackerAnswer | null;
}

export interface ScrapeRequest {
  action: 'scrape';
  infoHashes: BinaryId[];
}

export type TrackerRequest = AnnounceRequest | ScrapeRequest;

/**
 * A refused request: a failure (`error` is the `failure reason`) with what is known of the
 * request, so the reply reaches the right torrent.
 */
export interface TrackerRefusal<C extends string = 'malformed'> extends Failure<C> {
  action?: 'announce' | 'scrape';
  infoHash?: BinaryId;
}

/** A Result whose failure also names the request's action and torrent when known. */
export type TrackerDecodeResult = Success<TrackerRequest> | TrackerRefusal;

// ---- server → client ----

export interface ScrapeFile {
  complete: number;
  incomplete: number;
  downloaded: number;
}

export type TrackerResponse =
  | { action: 'announce'; info_hash: BinaryId; interval: number; 'min interval': number; complete: number; incomplete: number }
  | { action: 'announce'; info_hash: BinaryId; peer_id: BinaryId; offer_id: BinaryId; offer: TrackerSdp<'offer'> }
  | { action: 'announce'; info_hash: BinaryId; peer_id: BinaryId; offer_id: BinaryId; answer: TrackerSdp<'answer'> }
  | { action: 'scrape'; files: Record<BinaryId, ScrapeFile>; flags: { min_request_interval: number } }
  | { 'failure reason': string; action?: 'announce' | 'scrape'; info_hash?: BinaryId };

export function encodeTrackerResponse(response: TrackerResponse): string {
  return JSON.stringify(response);
}

export function isBinaryId(value: unknown): value is BinaryId {
  return typeof value === 'string' && TRACKER_BINARY_ID_PATTERN.test(value);
}

/** Hex of a binary id, for logs and stats (bittorrent-tracker's `bin2hex`). */
export function binaryIdToHex(id: BinaryId): string {
  let hex = '';
  for (let i = 0; i < id.length; i++) hex += id.charCodeAt(i).toString(16).padStart(2, '0');
  return hex;
}

/** The binary string of a 40-char hex id (bittorrent-tracker's `hex2bin`). */
export function hexToBinaryId(hex: string): BinaryId {
  if (!/^[0-9a-fA-F]{40}$/.test(hex)) throw new TypeError(`not a 20-byte hex id: ${hex}`);
  let out = '';
  for (let i = 0; i < 40; i += 2) out += String.fromCharCode(parseInt(hex.slice(i, i + 2), 16));
  return out;
}

/** Decodes one text frame. Never throws. */
export function decodeTrackerRequest(text: string): TrackerDecodeResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return refuse('invalid JSON');
  }
  if (!isRecord(parsed)) return refuse('request must be a JSON object');
  if (parsed.action === 'announce') return decodeAnnounce(parsed);
  if (parsed.action === 'scrape') return decodeScrape(parsed);
  return refuse(`invalid action in WS request: ${String(parsed.action).slice(0, 32)}`);
}

function decodeAnnounce(m: Record<string, unknown>): TrackerDecodeResult {
  const infoHash = m.info_hash;
  if (!isBinaryId(infoHash)) return refuse('invalid info_hash', 'announce');
  const bad = (reason: string): TrackerDecodeResult => refuse(reason, 'announce', infoHash);
  if (!isBinaryId(m.peer_id)) return bad('invalid peer_id');

  const event = decodeEvent(m.event);
  if (event === null) return bad('invalid event');

  let left: number | null = null;
  if (m.left !== undefined && m.left !== null) {
    if (typeof m.left !== 'number' || !(m.left >= 0)) return bad('invalid left');
    left = m.left;
  }

  let offers: TrackerOffer[] = [];
  // `stopped` and `completed` never carry offers (bittorrent-tracker's client omits them).
  if (m.offers !== undefined && event !== 'stopped' && event !== 'completed') {
    if (!Array.isArray(m.offers)) return bad('offers must be an array');
    if (m.offers.length > TRACKER_MAX_OFFERS) return bad(`more than ${TRACKER_MAX_OFFERS} offers`);
    const decoded: TrackerOffer[] = [];
    for (const item of m.offers) {
      const offer = isRecord(item) ? decodeSdp(item.offer, 'offer') : null;
      if (!offer || !isRecord(item) || !isBinaryId(item.offer_id)) return bad('invalid offer');
      decoded.push({ offerId: item.offer_id, offer });
    }
    offers = decoded;
  }

  let numwant = offers.length;
  if (m.numwant !== undefined && m.numwant !== null) {
    if (typeof m.numwant !== 'number' || !(m.numwant >= 0)) return bad('invalid numwant');
    numwant = Math.min(Math.floor(m.numwant), offers.length);
  }
  numwant = Math.min(numwant, TRACKER_MAX_OFFERS);

  let answer: TrackerAnswer | null = null;
  if (m.answer !== undefined) {
    const sdp = decodeSdp(m.answer, 'answer');
    if (!sdp) return bad('invalid answer');
    if (!isBinaryId(m.to_peer_id)) return bad('invalid `to_peer_id` (required with `answer`)');
    if (!isBinaryId(m.offer_id)) return bad('invalid `offer_id` (required with `answer`)');
    answer = { toPeerId: m.to_peer_id, offerId: m.offer_id, answer: sdp };
  }

  return { ok: true, value: { action: 'announce', infoHash, peerId: m.peer_id, event, left, numwant, offers, answer } };
}

function decodeScrape(m: Record<string, unknown>): TrackerDecodeResult {
  // bittorrent-tracker answers a scrape without info_hash with every torrent it tracks; that
  // lists every swarm to anyone, so here it is refused.
  const raw = typeof m.info_hash === 'string' ? [m.info_hash] : m.info_hash;
  if (!Array.isArray(raw) || raw.length === 0) return refuse('scrape needs info_hash', 'scrape');
  if (raw.length > TRACKER_MAX_SCRAPE_HASHES) return refuse(`more than ${TRACKER_MAX_SCRAPE_HASHES} info_hash in one scrape`, 'scrape');
  const infoHashes: BinaryId[] = [];
  for (const hash of raw) {
    if (!isBinaryId(hash)) return refuse('invalid info_hash', 'scrape');
    infoHashes.push(hash);
  }
  return { ok: true, value: { action: 'scrape', infoHashes: [...new Set(infoHashes)] } };
}

function decodeEvent(value: unknown): TrackerEvent | null {
  if (value === undefined || value === null || value === 'empty' || value === 'update' || value === 'paused') return 'update';
  if (value === 'started' || value === 'stopped' || value === 'completed') return value;
  return null;
}

/** Only `type` and `sdp` are kept: the server forwards exactly what it checked. */
function decodeSdp<T extends 'offer' | 'answer'>(value: unknown, type: T): TrackerSdp<T> | null {
  if (!isRecord(value) || value.type !== type) return null;
  if (typeof value.sdp !== 'string' || value.sdp.length === 0 || value.sdp.length > MAX_SDP_CHARS) return null;
  return { type, sdp: value.sdp };
}

function refuse(error: string, action?: 'announce' | 'scrape', infoHash?: BinaryId): TrackerRefusal {
  const refusal: TrackerRefusal = { ok: false, error, code: 'malformed' };
  if (action) refusal.action = action;
  if (infoHash !== undefined) refusal.infoHash = infoHash;
  return refusal;
}
