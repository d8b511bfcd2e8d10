/**
 * Signaling messages (JSON text over one WebSocket per tab). The server sees ids and content
 * hashes only, never content. Every message is decoded by `decodeClientMessage` /
 * `decodeServerMessage`; anything else is a protocol violation that closes that one connection.
 */
import {
  CONN_ID_PATTERN,
  HASH_PATTERN,
  MAX_HAVE_PER_MESSAGE,
  MAX_PARKED_OFFERS,
  MAX_PEERS_PER_WANT,
  MAX_SDP_CHARS,
  MAX_SIGNAL_MESSAGE_CHARS,
  MAX_WANT_EXCLUDE,
  PEER_ID_PATTERN,
  SWARM_ID_PATTERN,
} from './limits.ts';
import { fail, isRecord, ok, parseJson, type Result } from './result.ts';
import { decodeP2pModeMessage, decodeReport, isP2pMode, type P2pMode, type P2pModeMessage, type UsageReport } from './usage-report.ts';

export interface Sdp {
  type: 'offer' | 'answer';
  sdp: string;
}

/** An offer a peer made ahead of time; the server hands it to one newcomer. */
export interface ParkedOffer {
  connId: string;
  sdp: Sdp;
}

export type ClientMessage =
  /** First message: enter a swarm with what this tab has, and some ready offers. */
  /**
   * Peer ids are unique per swarm among open connections: a tab reconnecting before the server
   * noticed its old socket died gets `duplicate-peer-id`, and joins again with a new id.
   */
  | {
      type: 'join';
      swarm: string;
      peerId: string;
      have: string[];
      offers: ParkedOffer[];
      /**
       * Ask to be introduced at once to up to this many holders (≤ MAX_PEERS_PER_WANT), each with
       * a parked offer: the tab connects while the page is still loading, before it knows what it
       * will need, instead of a `want` round trip plus WebRTC set-up on its first request.
       */
      introduce: number;
    }
  /** More complete assets. */
  | { type: 'have'; have: string[] }
  /** Assets no longer held (evicted). */
  | { type: 'lost'; have: string[] }
  /** Park more offers. The server keeps at most MAX_PARKED_OFFERS, evicting the oldest. */
  | { type: 'offers'; offers: ParkedOffer[] }
  /**
   * Who has this asset? Holders first, then peers fetching it. `fetching`: register the sender
   * as fetching it too (at most MAX_FETCHING_PER_PEER, the oldest dropped), so visitors arriving
   * together find each other and exchange pieces; its `have` of the asset ends that. Absent: false.
   */
  | { type: 'want'; hash: string; exclude: string[]; fetching?: boolean }
  /** Relay an offer or answer to one peer of the same swarm. */
  | { type: 'signal'; to: string; connId: string; sdp: Sdp }
  | { type: 'ping' }
  /** The page view's counters' growth (protocol/usage-report.ts): what the dashboard sums. */
  | UsageReport;

export interface PeerCandidate {
  peerId: string;
  /** A parked offer of that peer, consumed for us; absent when it had none left (then we offer). */
  offer?: ParkedOffer;
  /** In a `peers` answer: the peer is fetching the asset (some pieces held, the rest coming), not holding all of it. */
  fetching?: true;
}

export type ServerMessage =
  /** `mode`: the swarm's P2P mode (protocol/usage-report.ts); absent from older servers, meaning `on`. */
  | { type: 'joined'; peerId: string; swarmSize: number; peers: PeerCandidate[]; mode?: P2pMode }
  /** The swarm's mode changed (the site owner's switch). */
  | P2pModeMessage
  /**
   * Holders, then fetchers, of `hash`. `rank` (answering a `want` with `fetching`): how many
   * peers were fetching it before the asker, which sets its share of the origin's pieces.
   */
  | { type: 'peers'; hash: string; peers: PeerCandidate[]; rank?: number }
  | { type: 'signal'; from: string; connId: string; sdp: Sdp }
  /** One of our parked offers was handed out: make another, expect an answer for `connId`. */
  | { type: 'offer-used'; connId: string; by: string }
  | { type: 'pong' }
  /**
   * Sent before the server closes the connection for a protocol violation or a limit; except
   * `peer-busy`, which only says one relay was dropped (the connection stays open).
   */
  | { type: 'error'; code: SignalErrorCode; message: string };

export const SIGNAL_ERROR_CODES = [
  'malformed',
  'too-large',
  'not-joined',
  'already-joined',
  'swarm-full',
  'rate-limited',
  'too-many-haves',
  'duplicate-peer-id',
  'idle',
  'origin-not-allowed',
  'internal',
  /** A server-wide cap (connections, swarms, peers, hashes) is reached; try again later. */
  'server-full',
  /** Too many sockets from this client address (on the wire only if a socket raced past the 503). */
  'too-many-connections',
  /** Too many peers from this client address in this swarm. */
  'too-many-peers',
  /** This swarm has as many distinct asset hashes as it may hold. */
  'too-many-hashes',
  /** Not fatal: a relay was dropped because its target is not reading (its queue is full). */
  'peer-busy',
  /** This socket's outgoing queue passed its bound: the client stopped reading. */
  'slow-reader',
  /** A full swarm let a newcomer in in place of this peer, which held nothing and was silent longest. */
  'evicted',
  /** Not fatal: a `report` past the connection's report rate (REPORT_BURST, REPORT_REFILL_MS) was not counted. */
  'report-dropped',
] as const;
export type SignalErrorCode = (typeof SIGNAL_ERROR_CODES)[number];

const str = (v: unknown, pattern: RegExp): v is string => typeof v === 'string' && pattern.test(v);

function decodeSdp(v: unknown): Result<Sdp> {
  if (!isRecord(v)) return fail('sdp: not an object');
  if (v.type !== 'offer' && v.type !== 'answer') return fail('sdp: bad type');
  if (typeof v.sdp !== 'string' || v.sdp.length === 0 || v.sdp.length > MAX_SDP_CHARS) return fail('sdp: bad sdp');
  return ok({ type: v.type, sdp: v.sdp });
}

function decodeHashes(v: unknown, field: string): Result<string[]> {
  if (!Array.isArray(v)) return fail(`${field}: not an array`);
  if (v.length > MAX_HAVE_PER_MESSAGE) return fail(`${field}: more than ${MAX_HAVE_PER_MESSAGE} hashes`);
  if (!v.every((h) => str(h, HASH_PATTERN))) return fail(`${field}: bad hash`);
  return ok(v as string[]);
}

function decodeOffers(v: unknown): Result<ParkedOffer[]> {
  if (!Array.isArray(v)) return fail('offers: not an array');
  if (v.length > MAX_PARKED_OFFERS) return fail(`offers: more than ${MAX_PARKED_OFFERS}`);
  const out: ParkedOffer[] = [];
  for (const o of v) {
    if (!isRecord(o) || !str(o.connId, CONN_ID_PATTERN)) return fail('offers: bad connId');
    const sdp = decodeSdp(o.sdp);
    if (!sdp.ok) return sdp;
    if (sdp.value.type !== 'offer') return fail('offers: sdp is not an offer');
    out.push({ connId: o.connId, sdp: sdp.value });
  }
  return ok(out);
}

/** Decodes one text frame from a client. Size is checked first, before parsing. */
export function decodeClientMessage(text: string): Result<ClientMessage> {
  if (text.length > MAX_SIGNAL_MESSAGE_CHARS) return fail('too-large');
  const parsed = parseJson(text);
  if (!parsed.ok) return parsed;
  const m = parsed.value;
  if (!isRecord(m) || typeof m.type !== 'string') return fail('no type');
  switch (m.type) {
    case 'join': {
      if (!str(m.swarm, SWARM_ID_PATTERN)) return fail('join: bad swarm');
      if (!str(m.peerId, PEER_ID_PATTERN)) return fail('join: bad peerId');
      const have = decodeHashes(m.have ?? [], 'join.have');
      if (!have.ok) return have;
      const offers = decodeOffers(m.offers ?? []);
      if (!offers.ok) return offers;
      const introduce = m.introduce ?? 0;
      if (typeof introduce !== 'number' || !Number.isInteger(introduce) || introduce < 0 || introduce > MAX_PEERS_PER_WANT) {
        return fail('join: bad introduce');
      }
      return ok({ type: 'join', swarm: m.swarm, peerId: m.peerId, have: have.value, offers: offers.value, introduce });
    }
    case 'have':
    case 'lost': {
      const have = decodeHashes(m.have, `${m.type}.have`);
      return have.ok ? ok({ type: m.type, have: have.value }) : have;
    }
    case 'offers': {
      const offers = decodeOffers(m.offers);
      return offers.ok ? ok({ type: 'offers', offers: offers.value }) : offers;
    }
    case 'want': {
      if (!str(m.hash, HASH_PATTERN)) return fail('want: bad hash');
      const exclude = m.exclude ?? [];
      if (!Array.isArray(exclude) || exclude.length > MAX_WANT_EXCLUDE || !exclude.every((p) => str(p, PEER_ID_PATTERN))) {
        return fail('want: bad exclude');
      }
      if (m.fetching !== undefined && typeof m.fetching !== 'boolean') return fail('want: bad fetching');
      return ok({ type: 'want', hash: m.hash, exclude: exclude as string[], ...(m.fetching ? { fetching: true } : {}) });
    }
    case 'signal': {
      if (!str(m.to, PEER_ID_PATTERN)) return fail('signal: bad to');
      if (!str(m.connId, CONN_ID_PATTERN)) return fail('signal: bad connId');
      const sdp = decodeSdp(m.sdp);
      return sdp.ok ? ok({ type: 'signal', to: m.to, connId: m.connId, sdp: sdp.value }) : sdp;
    }
    case 'ping':
      return ok({ type: 'ping' });
    case 'report':
      return decodeReport(m);
    default:
      return fail(`unknown type ${JSON.stringify(m.type).slice(0, 40)}`);
  }
}

function decodeCandidates(v: unknown): Result<PeerCandidate[]> {
  if (!Array.isArray(v) || v.length > MAX_PEERS_PER_WANT) return fail('peers: bad list');
  const peers: PeerCandidate[] = [];
  for (const p of v) {
    if (!isRecord(p) || !str(p.peerId, PEER_ID_PATTERN)) return fail('peers: bad peer');
    if (p.fetching !== undefined && p.fetching !== true) return fail('peers: bad fetching');
    const fetching = p.fetching === true ? { fetching: true as const } : {};
    if (p.offer === undefined) {
      peers.push({ peerId: p.peerId, ...fetching });
      continue;
    }
    const offers = decodeOffers([p.offer]);
    if (!offers.ok || !offers.value[0]) return fail('peers: bad offer');
    peers.push({ peerId: p.peerId, offer: offers.value[0], ...fetching });
  }
  return ok(peers);
}

/** Decodes one text frame from the server (the bridge trusts the server no more than it must). */
export function decodeServerMessage(text: string): Result<ServerMessage> {
  if (text.length > MAX_SIGNAL_MESSAGE_CHARS * 4) return fail('too-large');
  const parsed = parseJson(text);
  if (!parsed.ok) return parsed;
  const m = parsed.value;
  if (!isRecord(m) || typeof m.type !== 'string') return fail('no type');
  switch (m.type) {
    case 'joined': {
      if (!str(m.peerId, PEER_ID_PATTERN) || typeof m.swarmSize !== 'number') return fail('joined: bad fields');
      const peers = decodeCandidates(m.peers ?? []);
      if (!peers.ok) return peers;
      if (m.mode !== undefined && !isP2pMode(m.mode)) return fail('joined: unknown mode');
      const joined = { type: 'joined', peerId: m.peerId, swarmSize: m.swarmSize, peers: peers.value } as const;
      return ok(m.mode === undefined ? joined : { ...joined, mode: m.mode });
    }
    case 'peers': {
      if (!str(m.hash, HASH_PATTERN)) return fail('peers: bad fields');
      if (m.rank !== undefined && (typeof m.rank !== 'number' || !Number.isInteger(m.rank) || m.rank < 0)) return fail('peers: bad rank');
      const peers = decodeCandidates(m.peers);
      if (!peers.ok) return peers;
      return ok({ type: 'peers', hash: m.hash, peers: peers.value, ...(m.rank === undefined ? {} : { rank: m.rank }) });
    }
    case 'signal': {
      if (!str(m.from, PEER_ID_PATTERN) || !str(m.connId, CONN_ID_PATTERN)) return fail('signal: bad fields');
      const sdp = decodeSdp(m.sdp);
      return sdp.ok ? ok({ type: 'signal', from: m.from, connId: m.connId, sdp: sdp.value }) : sdp;
    }
    case 'offer-used':
      if (!str(m.connId, CONN_ID_PATTERN) || !str(m.by, PEER_ID_PATTERN)) return fail('offer-used: bad fields');
      return ok({ type: 'offer-used', connId: m.connId, by: m.by });
    case 'pong':
      return ok({ type: 'pong' });
    case 'p2p-mode':
      return decodeP2pModeMessage(m);
    case 'error':
      if (typeof m.message !== 'string') return fail('error: bad fields');
      if (!SIGNAL_ERROR_CODES.some((c) => c === m.code)) return fail('error: unknown code');
      return ok({ type: 'error', code: m.code as SignalErrorCode, message: m.message.slice(0, 500) });
    default:
      return fail(`unknown type ${JSON.stringify(m.type).slice(0, 40)}`);
  }
}

export const encodeMessage = (m: ClientMessage | ServerMessage): string => JSON.stringify(m);
