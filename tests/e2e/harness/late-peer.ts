/**
 * A holder that answers every piece request valid but when it chooses (slow-peer.test.ts,
 * hedge.test.ts), on a page of four large images, and a newcomer that must reach it.
 */
import assert from 'node:assert/strict';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FirstVisitOption } from '../../../protocol/first-visit.ts';
import { encodePiece } from '../../../protocol/peer-wire.ts';
import { pieceCount } from '../../../protocol/pieces.ts';
import { launchVisitor, type Visitor } from './browser.ts';
import { type HostilePeer, startHostilePeer } from './hostile-peer.ts';
import { DEMO_SITE, type Session, settle, startSite, type TestSite, viewPages } from './site.ts';

export const FOUR_IMAGES = ['img/café terrace.jpg', 'img/harbour-dawn.jpg', 'img/ridge-line.jpg', 'img/route-map.png'];
export const FOUR_PAGE = 'four.html';
/** A page of FOUR_IMAGES whose LCP candidates the build marks: the first (large by its declared size) and the last (`fetchpriority="high"`). */
export const HERO_PAGE = 'hero.html';
export const HERO_MARKED = [FOUR_IMAGES[0]!, FOUR_IMAGES[3]!];

/** The demo site plus `four.html` and `hero.html`, showing FOUR_IMAGES (each more than four pieces), served. */
export async function fourImageSite(prefix: string, firstVisit?: FirstVisitOption): Promise<{ site: TestSite; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  await cp(DEMO_SITE, dir, { recursive: true });
  // Declared small (40,000 px), so the build marks none of them its LCP candidate: all wait for peers.
  const imgs = FOUR_IMAGES.map((p) => `<img src="${encodeURI(p)}" alt="" width="200" height="200">`).join('\n');
  await writeFile(join(dir, FOUR_PAGE), `<!doctype html><html><head><title>four</title></head><body>\n${imgs}\n</body></html>\n`);
  // The same images, two of them the page's LCP candidates (HERO_MARKED): the first large one, and one marked fetchpriority="high".
  const heroImgs = FOUR_IMAGES.map((p, i) => {
    const size = i === 0 ? 'width="1800" height="1200"' : 'width="200" height="200"';
    return `<img src="${encodeURI(p)}" alt="" ${size}${p === HERO_MARKED[1] ? ' fetchpriority="high"' : ''}>`;
  }).join('\n');
  await writeFile(join(dir, HERO_PAGE), `<!doctype html><html><head><title>hero</title></head><body>\n${heroImgs}\n</body></html>\n`);
  // `--lcp-from-origin` on: HERO_PAGE's marks are what hedge.test.ts checks; FOUR_PAGE has none.
  return { site: await startSite({ siteDir: dir, build: { lcpFromOrigin: true }, ...(firstVisit ? { firstVisit } : {}) }), dir };
}

export interface LatePeer {
  peer: HostilePeer;
  /** Piece requests it got. */
  asked(): number;
  /** Piece bytes it sent. */
  sent(): number;
  /** The assets (by hash) it was asked pieces of. */
  askedFor(): ReadonlySet<string>;
}

/** Starts a Node peer holding FOUR_IMAGES that sends piece `i` valid, `delayMs(i)` ms after it was asked. */
export async function startLatePeer(site: TestSite, delayMs: (piece: number) => number): Promise<LatePeer> {
  const { manifest } = site;
  const files = new Map<string, Uint8Array>();
  for (const key of FOUR_IMAGES) {
    const asset = manifest.assets[key];
    assert.ok(asset && pieceCount(asset.size, manifest.pieceSize) > 4, `${key} is not a multi-piece asset`);
    files.set(asset.hash, new Uint8Array(await readFile(join(site.outDir, key))));
  }
  let asked = 0;
  let sent = 0;
  const askedHashes = new Set<string>();
  const peer = await startHostilePeer({
    signalUrl: site.signalUrl,
    swarm: new URL(site.url(FOUR_PAGE)).host,
    have: [...files.keys()],
    parkOffers: 4,
    onLink: (link) =>
      link.onFrame((f) => {
        if (f.kind !== 'control' || f.message.t !== 'req') return;
        const { id, hash, piece } = f.message;
        asked++;
        askedHashes.add(hash);
        const file = files.get(hash);
        if (!file) return;
        const bytes = file.subarray(piece * manifest.pieceSize, (piece + 1) * manifest.pieceSize);
        setTimeout(() => {
          sent += bytes.byteLength;
          link.send(encodePiece(id, bytes));
        }, delayMs(piece));
      }),
  });
  return { peer, asked: () => asked, sent: () => sent, askedFor: () => askedHashes };
}

/**
 * Views FOUR_PAGE as fresh visitors `${prefix}-1…3` until one has asked `late` for a piece. On a
 * loaded machine Node's WebRTC sometimes leaves the first link half-open past the bridge's connect
 * deadline, and the bridge rightly takes every image from the origin: a fresh visitor then tries
 * again (bounded; the caller still asserts that the peer was asked). A visitor that did not reach
 * it is closed first (else it would be a second holder); the one in use stays in `open`, for the
 * caller's `after` to close even when a view throws.
 */
export async function viewUntilAsked(
  site: TestSite,
  late: LatePeer,
  prefix: string,
  open: Visitor[],
  page = FOUR_PAGE,
): Promise<{ name: string; visitor: Visitor; session: Session }> {
  let last: { name: string; visitor: Visitor; session: Session } | undefined;
  for (let attempt = 1; attempt <= 3; attempt++) {
    for (const v of open.splice(0)) await v.close();
    const name = `${prefix}-${attempt}`;
    const visitor = await launchVisitor(name);
    open.push(visitor);
    last = { name, visitor, session: await viewPages(visitor, site, [page], 60_000) };
    await settle(site);
    if (late.asked() > 0) break;
    console.log(`${name} never reached the late peer (no link); a fresh visitor tries again`);
  }
  assert.ok(last);
  return last;
}
