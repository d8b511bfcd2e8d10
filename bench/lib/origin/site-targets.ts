/**
 * What a visitor is pointed at, for any site folder: the site built with PeerConnect (harness
 * `startSite`: real build, its own signaling server, so a fresh swarm each time) or the plain
 * origin a site owner has today (the unbuilt folder, same counting server, no worker). Both
 * under the same network conditions.
 */

import { type Manifest, urlPathFor } from '../../../protocol/manifest.ts';
import { type OriginServer, startOriginServer } from '../../../tests/e2e/harness/origin-server.ts';
import { type SiteOptions, startSite } from '../../../tests/e2e/harness/site.ts';
import type { OriginNetwork } from './network.ts';
import { originOptions } from './origins.ts';
import type { Shaper } from './shaper.ts';

export type TargetKind = 'peerconnect' | 'plain';

export interface Target {
  kind: TargetKind;
  origin: OriginServer;
  /** The built site's manifest; null on the plain origin. */
  manifest: Manifest | null;
  /** Absolute URL of a site path (`posts/a.html`). */
  url(path: string): string;
  close(): Promise<void>;
}

export interface TargetNetwork {
  net: OriginNetwork;
  shaper: Shaper;
}

/**
 * Validators on (ETag + `no-cache`, as Netlify and Vercel send): a navigation revalidates the
 * CSS and font it already has with a 304, as it would on a real static host.
 */
/** `build`: PeerConnect build options beyond the defaults (page-speed: `lcpFromOrigin`). */
export async function startTarget(
  kind: TargetKind,
  siteDir: string,
  network: TargetNetwork,
  build?: SiteOptions['build'],
): Promise<Target> {
  const { net, shaper } = network;
  const options = originOptions(net, shaper, { validators: true });
  if (kind === 'peerconnect') {
    const site = await startSite({ siteDir, firstVisit: 'swap', origin: options, ...(build ? { build } : {}) });
    await shaper.limitPort(site.origin.port).catch(async (err: unknown) => {
      await site.close();
      throw err;
    });
    return { kind, origin: site.origin, manifest: site.manifest, url: (p) => site.url(p), close: () => site.close() };
  }
  const origin = await startOriginServer({ root: siteDir, ...options });
  await shaper.limitPort(origin.port).catch(async (err: unknown) => {
    await origin.close();
    throw err;
  });
  return { kind, origin, manifest: null, url: (p) => `${origin.url}/${urlPathFor(p)}`, close: () => origin.close() };
}
