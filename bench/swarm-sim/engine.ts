/**
 * A discrete-event simulation of one swarm: N visitors load the same page, with the real
 * scheduling code (page-bridge/schedule/: PiecePicker, originShare, Bitfield), the real
 * signaling index (signal-worker/core/signal/swarm-index.ts: who is named to whom, holders then
 * fetchers, offers handed out) and the real upload ledger (page-bridge/upload-budget.ts: per-peer
 * and per-page-view byte budgets and rates) and the worker's real hedge policy (sw/hedge-policy.ts:
 * a page's render-critical requests go to the origin at once; every other gather asks the origin
 * for what peers have not sent after a delay learned from what this visitor measured, as
 * sw/gather-pieces.ts does), over simulated links and a simulated origin. The simplifications are
 * listed in bench/swarm-sim.ts's output, next to the results.
 */
import { Bitfield } from '../../page-bridge/schedule/bitfield.ts';
import { originShare } from '../../page-bridge/schedule/origin-share.ts';
import { PiecePicker } from '../../page-bridge/schedule/piece-picker.ts';
import { admitsUpload } from '../../page-bridge/schedule/upload-queue.ts';
import { DEFAULT_UPLOAD_LIMITS, UploadLedger } from '../../page-bridge/upload-budget.ts';
import type { Clock } from '../../protocol/clock.ts';
import {
  CHOKE_RETRY_MS,
  ENDGAME_PIECES,
  LINK_MIN_IDLE_BEFORE_CLOSE_MS,
  MAX_CONNECTIONS,
  PARKED_OFFERS,
  PIECE_SIZE,
  PIECE_STALL_TIMEOUT_MS,
  PIECES_IN_FLIGHT_PER_LINK,
  PIECES_IN_FLIGHT_PER_PEER,
} from '../../protocol/limits.ts';
import { fail } from '../../protocol/result.ts';
import type { PeerCandidate, ServerMessage } from '../../protocol/signal-messages.ts';
import { DEFAULT_SIGNAL_LIMITS } from '../../signal-worker/core/signal/signal-limits.ts';
import { SwarmIndex, type SwarmPeer } from '../../signal-worker/core/signal/swarm-index.ts';
import { crowdFirstMs, hedgeDelays, isCritical, SourceSpeeds } from '../../sw/hedge-policy.ts';
import { seededRandom } from '../lib/sites/seeded-random.ts';
import { EventQueue } from './event-queue.ts';
import { drawProfile, ORIGIN_BYTES_PER_MS, type PageAsset, type Profile } from './model.ts';

export type Arrival = 'together' | 'poisson' | 'sequential';
export type OriginWhy = 'critical' | 'share' | 'hedge' | 'tries' | 'unlinked';

export interface SimSpec {
  n: number;
  arrival: Arrival;
  /** Mean arrivals per second for `poisson`. */
  poissonPerS: number;
  /** The page's assets, in the order the page asks for them. */
  assets: readonly PageAsset[];
  seed: number;
  /** false: the plain origin, no PeerConnect. */
  p2p: boolean;
  /** The worker's hedge delays and the link's request timeout times this (1: the product's). A sensitivity knob. */
  deadlineScale?: number;
}

export interface VisitorResult {
  originBytes: number;
  /** Origin bytes by why: render-critical (never asked of peers), nobody else had it (`share`), the hedge delay passed, a piece failed twice, no link opened. */
  originWhy: Record<OriginWhy, number>;
  peerBytes: number;
  uploaded: number;
  /** ms from arrival to the last asset complete. */
  completeMs: number;
  signalMessages: number;
}

export interface SimResult {
  visitors: VisitorResult[];
  /** Bytes the origin sent for the page's assets, all visitors. */
  originBytes: number;
  /** The upload cap every visitor runs under (UploadLedger's page-view budget), bytes. */
  uploadCap: number;
  events: number;
}

/** Set-up of a WebRTC link after the `want` answer: the relay of the answer, then ICE and DTLS (two peer round trips), plus a fixed 50 ms. */
const connectMs = (a: Profile, b: Profile): number => (a.rtt + b.rtt) / 2 + 2 * peerRtt(a, b) + 50;
/** A peer-to-peer round trip: each side's path to the middle of the internet. */
const peerRtt = (a: Profile, b: Profile): number => (a.rtt + b.rtt) / 2;

/** The page's requests start after the HTML and the worker's answer: two round trips to the origin. */
const PAGE_START_RTTS = 2;
const TRIES_PER_PIECE = 2;

/** The constants of the hot loop, read once (imported bindings are getters under tsx). */
const IN_FLIGHT = PIECES_IN_FLIGHT_PER_LINK;
const keys = new Map<number, string>();
const keyOf = (v: { id: number }): string => {
  let k = keys.get(v.id);
  if (k === undefined) keys.set(v.id, (k = String(v.id)));
  return k;
};

interface Gather {
  picker: PiecePicker | null;
  /** Pieces asked of the origin. */
  fromOrigin: Set<number>;
  tries: Map<number, number>;
  /** Hedge generation: an expiry of an older one does nothing. */
  deadline: number;
  done: boolean;
  /** When peers were asked (sim ms), when the first peer piece came (-1: none yet), peer bytes after it. */
  askedAt: number;
  firstAt: number;
  bytesAfterFirst: number;
  /** Bytes of this gather counted in the visitor's peer backlog (SourceSpeeds.peerBacklogBytes). */
  owed: number;
  /** Its first-piece hedge delay (ms), as armed. */
  firstMs: number;
}

interface Link {
  remote: Visitor;
  /** Our requests to it in flight, its requests to us being served; last use (sim ms). */
  inFlight: number;
  serving: number;
  lastUsed: number;
  /** Until when (sim ms) the remote choked us (`nak choked`): not asked meanwhile (PeerLink.choked). */
  chokedUntil: number;
  /** What the remote holds of each asset, as this side knows it (its messages arrive after a delay). */
  view: Map<number, Bitfield>;
}

interface Visitor {
  id: number;
  peerId: string;
  profile: Profile;
  arrival: number;
  links: Map<number, Link>;
  /** Connections being set up, counted against MAX_CONNECTIONS as the pool counts them. */
  connecting: number;
  upFree: number;
  ledger: UploadLedger;
  bits: Bitfield[];
  gathers: Array<Gather | null>;
  left: number;
  completeAt: number;
  result: VisitorResult;
  index: SwarmPeer | null;
  onComplete: (() => void) | null;
  /** What this visitor's worker measured of peers and the origin: its hedge delays (sw/hedge-policy.ts). */
  speeds: SourceSpeeds;
}

export function simulate(spec: SimSpec): SimResult {
  const random = seededRandom(spec.seed);
  const scale = spec.deadlineScale ?? 1;
  const q = new EventQueue();
  const clock: Clock = { now: () => q.now, setTimeout: () => 0, clearTimeout: () => undefined };
  const index = new SwarmIndex(
    // One swarm of N: the per-swarm and per-server caps are raised to N (the defaults cap a swarm at 2,000).
    { ...DEFAULT_SIGNAL_LIMITS, maxPeersPerSwarm: Math.max(spec.n, 1), maxPeers: Math.max(spec.n, 1) * 2 },
    random,
  );
  const hashes = spec.assets.map((_, i) => i.toString(16).padStart(64, '0'));
  const sizes = spec.assets.map((a) => a.bytes);
  const pieceCounts = sizes.map((size) => Math.max(1, Math.ceil(size / PIECE_SIZE)));
  const pieceBytes = (asset: number, piece: number): number => Math.min(PIECE_SIZE, sizes[asset]! - piece * PIECE_SIZE);
  const visitors: Visitor[] = [];
  const byPeerId = new Map<string, Visitor>();
  let originFree = 0;
  let originBytes = 0;

  const sig = (v: Visitor, messages = 1): void => {
    v.result.signalMessages += messages;
  };

  // ---- the origin: first come first served at ORIGIN_BYTES_PER_MS, each answer at the visitor's download rate

  const originRun = (v: Visitor, asset: number, pieces: number[], onPiece: (piece: number) => void): void => {
    if (pieces.length === 0) return;
    const bytes = pieces.reduce((n, p) => n + pieceBytes(asset, p), 0);
    const arrive = q.now + v.profile.rtt / 2;
    const start = Math.max(arrive, originFree);
    originFree = start + bytes / ORIGIN_BYTES_PER_MS;
    originBytes += bytes;
    v.result.originBytes += bytes;
    const rate = Math.min(v.profile.down, ORIGIN_BYTES_PER_MS);
    const askedAt = q.now;
    const firstByte = start + v.profile.rtt / 2 - askedAt;
    let sent = 0;
    for (const p of pieces) {
      sent += pieceBytes(asset, p);
      const at = start + v.profile.rtt / 2 + sent / rate;
      const last = p === pieces[pieces.length - 1];
      q.at(at, () => {
        // The worker learns the origin's first-byte time and rate from each answer (gather-pieces.ts originRun).
        if (last) v.speeds.origin(firstByte, bytes, at - askedAt - firstByte);
        onPiece(p);
      });
    }
  };

  // ---- a visitor's own pieces

  const store = (v: Visitor, asset: number, piece: number): void => {
    if (!v.bits[asset]!.add(piece)) return;
    // `hp` to every link, arriving after the one-way delay.
    for (const link of v.links.values()) {
      const other = link.remote;
      q.at(q.now + peerRtt(v.profile, other.profile) / 2, () => {
        const back = other.links.get(v.id);
        const view = back?.view.get(asset);
        if (!view) return;
        view.add(piece);
        pump(other, asset);
      });
    }
    const left = v.bits[asset]!.length - v.bits[asset]!.count;
    if (left === 0) finishAsset(v, asset);
  };

  const finishAsset = (v: Visitor, asset: number): void => {
    const g = v.gathers[asset];
    if (g) {
      g.done = true;
      unowe(v, g);
    }
    // `have` to the server.
    sig(v);
    q.at(q.now + v.profile.rtt / 2, () => v.index && index.addHaves(v.index, [hashes[asset]!]));
    if (--v.left === 0) {
      v.completeAt = q.now;
      v.result.completeMs = q.now - v.arrival;
      v.onComplete?.();
    }
  };

  // ---- the worker's gather of one asset

  const toOrigin = (v: Visitor, asset: number, pieces: number[], why: OriginWhy): void => {
    const g = v.gathers[asset]!;
    const wanted = pieces.filter((p) => !v.bits[asset]!.has(p) && !g.fromOrigin.has(p));
    if (wanted.length === 0) return;
    for (const p of wanted) v.result.originWhy[why] += pieceBytes(asset, p);
    for (const p of wanted) g.fromOrigin.add(p);
    unowe(
      v,
      g,
      wanted.reduce((n, p) => n + pieceBytes(asset, p), 0),
    );
    g.picker?.giveUp(wanted);
    // One Range request per run of consecutive pieces (sw/origin-run.ts).
    let run: number[] = [];
    const flush = (): void => {
      const r = run;
      run = [];
      originRun(v, asset, r, (p) => store(v, asset, p));
    };
    for (const p of wanted.sort((a, b) => a - b)) {
      if (run.length > 0 && p !== run[run.length - 1]! + 1) flush();
      run.push(p);
    }
    flush();
  };

  /** Takes `bytes` (or all the gather still counts) out of the visitor's peer backlog (gather-pieces.ts unowe). */
  const unowe = (v: Visitor, g: Gather, bytes = g.owed): void => {
    const n = Math.min(bytes, g.owed);
    g.owed -= n;
    v.speeds.backlog(-n);
  };

  /** (Re)arms the gather's hedge: when it passes, every piece still expected from peers is asked of the origin. */
  const arm = (v: Visitor, asset: number, ms: number): void => {
    const g = v.gathers[asset]!;
    const gen = ++g.deadline;
    q.at(q.now + ms * scale, () => {
      if (g.deadline !== gen || g.done) return;
      toOrigin(v, asset, g.picker?.pending() ?? [], 'hedge');
    });
  };

  /** A peer piece of `bytes` came for gather `g`: the worker's measurements (gather-pieces.ts measurePeer). */
  const measurePeer = (v: Visitor, g: Gather, bytes: number): void => {
    if (g.firstAt < 0) {
      g.firstAt = q.now;
      v.speeds.peerFirstPiece(q.now - g.askedAt);
      return;
    }
    g.bytesAfterFirst += bytes;
    v.speeds.peerRate(g.bytesAfterFirst, q.now - g.firstAt);
  };

  /** Links with a slot freed by the event being handled: asked again once it is done. */
  const freed: Array<[Visitor, Link, number]> = [];
  const refill = (): void => {
    for (let f = freed.pop(); f; f = freed.pop()) {
      const [v, link, asset] = f;
      for (const [a, other] of v.gathers.entries()) if (other && !other.done && a !== asset) pumpLink(v, link, a);
    }
  };

  const pump = (v: Visitor, asset: number): void => {
    const g = v.gathers[asset];
    if (!g?.picker || g.done) return;
    for (const link of v.links.values()) pumpLink(v, link, asset);
  };

  /** Asks one link for what it can give of one asset. */
  const pumpLink = (v: Visitor, link: Link, asset: number): void => {
    const picker = v.gathers[asset]?.picker;
    if (!picker || link.inFlight >= IN_FLIGHT || link.chokedUntil > q.now) return;
    {
      const view = link.view.get(asset);
      if (!view) return;
      const key = keyOf(link.remote);
      if (!picker.hasPeer(key)) picker.setPeer(key, view);
      // A link's slots are shared by every asset the visitor is gathering (PIECES_IN_FLIGHT_PER_LINK per link; PIECES_IN_FLIGHT_PER_PEER per asset, the picker).
      while (link.inFlight < IN_FLIGHT) {
        const p = picker.pick(key);
        if (p === null) break;
        request(v, link, asset, p);
      }
    }
  };

  const request = (v: Visitor, link: Link, asset: number, piece: number): void => {
    const u = link.remote;
    const g = v.gathers[asset]!;
    const key = keyOf(u);
    const oneWay = peerRtt(v.profile, u.profile) / 2;
    const sentAt = q.now;
    let settled = false;
    link.inFlight++;
    link.lastUsed = q.now;
    const back = u.links.get(v.id);
    if (back) back.serving++;
    const end = (): void => {
      link.inFlight--;
      link.lastUsed = q.now;
      if (back) back.serving--;
      // A slot on this link is free: another asset waiting on it may ask now (after this one's own handling).
      freed.push([v, link, asset]);
    };
    const failed = (): void => {
      if (settled) return;
      settled = true;
      end();
      g.picker?.failed(piece, key);
      const t = (g.tries.get(piece) ?? 0) + 1;
      g.tries.set(piece, t);
      if (t >= TRIES_PER_PIECE) toOrigin(v, asset, [piece], 'tries');
      else pump(v, asset);
    };
    // The link's request timeout (PeerLink.request): scheduled only when the piece would come later.
    const timeoutAt = sentAt + PIECE_STALL_TIMEOUT_MS * scale;
    q.at(sentAt + oneWay, () => {
      const bytes = pieceBytes(asset, piece);
      // Its upload queue, at its upload rate (schedule/upload-queue.ts): too long, and the request is choked.
      if (!admitsUpload(Math.max(0, u.upFree - q.now) * u.profile.up, u.profile.up)) {
        q.at(Math.min(q.now + oneWay, timeoutAt), () => {
          if (settled) return;
          settled = true;
          end();
          // Not a failure (piece-requests.ts): asked again of another source, or of this one after the choke.
          g.picker?.release(piece, key);
          link.chokedUntil = q.now + CHOKE_RETRY_MS;
          q.at(link.chokedUntil, () => pump(v, asset));
          pump(v, asset);
        });
        return;
      }
      const admitted = u.ledger.admit(v.peerId, hashes[asset]!, piece);
      const spent = admitted.ok ? u.ledger.spend(v.peerId, bytes) : admitted;
      if (!spent.ok) {
        if (admitted.ok) u.ledger.release(v.peerId, hashes[asset]!, piece);
        q.at(Math.min(q.now + oneWay, timeoutAt), failed); // `nak`
        return;
      }
      const start = Math.max(q.now, u.upFree);
      u.upFree = start + bytes / u.profile.up;
      u.result.uploaded += bytes;
      // Too late: the request times out first, and the late piece is dropped (the uploader's time is spent all the same).
      if (u.upFree + oneWay > timeoutAt) return q.at(timeoutAt, failed);
      q.at(u.upFree + oneWay, () => {
        if (settled) return; // timed out: the late piece is dropped
        settled = true;
        end();
        g.picker?.received(piece, key);
        if (g.done || v.bits[asset]!.has(piece) || g.fromOrigin.has(piece)) return;
        v.result.peerBytes += bytes;
        measurePeer(v, g, bytes);
        unowe(v, g, bytes);
        arm(v, asset, hedgeDelays(v.speeds, sizes[asset]!, PIECE_SIZE).stallMs);
        store(v, asset, piece);
        pump(v, asset);
      });
    });
  };

  // ---- links

  const hasRoom = (v: Visitor): boolean => v.links.size + v.connecting < MAX_CONNECTIONS;

  /** Connections under way, by visitor and remote: concurrent discoveries of one peer share one attempt (PeerPool.connectTo). */
  const attempts = new Map<string, Array<() => void>>();

  const connect = (v: Visitor, candidates: PeerCandidate[], onSettled: () => void): void => {
    let waiting = 0;
    const settle = (): void => {
      if (--waiting === 0) onSettled();
    };
    for (const c of candidates) {
      const u = byPeerId.get(c.peerId);
      if (!u || v.links.has(u.id)) continue;
      const key = `${v.id}>${u.id}`;
      const joining = attempts.get(key);
      if (joining) {
        waiting++;
        joining.push(settle);
        continue;
      }
      if (!hasRoom(v)) makeRoom(v);
      if (!hasRoom(v)) continue;
      waiting++;
      v.connecting++;
      attempts.set(key, [settle]);
      // The answer relayed through the server (which counts the offer answered), or our offer and its answer.
      sig(v, c.offer ? 1 : 2);
      sig(u, c.offer ? 0 : 1);
      const offer = c.offer;
      if (offer)
        q.at(q.now + v.profile.rtt / 2, () => v.index && index.relay(v.index, u.peerId, offer.connId, { type: 'answer', sdp: 'sim' }));
      q.at(q.now + connectMs(v.profile, u.profile), () => {
        v.connecting--;
        // A peer with no room closes a link idle long enough, else refuses (PeerPool.onSignal); one
        // whose parked offer we took answers, then closes an idle link if it is over.
        if (!v.links.has(u.id)) {
          if (!c.offer && !hasRoom(u)) makeRoom(u);
          if (c.offer || hasRoom(u)) openLink(v, u);
          if (u.links.size + u.connecting > MAX_CONNECTIONS) makeRoom(u);
        }
        const waiters = attempts.get(key) ?? [];
        attempts.delete(key);
        for (const w of waiters) w();
      });
    }
    if (waiting === 0) onSettled();
  };

  /** Links idle for LINK_MIN_IDLE_BEFORE_CLOSE_MS at least, with nothing in flight either way (PeerPool.closable). */
  const closable = (v: Visitor): Link[] => {
    const before = q.now - LINK_MIN_IDLE_BEFORE_CLOSE_MS;
    return [...v.links.values()].filter((l) => l.inFlight === 0 && l.serving === 0 && l.lastUsed <= before);
  };

  /** Closes the least recently used closable link for a new one (PeerPool.makeRoom). */
  const makeRoom = (v: Visitor): void => {
    let lru: Link | null = null;
    for (const l of closable(v)) if (!lru || l.lastUsed < lru.lastUsed) lru = l;
    if (!lru) return;
    v.links.delete(lru.remote.id);
    lru.remote.links.delete(v.id);
    replenish(lru.remote);
    replenish(v);
  };

  /** A bridge parks offers up to PARKED_OFFERS while it has room for another link (PeerPool.replenish). */
  const replenish = (v: Visitor): void => {
    const peer = v.index;
    if (!peer) return;
    const room = MAX_CONNECTIONS - (v.links.size - closable(v).length) - v.connecting;
    const missing = Math.min(PARKED_OFFERS - peer.offers.length, room - peer.offers.length);
    if (missing <= 0) return;
    sig(v);
    index.parkOffers(
      peer,
      Array.from({ length: missing }, () => fakeOffer()),
    );
  };

  /** No link open and none being set up: every gather waiting on peers goes to the origin at once (piece-requests.ts `hopeless`). */
  const unlinked = (v: Visitor): void => {
    if (v.links.size > 0 || v.connecting > 0) return;
    v.gathers.forEach((g, asset) => {
      if (g?.picker && !g.done) toOrigin(v, asset, g.picker.pending(), 'unlinked');
    });
  };

  const openLink = (a: Visitor, b: Visitor): void => {
    const ab: Link = { remote: b, view: new Map(), inFlight: 0, serving: 0, lastUsed: q.now, chokedUntil: 0 };
    const ba: Link = { remote: a, view: new Map(), inFlight: 0, serving: 0, lastUsed: q.now, chokedUntil: 0 };
    a.links.set(b.id, ab);
    b.links.set(a.id, ba);
    // Each side's `have`s and bitfields reach the other after the one-way delay: a copy of what it holds now.
    const tell = (from: Visitor, to: Link, on: Visitor): void => {
      const snapshot = from.bits.map((bits, asset) => (from.gathers[asset] || bits.complete ? copy(bits) : null));
      q.at(q.now + peerRtt(a.profile, b.profile) / 2, () => {
        snapshot.forEach((bits, asset) => {
          if (!bits) return;
          const known = to.view.get(asset);
          if (known) for (let i = 0; i < bits.length; i++) bits.has(i) && known.add(i);
          else to.view.set(asset, bits);
          pump(on, asset);
        });
      });
    };
    tell(b, ab, a);
    tell(a, ba, b);
  };

  // ---- a visitor's page

  const startAsset = (v: Visitor, asset: number): void => {
    const g: Gather = {
      picker: null,
      fromOrigin: new Set(),
      tries: new Map(),
      deadline: 0,
      done: false,
      askedAt: q.now,
      firstAt: -1,
      bytesAfterFirst: 0,
      owed: 0,
      firstMs: 0,
    };
    v.gathers[asset] = g;
    const pieces = Array.from({ length: pieceCounts[asset]! }, (_, i) => i);
    if (!spec.p2p) return toOrigin(v, asset, pieces, 'share');
    // Render-critical requests go to the network as the browser made them (sw/hedge-policy.ts isCritical); stored and seeded all the same.
    if (isCritical(spec.assets[asset]!.destination)) return toOrigin(v, asset, pieces, 'critical');
    // The worker asks the bridge and arms its hedge at once (gather-pieces.ts fromPeers): the
    // want's round trip and the links' set-up count against it, as in the tab.
    const ahead = v.speeds.peerBacklogBytes;
    g.owed = sizes[asset]!;
    v.speeds.backlog(g.owed);
    g.firstMs = hedgeDelays(v.speeds, sizes[asset]!, PIECE_SIZE, false, ahead).firstMs;
    arm(v, asset, g.firstMs);
    // Our (empty) bitfield to every link: they learn we fetch it.
    for (const link of v.links.values()) {
      const other = link.remote;
      const bits = copy(v.bits[asset]!);
      q.at(q.now + peerRtt(v.profile, other.profile) / 2, () => {
        const back = other.links.get(v.id);
        if (back && !back.view.has(asset)) back.view.set(asset, bits);
      });
    }
    const linked = [...v.links.values()].filter((l) => l.view.has(asset)).length;
    // `want` with fetching: one round trip to the server.
    sig(v, 2);
    q.at(q.now + v.profile.rtt / 2, () => {
      const rank = v.index ? index.rankOf(v.index, hashes[asset]!) : 0;
      const candidates = v.index ? index.want(v.index, hashes[asset]!, [], q.now, true) : [];
      q.at(q.now + v.profile.rtt / 2, () => {
        const sources = linked + candidates.filter((c) => !v.links.has(byPeerId.get(c.peerId)?.id ?? -1)).length;
        const holderNamed = candidates.some((c) => !c.fetching);
        const share = originShare(pieces, sources, holderNamed ? undefined : rank, pieceCounts[asset]!);
        if (share.length === pieces.length) return toOrigin(v, asset, pieces, 'share');
        g.picker = new PiecePicker(pieces, pieceCounts[asset]!, {
          maxInFlightPerPeer: PIECES_IN_FLIGHT_PER_PEER,
          endgamePieces: ENDGAME_PIECES,
        });
        toOrigin(v, asset, share, 'share');
        // The bridge's `accepted` carries its rank when no holder was named: a crowd's fetcher waits longer (gather-pieces.ts crowded).
        const crowd = holderNamed ? g.firstMs : crowdFirstMs(g.firstMs, rank);
        if (crowd > g.firstMs && g.firstAt < 0 && !g.done) {
          g.firstMs = crowd;
          arm(v, asset, Math.max(0, crowd - (q.now - g.askedAt)));
        }
        connect(v, candidates, () => unlinked(v));
        pump(v, asset);
      });
    });
  };

  const arrive = (v: Visitor): void => {
    v.arrival = q.now;
    if (spec.p2p) {
      // join → joined, then the parked offers.
      sig(v, 3);
      q.at(q.now + v.profile.rtt / 2, () => {
        const sink = {
          deliver: (m: ServerMessage) => {
            sig(v);
            // A parked offer was handed out: the bridge parks a fresh one.
            if (m.type === 'offer-used') {
              // The taken offer becomes a connection being set up; a fresh one is parked if there is room.
              v.connecting++;
              q.at(q.now + connectMs(v.profile, v.profile), () => {
                v.connecting--;
                replenish(v);
              });
              replenish(v);
            }
            return true;
          },
          lastHeardAt: () => q.now,
          evict: () => void fail('evicted', 'evicted'),
        };
        const offers = Array.from({ length: PARKED_OFFERS }, fakeOffer);
        const joined = index.join('sim', v.peerId, sink, [], offers);
        if (joined.ok) v.index = joined.value.peer;
      });
    }
    const start = q.now + PAGE_START_RTTS * v.profile.rtt;
    // A page asks for its assets a few at a time as the parser meets them; here each 10 ms apart.
    // The bridge's accept deadline (BRIDGE_ACCEPT_TIMEOUT_MS) never fires here: a want's round trip is within it.
    for (let asset = 0; asset < spec.assets.length; asset++) q.at(start + asset * 10, () => startAsset(v, asset));
  };

  const make = (id: number): Visitor => {
    const v: Visitor = {
      id,
      peerId: `sim-${String(id).padStart(16, '0')}`,
      profile: drawProfile(random),
      arrival: 0,
      links: new Map(),
      connecting: 0,
      upFree: 0,
      ledger: new UploadLedger(clock),
      bits: pieceCounts.map((n) => new Bitfield(n)),
      gathers: spec.assets.map(() => null),
      left: spec.assets.length,
      completeAt: 0,
      result: {
        originBytes: 0,
        originWhy: { critical: 0, share: 0, hedge: 0, tries: 0, unlinked: 0 },
        peerBytes: 0,
        uploaded: 0,
        completeMs: 0,
        signalMessages: 0,
      },
      index: null,
      onComplete: null,
      speeds: new SourceSpeeds(),
    };
    visitors.push(v);
    byPeerId.set(v.peerId, v);
    return v;
  };

  let offerSeq = 0;
  const fakeOffer = () => ({ connId: `offer-${String(offerSeq++).padStart(10, '0')}`, sdp: { type: 'offer' as const, sdp: 'v=0 sim' } });

  if (spec.arrival === 'sequential') {
    let next = 0;
    const chain = (): void => {
      if (next >= spec.n) return;
      const v = make(next++);
      v.onComplete = () => q.at(q.now, chain);
      arrive(v);
    };
    q.at(0, chain);
  } else {
    let t = 0;
    for (let i = 0; i < spec.n; i++) {
      const v = make(i);
      // Together: within the same 100 ms (one link shared, clicked at once).
      t = spec.arrival === 'together' ? random() * 100 : t + (-Math.log(Math.max(1e-12, random())) * 1000) / spec.poissonPerS;
      q.at(t, () => arrive(v));
    }
  }
  q.run(refill);
  return { visitors: visitors.map((v) => v.result), originBytes, uploadCap: DEFAULT_UPLOAD_LIMITS.perPageBytes, events: q.count };
}

function copy(bits: Bitfield): Bitfield {
  const out = new Bitfield(bits.length);
  for (let i = 0; i < bits.length; i++) if (bits.has(i)) out.add(i);
  return out;
}
