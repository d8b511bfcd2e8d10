/**
 * One visitor's reading session: the home page (its first visit), then navigations to other
 * pages, each until complete. What the origin sent it is counted by the origin server and split
 * at the moment the first page was complete and the visitor's origin traffic had gone quiet.
 */
import type { Response } from 'playwright-core';
import type { HandOverReason } from '../../../sw/gather-pieces.ts';
import { WHY_HEADER } from '../../../sw/serve-asset.ts';
import type { Visitor } from '../../../tests/e2e/harness/browser.ts';
import type { Target } from '../origin/site-targets.ts';
import { type OriginCount, originCount } from '../origin/visitor-origin.ts';
import { sleep } from '../run/budget.ts';
import { authoredImages } from './page-images.ts';
import { installPageTiming } from './page-timing.ts';
import { type PageVisit, visitPage } from './page-visit.ts';

export interface SessionResult {
  /** 0-based arrival order. */
  index: number;
  visitor: string;
  ok: boolean;
  error?: string;
  pages: PageVisit[];
  firstOrigin: OriginCount;
  navOrigin: OriginCount;
  firstPeerBytes: number;
  navPeerBytes: number;
  navigations: number;
  wallMs: number;
  /**
   * The worker's answers it handed to the network, by reason (its `x-peer-connect-why` header:
   * `hedge`, `no-peers`, `no-peers-known`, `no-bridge`, `critical`), over the whole session.
   */
  handOvers: Partial<Record<HandOverReason, number>>;
}

/** The bridge announces a stored asset on its next message after the worker's `stored`. */
const ANNOUNCE_GRACE_MS = 300;

export async function runSession(
  visitor: Visitor,
  index: number,
  target: Target,
  siteDir: string,
  route: readonly string[],
  perPageMs: number,
  /** Runs after each page is complete, before the next (e.g. waiting for its prefetch). */
  afterPage?: (visitor: Visitor, index: number) => Promise<void>,
): Promise<SessionResult> {
  const t0 = Date.now();
  const pages: PageVisit[] = [];
  const name = visitor.name;
  let boundary = Number.POSITIVE_INFINITY;
  let error: string | undefined;
  await installPageTiming(visitor.context);
  const handOvers: Partial<Record<HandOverReason, number>> = {};
  const reading: Promise<void>[] = [];
  const onResponse = (r: Response): void => {
    reading.push(
      r
        .headerValue(WHY_HEADER)
        .then((why) => {
          if (why) handOvers[why as HandOverReason] = (handOvers[why as HandOverReason] ?? 0) + 1;
        })
        .catch(() => undefined),
    );
  };
  visitor.context.on('response', onResponse);
  for (const [i, path] of route.entries()) {
    const view = await visitPage(visitor, target.url(path), path, {
      peerConnect: target.kind === 'peerconnect',
      minImages: authoredImages(siteDir, path),
      timeoutMs: perPageMs,
      origin: target.origin,
    });
    pages.push(view);
    if (!view.ok) {
      error = `${path}: ${view.error}`;
      break;
    }
    await afterPage?.(visitor, i);
    // visitPage returned once this visitor's origin traffic was quiet: later requests are the navigations'.
    if (i === 0) boundary = Date.now();
  }
  if (target.kind === 'peerconnect') await sleep(ANNOUNCE_GRACE_MS);
  visitor.context.off('response', onResponse);
  await Promise.all(reading);
  const [first, ...navs] = pages;
  return {
    index,
    visitor: name,
    ok: error === undefined,
    ...(error ? { error } : {}),
    pages,
    firstOrigin: originCount(target.origin, name, 0, boundary),
    navOrigin: originCount(target.origin, name, boundary),
    firstPeerBytes: first?.peerBytes ?? 0,
    navPeerBytes: navs.reduce((n, p) => n + p.peerBytes, 0),
    navigations: navs.length,
    wallMs: Date.now() - t0,
    handOvers,
  };
}
