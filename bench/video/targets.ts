/**
 * What a video viewer is pointed at: a target of bench/lib/origin/site-targets.ts (the site folder
 * built with PeerConnect, its own signaling server and tracker, so a fresh swarm each time; or
 * served plain), plus what the page's clock needs to pick the video out of the bridge's messages
 * and marks: its SHA-256 and its torrent's info hash.
 */
import type { OriginNetwork } from '../lib/origin/network.ts';
import type { Shaper } from '../lib/origin/shaper.ts';
import { startTarget, type Target, type TargetKind } from '../lib/origin/site-targets.ts';

export interface VideoIds {
  /** Path in the site, e.g. `media/test-pattern.webm` (the manifest key). */
  key: string;
  /** The manifest's SHA-256 (the worker's `fetch` to the bridge names it); null on the plain origin. */
  hash: string | null;
  infoHash: string | null;
}

export interface VideoTarget extends Target {
  video: VideoIds;
}

export async function startVideoTarget(
  kind: TargetKind,
  siteDir: string,
  videoKey: string,
  net: OriginNetwork,
  shaper: Shaper,
): Promise<VideoTarget> {
  const target = await startTarget(kind, siteDir, { net, shaper });
  if (!target.manifest) return { ...target, video: { key: videoKey, hash: null, infoHash: null } };
  const asset = target.manifest.assets[videoKey];
  if (!asset?.torrent) {
    await target.close();
    throw new Error(`${videoKey}: no torrent in the built manifest`);
  }
  return { ...target, video: { key: videoKey, hash: asset.hash, infoHash: asset.torrent.infoHash } };
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
