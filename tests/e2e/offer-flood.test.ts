/**
 * A tracker offer flood against a tab (issue 11, item 5): hundreds of WebRTC offers relayed by a
 * tracker to a tab whose WebTorrent is in a video's swarm, each from a new peer id, each a real
 * SDP that will never connect. The tracker is bittorrent-tracker's own server, which relays
 * whatever it is sent (a public tracker a site may announce to): ours limits new peer ids per
 * connection and offers per target (tests/compliance/cases/tracker-hostile.ts), so the tab's own
 * defence is tested where nothing in front of it defends. WebTorrent's tracker client makes an RTCPeerConnection per offer;
 * past TORRENT_MAX_PENDING_CONNECTIONS the tab drops them before one is made, and the page can
 * still make its own RTCPeerConnection. Counted, never timed.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import Peer, { type SignalData } from '@thaunknown/simple-peer/lite.js';
import { Server as TrackerServer } from 'bittorrent-tracker';
import WebSocket from 'ws';
import { TORRENT_MAX_PENDING_CONNECTIONS } from '../../protocol/limits.ts';
import { fireEndOfCandidates, LOOPBACK_RTC_CONFIG } from '../unit/tracker-webrtc.ts';
import { launchVisitor, type Visitor } from './harness/browser.ts';
import { startSite, type TestSite, waitForReady, waitUntil } from './harness/site.ts';
import { torrentStats } from './harness/video.ts';

const VIDEO = 'media/test-pattern.webm';
const PAGE = 'media.html';
const CONNECTIONS = 8;
const OFFERS_PER_CONNECTION = 75;

const binaryId = (): string => randomBytes(20).toString('latin1');

/**
 * Counts the page's RTCPeerConnections from before any script runs (the bridge's, WebTorrent's):
 * made, alive (not closed, not failed) now, and the most alive at once. The test's own count, not
 * the product's.
 */
const COUNT_PEER_CONNECTIONS = `(() => {
  const Base = window.RTCPeerConnection;
  if (!Base) return;
  const c = { made: 0, alive: 0, peak: 0 };
  class Counted extends Base {
    constructor(config) {
      super(config);
      c.made++; c.alive++; c.peak = Math.max(c.peak, c.alive);
      let open = true;
      const done = () => { if (open) { open = false; c.alive--; } };
      this.addEventListener('connectionstatechange', () => {
        if (this.connectionState === 'closed' || this.connectionState === 'failed') done();
      });
      const close = this.close.bind(this);
      this.close = () => { done(); close(); };
    }
  }
  window.RTCPeerConnection = Counted;
  window.__peerConnections = () => ({ ...c });
})();`;

type PcCount = { made: number; alive: number; peak: number };
/** Peak RTCPeerConnections a tab may hold with the fix: WebTorrent's pending cap, the pool's links and pending ones, WebTorrent's open wires. */
const PEAK_BOUND = 64;

/** One real non-trickle offer from Node (a peer that never takes an answer, so it never connects). */
async function realOffer(): Promise<{ sdp: string; close(): void }> {
  fireEndOfCandidates();
  const peer = new Peer({ initiator: true, trickle: false, config: LOOPBACK_RTC_CONFIG });
  peer.on('error', () => undefined);
  const sdp = await new Promise<string>((resolve) =>
    peer.on('signal', (d: SignalData) => {
      if (d.type === 'offer' && d.sdp) resolve(d.sdp);
    }),
  );
  return { sdp, close: () => peer.destroy() };
}

/**
 * Announces, each under a new peer id, one offer each, and leaves the swarm at once (`stopped`):
 * the tracker forwards an offer to a random other member, so with the flood's ids gone the tab
 * is the one it reaches, whether or not it has the whole video.
 */
async function flood(trackerUrl: string, infoHashHex: string, sdp: string, count: number): Promise<number> {
  const ws = new WebSocket(trackerUrl);
  ws.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const infoHash = Buffer.from(infoHashHex, 'hex').toString('latin1');
  const base = { action: 'announce', info_hash: infoHash, uploaded: 0, downloaded: 0, left: 1_000 };
  let sent = 0;
  for (; sent < count && ws.readyState === WebSocket.OPEN; sent++) {
    const peerId = binaryId();
    ws.send(
      JSON.stringify({
        ...base,
        peer_id: peerId,
        event: 'started',
        numwant: 1,
        offers: [{ offer_id: binaryId(), offer: { type: 'offer', sdp } }],
      }),
    );
    ws.send(JSON.stringify({ ...base, peer_id: peerId, event: 'stopped' }));
    // Paced as a client under a tracker's message rate limit would be (50 messages/s, burst 100).
    if (sent % 20 === 19) await new Promise((r) => setTimeout(r, 850));
  }
  ws.close();
  return sent;
}

/** bittorrent-tracker's WebSocket server on loopback: relays every offer, limits nothing. */
async function startOpenTracker(): Promise<{ url: string; close(): Promise<void> }> {
  const server = new TrackerServer({ udp: false, http: false, ws: true, stats: false });
  server.on('warning', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.http?.address();
  if (!address || typeof address === 'string') throw new Error('the tracker has no address');
  return { url: `ws://127.0.0.1:${address.port}`, close: () => new Promise((r) => server.close(() => r())) };
}

describe('a tracker offer flood', () => {
  let site: TestSite | undefined;
  let visitor: Visitor | undefined;
  let tracker: Awaited<ReturnType<typeof startOpenTracker>> | undefined;

  before(async () => {
    tracker = await startOpenTracker();
    site = await startSite({ build: { tracker: tracker.url } });
  });
  after(async () => {
    await visitor?.close();
    await site?.close();
    await tracker?.close();
  });

  test(`the tab keeps at most ${TORRENT_MAX_PENDING_CONNECTIONS} of WebTorrent's connections pending and can still make its own`, {
    timeout: 90_000,
  }, async () => {
    assert.ok(site);
    const torrent = site.manifest.assets[VIDEO]?.torrent;
    assert.ok(torrent, `${VIDEO} has no torrent`);
    visitor = await launchVisitor('victim');
    await visitor.context.addInitScript({ content: COUNT_PEER_CONNECTIONS });
    // A page the worker controls starts its media's torrents with the document: the tab is in the swarm.
    await visitor.open(site.url(PAGE));
    await waitForReady(visitor.page, 20_000);
    await visitor.open(site.url(PAGE));
    await waitForReady(visitor.page, 20_000);
    await waitUntil('the tab in the video swarm', 20_000, async () => ((await torrentStats(visitor!.page))?.torrents ? true : undefined));
    const trackerUrl = torrent.announce.startsWith('/') ? new URL(torrent.announce, site.signalUrl).href : torrent.announce;

    const offer = await realOffer();
    const sent = (
      await Promise.all(Array.from({ length: CONNECTIONS }, () => flood(trackerUrl, torrent.infoHash, offer.sdp, OFFERS_PER_CONNECTION)))
    ).reduce((a, b) => a + b, 0);
    // Let the tab take in what the tracker relayed.
    const stats = await waitUntil('the tab to have seen the flood', 30_000, async () => {
      const s = await torrentStats(visitor!.page);
      return s && s.gatedConnections + s.refusedConnections >= sent * 0.9 ? s : undefined;
    }).catch(() => torrentStats(visitor!.page));
    const count = await visitor.page.evaluate(
      () => (window as Window & { __peerConnections?: () => PcCount }).__peerConnections?.() ?? null,
    );
    const own = await visitor.page.evaluate(() => {
      try {
        const pc = new RTCPeerConnection();
        pc.createDataChannel('x');
        pc.close();
        return 'ok';
      } catch (error) {
        return String(error);
      }
    });
    offer.close();
    console.log(
      `offer flood: ${sent} offers sent; the page's RTCPeerConnections ${JSON.stringify(count)}; tab torrent stats ${JSON.stringify(stats)}; its own RTCPeerConnection: ${own}`,
    );
    assert.ok(count, 'the page counter is missing');
    assert.ok(count.peak <= PEAK_BOUND, `the tab held ${count.peak} RTCPeerConnections at once`);
    assert.ok(stats, 'no torrent stats');
    assert.ok(stats.gatedConnections > 0, 'WebTorrent made no connection through the gate: the gate is not in its path');
    assert.ok(stats.pendingConnections <= TORRENT_MAX_PENDING_CONNECTIONS, `${stats.pendingConnections} pending`);
    assert.ok(stats.refusedConnections >= sent / 2, `only ${stats.refusedConnections} of ${sent} offers dropped`);
    assert.equal(own, 'ok', 'the page could not make an RTCPeerConnection after the flood');
  });
});
