/** Sorts what the origin sent into what a site owner would recognise, to show where the bytes go. */
import type { OriginSnapshot } from '../../tests/e2e/harness/origin-server.ts';

export const ORIGIN_KINDS = ['html', 'peerconnect', 'page', 'images'] as const;
export type OriginKind = (typeof ORIGIN_KINDS)[number];

export const ORIGIN_KIND_LABEL: Record<OriginKind, string> = {
  html: 'HTML',
  peerconnect: 'bridge + worker scripts',
  page: 'CSS, JS, font',
  images: 'images',
};

export function kindOf(path: string): OriginKind {
  if (/\.html?$/i.test(path) || path.endsWith('/')) return 'html';
  if (/\/peer-connect(-sw)?\.js$/.test(path)) return 'peerconnect';
  if (/\.(jpe?g|png|webp|avif|gif|svg|ico)$/i.test(path)) return 'images';
  return 'page';
}

export function bytesByKind(snap: OriginSnapshot): Record<OriginKind, number> {
  const out: Record<OriginKind, number> = { html: 0, peerconnect: 0, page: 0, images: 0 };
  for (const [path, totals] of snap.byPath) out[kindOf(path)] += totals.bytes;
  return out;
}
