/**
 * Hostile peers against a visitor's tab (issue 11), each a real WebRTC peer in Node speaking our
 * wire protocol (harness/hostile-peer.ts): one asks for the same stored piece again and again,
 * 12 in flight; one floods `have` frames of 512 random hashes. The victim's own counters and
 * the pieces the attacker received say what it cost the tab; no timing is asserted.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { MAX_HAVE_PER_MESSAGE, MAX_HAVES_PER_LINK, OFFER_ANSWER_TIMEOUT_MS, PIECE_SIZE } from '../../protocol/limits.ts';
import { encodeControl } from '../../protocol/peer-wire.ts';
import { launchVisitor, type Visitor } from './harness/browser.ts';
import { type HostilePeer, startHostilePeer } from './harness/hostile-peer.ts';
import { startSite, stats, storedDigests, type TestSite, viewPages, waitUntil } from './harness/site.ts';

const PAGES = ['gallery.html'];

describe('hostile peers against an uploading tab', () => {
  let site: TestSite | undefined;
  let victim: Visitor | undefined;
  const hostiles: HostilePeer[] = [];
  let victimId = '';
  let swarm = '';

  before(async () => {
    site = await startSite();
    victim = await launchVisitor('victim');
    await viewPages(victim, site, PAGES);
    const s = await stats(victim.page);
    victimId = s.peerId;
    swarm = s.swarm;
    await waitUntil('the victim joined signaling', 10_000, async () =>
      (await stats(victim!.page)).signaling === 'open' ? true : undefined,
    );
  });

  after(async () => {
    for (const h of hostiles) await h.close();
    await victim?.close();
    await site?.close();
  });

  const hostile = async (): Promise<HostilePeer> => {
    assert.ok(site?.signal);
    const h = await startHostilePeer({ signalUrl: site.signalUrl, swarm });
    hostiles.push(h);
    return h;
  };

  test('a peer re-requesting one stored piece, 12 in flight, gets it once; the rest are refused `duplicate`', {
    timeout: 120_000,
  }, async () => {
    assert.ok(victim);
    const digests = await storedDigests(victim.page);
    // A full-size stored piece: the first of an asset with more than one.
    const key = Object.keys(digests).find((k) => /^p:[0-9a-f]{64}:0$/.test(k) && `${k.slice(0, -1)}1` in digests);
    assert.ok(key, `the victim stored no multi-piece asset: ${Object.keys(digests).length} keys`);
    const hash = key.split(':')[1] ?? '';
    const uploadedBefore = (await stats(victim.page)).bytesUploaded;

    const h = await hostile();
    const link = await h.connectTo(victimId);
    let pieces = 0;
    let pieceBytes = 0;
    const naks = new Map<string, number>();
    let nextId = 1;
    let answered = 0;
    const ask = (): void => link.send(encodeControl({ t: 'req', id: nextId++, hash, piece: 0 }));
    link.onFrame((f) => {
      answered++;
      if (f.kind === 'piece') {
        pieces++;
        pieceBytes += f.data.byteLength;
      } else if (f.message.t === 'nak') naks.set(f.message.reason, (naks.get(f.message.reason) ?? 0) + 1);
      else answered--; // `have`
      if (nextId <= 400) ask(); // keep 12 in flight
    });
    for (let i = 0; i < 12; i++) ask();
    await waitUntil('400 requests answered', 30_000, async () => (answered >= 400 || link.closed ? true : undefined));
    const uploaded = (await stats(victim.page)).bytesUploaded - uploadedBefore;
    console.log(
      `upload drain: ${nextId - 1} requests, ${answered} answered: ${pieces} pieces (${pieceBytes} B), naks ${JSON.stringify([...naks])}; victim uploaded ${uploaded} B`,
    );
    assert.equal(pieces, 1, `the attacker got the piece ${pieces} times`);
    assert.ok(uploaded <= PIECE_SIZE, `the victim uploaded ${uploaded} B for one piece`);
    assert.ok((naks.get('duplicate') ?? 0) >= 300, `refusals: ${JSON.stringify([...naks])}`);
  });

  test('a peer asking for every stored piece twice gets each once: what the victim uploads is bounded by what it stores', {
    timeout: 120_000,
  }, async () => {
    assert.ok(victim);
    const digests = await storedDigests(victim.page);
    const pieces = Object.keys(digests)
      .map((k) => /^p:([0-9a-f]{64}):(\d+)$/.exec(k))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => ({ hash: m[1] ?? '', piece: Number(m[2]) }));
    assert.ok(pieces.length > 10, `the victim stores ${pieces.length} pieces`);
    const uploadedBefore = (await stats(victim.page)).bytesUploaded;
    const h = await hostile();
    const link = await h.connectTo(victimId);
    const wanted = [...pieces, ...pieces];
    let next = 0;
    let answered = 0;
    let received = 0;
    const naks = new Map<string, number>();
    const ask = (): void => {
      const p = wanted[next];
      if (!p) return;
      link.send(encodeControl({ t: 'req', id: ++next, hash: p.hash, piece: p.piece }));
    };
    link.onFrame((f) => {
      if (f.kind === 'control' && f.message.t !== 'nak') return;
      answered++;
      if (f.kind === 'piece') received += f.data.byteLength;
      else if (f.message.t === 'nak') naks.set(f.message.reason, (naks.get(f.message.reason) ?? 0) + 1);
      ask();
    });
    for (let i = 0; i < 12; i++) ask();
    await waitUntil('every request answered', 30_000, async () => (answered >= wanted.length || link.closed ? true : undefined));
    const uploaded = (await stats(victim.page)).bytesUploaded - uploadedBefore;
    const once = pieces.length * PIECE_SIZE;
    console.log(
      `every piece twice: ${wanted.length} requests, ${answered} answered; received ${received} B, naks ${JSON.stringify([...naks])}; victim uploaded ${uploaded} B (stores ${pieces.length} pieces)`,
    );
    assert.ok(uploaded <= once, `the victim uploaded ${uploaded} B, more than its ${pieces.length} stored pieces once`);
    // A request choked in the first round (the victim's upload queue full) was never sent, and its
    // piece may be served in the second: every piece is sent once, refused `duplicate` after that.
    const choked = naks.get('choked') ?? 0;
    assert.ok((naks.get('duplicate') ?? 0) >= pieces.length - choked, `second round not refused: ${JSON.stringify([...naks])}`);
  });

  test(`a peer flooding \`have\` (512 random hashes a frame) is banned and unlinked past ${MAX_HAVES_PER_LINK} hashes`, {
    timeout: 120_000,
  }, async () => {
    assert.ok(victim);
    const h = await hostile();
    const link = await h.connectTo(victimId);
    let sent = 0;
    let banned = false;
    for (; sent < 3_000 && !banned && !link.closed; sent++) {
      const have = Array.from({ length: MAX_HAVE_PER_MESSAGE }, () => randomBytes(32).toString('hex'));
      link.send(encodeControl({ t: 'have', have }));
      // Every 16 frames, look at the victim as the attack goes on (the attacker may not see the close at once).
      if (sent % 16 === 15) banned = (await stats(victim.page)).bannedPeers.includes(h.peerId);
    }
    const s = await waitUntil('the victim bans the flooder', 15_000, async () => {
      const st = await stats(victim!.page);
      return st.bannedPeers.includes(h.peerId) ? st : undefined;
    }).catch(() => stats(victim!.page));
    console.log(
      `have flood: sent ${sent} frames (${sent * MAX_HAVE_PER_MESSAGE} hashes); victim holds ${s.peerHaves} haves, banned ${JSON.stringify(s.bannedPeers)}`,
    );
    assert.ok(s.bannedPeers.includes(h.peerId), `the flooder ${h.peerId} is not banned: ${JSON.stringify(s.bannedPeers)}`);
    assert.ok(!s.connectedPeers.includes(h.peerId), 'the flooder is still linked');
    assert.ok(s.peerHaves <= MAX_HAVES_PER_LINK, `the victim holds ${s.peerHaves} announced hashes`);
    assert.ok(sent < 3_000, 'the victim took the whole flood');
  });

  test('a newcomer that takes every parked offer and never answers: once they expire, the holder parks offers again', {
    timeout: 90_000,
  }, async () => {
    assert.ok(victim);
    const digests = await storedDigests(victim.page);
    const hash = Object.keys(digests)
      .find((k) => k.startsWith('a:'))
      ?.slice(2);
    assert.ok(hash, 'the victim holds no complete asset');
    const h = await hostile();
    const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
    /** One `want`: whether the server handed us one of the victim's offers (it is then used up). */
    const takeOffer = async (): Promise<boolean> => {
      const answer = h.next((m) => m.type === 'peers' && m.hash === hash);
      h.send({ type: 'want', hash, exclude: [] });
      const m = await answer;
      return m.type === 'peers' && m.peers.some((p) => p.peerId === victimId && p.offer !== undefined);
    };
    let taken = 0;
    let dry = 0;
    // Take offers as the victim parks them, until three asks in a row find none.
    while (dry < 3 && taken < 40) {
      if (await takeOffer()) {
        taken++;
        dry = 0;
      } else dry++;
      await sleep(300);
    }
    const exhaustedAt = Date.now();
    console.log(`offer expiry: took ${taken} offers, then none for ${dry} asks`);
    assert.ok(dry === 3, `the victim kept parking offers: ${taken} taken`);
    // Not a speed check: the attempts expire after OFFER_ANSWER_TIMEOUT_MS; then the victim may park again.
    await sleep(OFFER_ANSWER_TIMEOUT_MS + 500 - (Date.now() - exhaustedAt));
    const again = await waitUntil('an offer of the victim again', 10_000, async () => ((await takeOffer()) ? true : undefined)).catch(
      () => false,
    );
    console.log(`offer expiry: after the taken offers expired, the victim ${again ? 'parked offers again' : 'parked none'}`);
    assert.equal(again, true, 'the holder never parked an offer again after the taken ones expired');
  });
});
