/**
 * What a video viewer is pointed at: a site folder built with PeerConnect (harness `startSite`:
 * real build, its own signaling server and tracker, so a fresh swarm each time) or served plain
 * (the unbuilt folder, same counting origin server, no worker), under one network condition.
 * Like bench/lib/origin/site-targets.ts, plus what the page's clock needs to pick the video out of
 * the bridge's messages and marks: its SHA-256 and its torrent's info hash.
 */
import { urlPathFor } from '../../protocol/manifest.ts';
import { startOriginServer, type OriginServer } from '../../tests/e2e/harness/origin-server.ts';
import { startSite } from '../../tests/e2e/harness/site.ts';
import type { OriginNetwork } from '../lib/origin/network.ts';
import type { Shaper } from '../lib/origin/shaper.ts';

export interface VideoIds {
  /** Path in the site, e.g. `media/test-pattern.webm` (the manifest key). */
  key: string;
  /** The manifest's SHA-256 (the worker's `fetch` to the bridge names it); null on the plain origin. */
  hash: string | null;
  infoHash: string | null;
}

export interface VideoTarget {
  kind: 'plain' | 'peerconnect';
  origin: OriginServer;
  video: VideoIds;
  url(path: string): string;
  close(): Promise<void>;
}

/** Validators on (ETag + `no-cache`, as Netlify and Vercel send): the second page revalidates CSS and font. */
const originOptions = (net: OriginNetwork, shaper: Shaper) => ({
  latencyMs: net.latencyMs,
  validators: true,
  ...(shaper.bytesPerSecond ? { bytesPerSecond: shaper.bytesPerSecond } : {}),
});

export async function startVideoTarget(kind: VideoTarget['kind'], siteDir: string, videoKey: string, net: OriginNetwork, shaper: Shaper): Promise<VideoTarget> {
  if (kind === 'peerconnect') {
    const site = await startSite({ siteDir, firstVisit: 'swap', origin: originOptions(net, shaper) });
    const asset = site.manifest.assets[videoKey];
    try {
      if (!asset?.torrent) throw new Error(`${videoKey}: no torrent in the built manifest`);
      await shaper.limitPort(site.origin.port);
    } catch (err) {
      await site.close();
      throw err;
    }
    return { kind, origin: site.origin, video: { key: videoKey, hash: asset.hash, infoHash: asset.torrent.infoHash }, url: (p) => site.url(p), close: () => site.close() };
  }
  const origin = await startOriginServer({ root: siteDir, ...originOptions(net, shaper) });
  await shaper.limitPort(origin.port).catch(async (err: unknown) => {
    await origin.close();
    throw err;
  });
  return { kind, origin, video: { key: videoKey, hash: null, infoHash: null }, url: (p) => `${origin.url}/${urlPathFor(p)}`, close: () => origin.close() };
}

/** Bytes and requests of the video the origin itself sent one visitor (web seed and worker fallbacks alike). */
export function originVideoUse(target: VideoTarget, visitor: string): { bytes: number; requests: number } {
  const use = { bytes: 0, requests: 0 };
  for (const r of target.origin.snapshot({ visitor }).requests) {
    if (r.path !== `/${target.video.key}`) continue;
    use.bytes += r.bodyBytes;
    use.requests++;
  }
  return use;
}
