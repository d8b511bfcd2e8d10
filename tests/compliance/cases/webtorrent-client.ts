/**
 * bittorrent-tracker's own Client (what WebTorrent uses) against the tracker route, in any
 * runtime: announce, peers meeting over WebRTC through the relayed offer and answer, scrape of
 * one and several torrents, complete, stop. WebRTC is node-datachannel (see tracker-webrtc.ts).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { type EventEmitter, EventEmitter as EventEmitterClass } from 'node:events';
import Client, { type AnnounceUpdate, type ScrapeData, type TrackerPeer } from 'bittorrent-tracker/client';
import { fireEndOfCandidates, LOOPBACK_RTC_CONFIG } from '../../unit/tracker-webrtc.ts';
import type { CaseContext, ComplianceCase } from '../support/case.ts';
import { nextEvent, withTimeout } from '../support/wait.ts';

const STEP_TIMEOUT_MS = 10_000;

export const webTorrentClientCases: readonly ComplianceCase[] = [
  {
    name: 'tracker: bittorrent-tracker Client announces, meets its peer over WebRTC, scrapes one and several torrents, completes and stops',
    async run(context) {
      fireEndOfCandidates();
      const infoHash = hexId();
      const idA = hexId();
      const idB = hexId();
      const a = client(context, infoHash, idA);
      const startedA = next<AnnounceUpdate>(a, 'update', 'the first announce response');
      a.start();
      const first = await startedA;
      assert.equal(first.infoHash, infoHash);
      assert.ok(first.announce.startsWith(context.server.trackerUrl), first.announce);
      assert.equal(first.complete + first.incomplete, 1);

      const b = client(context, infoHash, idB);
      const seenByA: TrackerPeer[] = [];
      const seenByB: TrackerPeer[] = [];
      a.on('peer', (peer) => seenByA.push(peer));
      b.on('peer', (peer) => seenByB.push(peer));
      const connectedA = connectedPeer(a, 'A to connect to B');
      const connectedB = connectedPeer(b, 'B to connect to A');
      b.start();
      // The data channel opens only if the relay carried the offer and the answer intact.
      const [pa, pb] = await Promise.all([connectedA, connectedB]);
      assert.equal(pa.id, idB);
      assert.equal(pb.id, idA);
      assert.ok(seenByA.every((p) => p.id === idB) && seenByB.every((p) => p.id === idA), 'peers only ever meet each other');

      const scraped = next<ScrapeData>(b, 'scrape', 'a scrape response');
      b.scrape();
      assert.deepEqual(pick(await scraped), { infoHash, complete: 0, incomplete: 2, downloaded: 0 });

      const completed = next<AnnounceUpdate>(a, 'update', 'the completed response', (u) => u.complete === 1);
      a.complete();
      assert.deepEqual(pick(await completed), { infoHash, complete: 1, incomplete: 1 });

      const other = hexId();
      const both: ScrapeData[] = [];
      const two = new Promise<void>((resolve) => {
        const on = (data: ScrapeData): void => {
          both.push(data);
          if (both.length === 2) {
            b.off('scrape', on);
            resolve();
          }
        };
        b.on('scrape', on);
      });
      b.scrape({ infoHash: [infoHash, other] });
      await withTimeout(two, 'two scrape responses', STEP_TIMEOUT_MS);
      const byHash = (x: { infoHash: string }, y: { infoHash: string }): number => x.infoHash.localeCompare(y.infoHash);
      assert.deepEqual(
        both.map(pick).sort(byHash),
        [
          { infoHash, complete: 1, incomplete: 1, downloaded: 1 },
          { infoHash: other, complete: 0, incomplete: 0, downloaded: 0 },
        ].sort(byHash),
      );

      const stopped = next<AnnounceUpdate>(a, 'update', 'the stopped response', (u) => u.complete === 0);
      a.stop();
      assert.deepEqual(pick(await stopped), { infoHash, complete: 0, incomplete: 1 });
    },
  },
];

/** Tracker warnings a case collects from its clients; each also fires `warning`. */
export class Warnings extends EventEmitterClass {
  readonly messages: string[] = [];

  add(message: string): void {
    this.messages.push(message);
    this.emit('warning', message);
  }
}

export const hexId = (): string => randomBytes(20).toString('hex');

/**
 * A client with its own socket, destroyed when the case ends. A tracker warning fails the case,
 * unless `warnings` is given: then it is collected there (and emitted on it as `warning`) for the
 * case to assert on, which ends a case cleanly where a throw from a listener would not.
 */
export function client({ server, t, defer }: CaseContext, infoHash: string, peerId: string, warnings?: Warnings): Client {
  // Its own URL (the route ignores the query), so each client has its own socket rather than
  // the module-wide pooled one: two independent clients, as in two browsers.
  const c = new Client({
    infoHash,
    peerId,
    announce: [`${server.trackerUrl}?client=${peerId}`],
    port: 6881,
    rtcConfig: LOOPBACK_RTC_CONFIG,
  });
  c.on('warning', (err) => {
    // A failed WebRTC attempt is node-datachannel's, not the tracker's: noted, then retried.
    if (err.message.startsWith('Connection error:')) t.diagnostic(err.message);
    // Anything else is the tracker refusing what a real client sent: fail loudly.
    else if (warnings) warnings.add(err.message);
    else assert.fail(`client warning: ${err.message}`);
  });
  c.on('error', (err) => assert.fail(`client error: ${err.message}`));
  const peers: TrackerPeer[] = [];
  c.on('peer', (peer) => {
    // Tearing one side down makes the other side's data channel fail ("User-Initiated Abort,
    // reason=Close called") before its own destroy; without a listener that error escapes the
    // test as an uncaught exception. A failure during the test shows as a missed 'connect'.
    // (A no-op: a diagnostic would be activity after the test ended.)
    peer.on('error', () => undefined);
    peers.push(peer);
  });
  defer(async () => {
    for (const peer of peers) peer.destroy();
    await new Promise<void>((resolve) => c.destroy(() => resolve()));
  });
  return c;
}

/** The next `event` from `emitter` that `accept`s, within STEP_TIMEOUT_MS. */
function next<T>(emitter: EventEmitter, event: string, what: string, accept: (value: T) => boolean = () => true): Promise<T> {
  return nextEvent(emitter, event, what, accept, STEP_TIMEOUT_MS);
}

/** The first peer of `client` whose data channel opens (a failed attempt is retried at the next announce). */
export function connectedPeer(client: Client, what: string): Promise<TrackerPeer> {
  return withTimeout(
    new Promise<TrackerPeer>((resolve) => client.on('peer', (peer) => peer.once('connect', () => resolve(peer)))),
    what,
    STEP_TIMEOUT_MS,
  );
}

function pick(data: AnnounceUpdate & Partial<ScrapeData>): { infoHash: string; complete: number; incomplete: number; downloaded?: number } {
  const { infoHash, complete, incomplete, downloaded } = data;
  return downloaded === undefined ? { infoHash, complete, incomplete } : { infoHash, complete, incomplete, downloaded };
}
