/**
 * The servers a benchmark compares, under one network condition: a site folder (the demo site,
 * `DEMO_SITE`, unless a benchmark writes its own) built with PeerConnect (harness `startSite`:
 * real build, real signaling server, counting origin), and the plain origin a site owner has
 * today: the same folder, unbuilt, from the same counting origin server, no worker, no bridge.
 */
import { type OriginOptions, type OriginServer, startOriginServer } from '../../../tests/e2e/harness/origin-server.ts';
import { startSite, type TestSite } from '../../../tests/e2e/harness/site.ts';
import type { OriginNetwork } from './network.ts';
import type { Shaper } from './shaper.ts';

/** `auto` is the product's default: the build picks `reload` or `off` per page. */
export type FirstVisitMode = 'auto' | 'swap' | 'reload' | 'off';

/**
 * `validators`: ETag/Last-Modified with `no-cache`, as Netlify and Vercel send, so a page that
 * reloads itself gets 304s for what it already has (see the harness origin server's notes).
 * Off, every request is a full transfer: what a timing of single fetches needs to compare like with like.
 */
export interface OriginChoice {
  validators: boolean;
}

/** The origin server's options for one network condition (its per-response throttle only when tc is not used). */
export const originOptions = (net: OriginNetwork, shaper: Shaper, choice: OriginChoice): Omit<OriginOptions, 'root'> => ({
  latencyMs: net.latencyMs,
  validators: choice.validators,
  ...(shaper.bytesPerSecond ? { bytesPerSecond: shaper.bytesPerSecond } : {}),
});

export async function startPeerConnectSite(
  mode: FirstVisitMode,
  siteDir: string,
  net: OriginNetwork,
  shaper: Shaper,
  choice: OriginChoice,
): Promise<TestSite> {
  const site = await startSite({ siteDir, firstVisit: mode, origin: originOptions(net, shaper, choice) });
  await shaper.limitPort(site.origin.port).catch(async (err: unknown) => {
    await site.close();
    throw err;
  });
  return site;
}

export async function startPlainOrigin(siteDir: string, net: OriginNetwork, shaper: Shaper, choice: OriginChoice): Promise<OriginServer> {
  const origin = await startOriginServer({ root: siteDir, ...originOptions(net, shaper, choice) });
  await shaper.limitPort(origin.port).catch(async (err: unknown) => {
    await origin.close();
    throw err;
  });
  return origin;
}
