/**
 * The WebTorrent tracker workload of bench/edge-load.ts, as browser WebTorrent clients speak it
 * to any WebSocket tracker (ours on every runtime, bittorrent-tracker's server): a peer announces
 * with non-trickle offers; the tracker answers the announce and forwards each offer to a random
 * peer of the swarm; that peer answers at once with an announce carrying `answer`, which the
 * tracker relays back. All peers live in this one process, so both relay legs are timed on one
 * clock: offer (A's announce sent → B has the offer) and answer (B's answer sent → A has it).
 */
import { fakeSdp } from '../lib/signaling/fake-sdp.ts';
import { type Json, type LoadPeer, Replies, within } from '../lib/signaling/load-peer.ts';
import type { Refusals } from './ipc.ts';

/** Bytes left to download: every peer is a leecher, so an offer may go to any other peer (ours skips seeder → seeder). */
const LEFT = 1_000_000;

/** The protocol's ids are 20-byte binary strings; 20 ASCII characters are valid ones. */
const id20 = (prefix: string, n: number): string => `${prefix}${n.toString(36).padStart(20 - prefix.length, '0')}`;

export interface RoundOutcome {
  /** The announce was answered and every offer's answer came back within the round timeout. */
  complete: boolean;
  offerMs: number[];
  answerMs: number[];
  /** Offers that were not answered back in time (never forwarded, lost, or late). */
  lost: number;
}

interface Round {
  readonly sentAt: number;
  readonly offerMs: number[];
  readonly answerMs: number[];
  waiting: number;
  responded: boolean;
  finish(): void;
}

/** The reply to one announce, and what it sent. */
type Sent = Promise<void> & { round: Round; ids: string[] };

interface OfferTrack {
  readonly round: Round;
  /** When the holder sent its answer; NaN until the offer arrived. */
  answerSentAt: number;
}

export class TrackerSwarmClient {
  private readonly responses = new Replies<boolean>();
  private readonly offers = new Map<string, OfferTrack>();
  private offerCount = 0;
  readonly refusals: Refusals = { failures: {}, closed: {} };

  constructor(
    private readonly offersPerAnnounce: number,
    private readonly roundTimeoutMs: number,
  ) {}

  peerId(index: number): string {
    return id20('-EL0001-', index);
  }

  /** First announce (`started`, with offers, as WebTorrent sends it); resolves true once the tracker answered it within `timeoutMs`. */
  async join(peer: LoadPeer, timeoutMs: number): Promise<boolean> {
    // Only the response matters: the first peers of a swarm have nobody to forward offers to.
    const { responded, settled } = this.announce(peer, 'started');
    void within(settled, this.roundTimeoutMs, undefined).then(() => this.forget(responded));
    return within(
      responded.then(() => responded.round.responded),
      timeoutMs,
      false,
    );
  }

  /** A re-announce with fresh offers; resolves when the response and every answer are back, or at the round timeout. */
  async round(peer: LoadPeer): Promise<RoundOutcome> {
    const sent = this.announce(peer, undefined);
    await within(Promise.all([sent.responded, sent.settled]), this.roundTimeoutMs, null);
    this.forget(sent.responded);
    const r = sent.responded.round;
    return { complete: r.responded && r.waiting === 0, offerMs: r.offerMs, answerMs: r.answerMs, lost: r.waiting };
  }

  onMessage(peer: LoadPeer, m: Json): void {
    if (typeof m['failure reason'] === 'string') {
      const reason = m['failure reason'];
      this.refusals.failures[reason] = (this.refusals.failures[reason] ?? 0) + 1;
      return this.responses.deliver(peer, false);
    }
    if (m.offer !== undefined && typeof m.offer_id === 'string' && typeof m.peer_id === 'string') {
      const track = this.offers.get(m.offer_id);
      const now = performance.now();
      if (track) {
        track.round.offerMs.push(now - track.round.sentAt);
        track.answerSentAt = now;
      }
      // What a WebTorrent peer does once its RTCPeerConnection has made the (non-trickle) answer.
      peer.send({ ...this.base(peer), to_peer_id: m.peer_id, offer_id: m.offer_id, answer: { type: 'answer', sdp: fakeSdp('answer') } });
      return;
    }
    if (m.answer !== undefined && typeof m.offer_id === 'string') {
      const track = this.offers.get(m.offer_id);
      if (!track || Number.isNaN(track.answerSentAt)) return;
      this.offers.delete(m.offer_id);
      track.round.answerMs.push(performance.now() - track.answerSentAt);
      track.round.waiting--;
      track.round.finish();
      return;
    }
    if (m.interval !== undefined) this.responses.deliver(peer, true);
  }

  onClose(code: number): void {
    const key = String(code);
    this.refusals.closed[key] = (this.refusals.closed[key] ?? 0) + 1;
  }

  private base(peer: LoadPeer): Json {
    return { action: 'announce', info_hash: this.infoHash(peer.swarm), peer_id: peer.id, uploaded: 0, downloaded: 0, left: LEFT };
  }

  private infoHash(swarm: number): string {
    return id20('edge-swarm-', swarm);
  }

  /** Sends one announce with fresh offers; `responded` settles on the tracker's reply, `settled` once every answer is back too. */
  private announce(peer: LoadPeer, event: 'started' | undefined): { responded: Sent; settled: Promise<void> } {
    const ids = Array.from({ length: this.offersPerAnnounce }, () => id20('of', this.offerCount++));
    let finished = (): void => {};
    const settled = new Promise<void>((r) => (finished = r));
    const round: Round = {
      sentAt: performance.now(),
      offerMs: [],
      answerMs: [],
      waiting: ids.length,
      responded: false,
      finish: () => {
        if (round.responded && round.waiting === 0) finished();
      },
    };
    for (const id of ids) this.offers.set(id, { round, answerSentAt: Number.NaN });
    const responded = Object.assign(
      this.responses.wait(peer).then((ok) => {
        round.responded = ok;
        // A refused announce forwards nothing: do not wait for answers that cannot come.
        if (!ok) finished();
        round.finish();
      }),
      { round, ids },
    );
    peer.send({
      ...this.base(peer),
      ...(event ? { event } : {}),
      numwant: ids.length,
      offers: ids.map((offer_id) => ({ offer_id, offer: { type: 'offer', sdp: fakeSdp('offer') } })),
    });
    return { responded, settled };
  }

  /** Late answers to a finished round are not timed. */
  private forget(sent: Sent): void {
    for (const id of sent.ids) this.offers.delete(id);
  }
}
