/**
 * The WebTorrent tracker workload of bench/edge-load.ts, as browser WebTorrent clients speak it
 * to any WebSocket tracker (ours on every runtime, bittorrent-tracker's server): a peer announces
 * with non-trickle offers; the tracker answers the announce and forwards each offer to a random
 * peer of the swarm; that peer answers at once with an announce carrying `answer`, which the
 * tracker relays back. All peers live in this one process, so both relay legs are timed on one
 * clock: offer (A's announce sent → B has the offer) and answer (B's answer sent → A has it).
 *
 * It also keeps, per peer, the offer budget our tracker keeps for it (the same token buckets and
 * default rules as tracker/offer-budget.ts, here with their levels readable), fed with the offers
 * the peer is actually handed, on this process's clock: an offer that arrives when either bucket
 * is under one token is counted (`overBudget`), and the lowest levels say how much margin was left.
 * Our tracker never delivers such an offer (it sends it to another peer), so on our servers the
 * count stays ~0 (an offer let through at just over one token may arrive, after a delay the
 * earlier ones did not have, at just under); on bittorrent-tracker, which has no budget, it tells
 * whether the workload itself stays inside ours.
 */
import { type BucketRule, bucketRule, type OfferBudgetRules } from '../../signal-worker/core/tracker/offer-budget.ts';
import { DEFAULT_TRACKER_LIMITS } from '../../signal-worker/core/tracker/tracker-limits.ts';
import { fakeSdp } from '../lib/signaling/fake-sdp.ts';
import { type Json, type LoadPeer, Replies, within } from '../lib/signaling/load-peer.ts';
import type { Refusals } from './ipc.ts';

/** Bytes left to download: every peer is a leecher, so an offer may go to any other peer (ours skips seeder → seeder). */
const LEFT = 1_000_000;

const BUDGET_RULES: OfferBudgetRules = {
  target: bucketRule(DEFAULT_TRACKER_LIMITS.offerBurstPerTarget, DEFAULT_TRACKER_LIMITS.offersPerTargetPerMinute),
  perSender: bucketRule(DEFAULT_TRACKER_LIMITS.offerBurstPerSenderToTarget, DEFAULT_TRACKER_LIMITS.offersPerSenderToTargetPerMinute),
};

interface Bucket {
  tokens: number;
  last: number;
}

/** tracker/offer-budget.ts's refill: up to `now`, capped at the burst. */
function refill(bucket: Bucket, rule: BucketRule, now: number): number {
  bucket.tokens = Math.min(rule.burst, bucket.tokens + Math.max(0, now - bucket.last) * rule.perMs);
  bucket.last = Math.max(bucket.last, now);
  return bucket.tokens;
}

interface PeerBudget {
  total: Bucket;
  bySender: Map<string, Bucket>;
}

/** Offers past a peer's budget in one phase, and the lowest level (either bucket) any of them arrived at. */
export interface OverBudget {
  count: number;
  deepest: number;
}

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
  /** Each peer's offer budget as our tracker would keep it (by peer index), made at its first offer. */
  private readonly budgets = new Map<number, PeerBudget>();
  /** Which count offers go to: the join, or the run (from `go` on). */
  phase: 'join' | 'run' = 'join';
  readonly overBudget: Record<'join' | 'run', OverBudget> = {
    join: { count: 0, deepest: Number.POSITIVE_INFINITY },
    run: { count: 0, deepest: Number.POSITIVE_INFINITY },
  };
  /** The fewest tokens an offer in the run found in its target's bucket, and in its sender's share there. */
  readonly runLowest = { target: Number.POSITIVE_INFINITY, perSender: Number.POSITIVE_INFINITY };
  /** Offers handed to each peer during the run, by peer index. */
  readonly handedInRun = new Map<number, number>();

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
      this.countOffer(peer, m.peer_id, now);
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

  /** Feeds one handed offer to the peer's budget model; one arriving with a bucket under one token is counted, not taken. */
  private countOffer(peer: LoadPeer, sender: string, now: number): void {
    if (this.phase === 'run') this.handedInRun.set(peer.index, (this.handedInRun.get(peer.index) ?? 0) + 1);
    let budget = this.budgets.get(peer.index);
    if (!budget) this.budgets.set(peer.index, (budget = { total: { tokens: BUDGET_RULES.target.burst, last: now }, bySender: new Map() }));
    let own = budget.bySender.get(sender);
    if (!own) budget.bySender.set(sender, (own = { tokens: BUDGET_RULES.perSender.burst, last: now }));
    const target = refill(budget.total, BUDGET_RULES.target, now);
    const share = refill(own, BUDGET_RULES.perSender, now);
    if (this.phase === 'run') {
      this.runLowest.target = Math.min(this.runLowest.target, target);
      this.runLowest.perSender = Math.min(this.runLowest.perSender, share);
    }
    if (target >= 1 && share >= 1) {
      budget.total.tokens -= 1;
      own.tokens -= 1;
      return;
    }
    const over = this.overBudget[this.phase];
    over.count++;
    over.deepest = Math.min(over.deepest, target, share);
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
