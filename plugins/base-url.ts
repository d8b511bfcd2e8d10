/**
 * The framework settings that say where a site is deployed, as `baseUrl` (where the built site's
 * root is served: the torrents' web seeds, build.ts). Only a full URL says that; a path (`/blog/`)
 * needs nothing, because the build writes only relative references.
 */

/** `base` if it is an absolute `http(s):` URL (Vite's `base: 'https://cdn.example.com/app/'`), else null. */
export function absoluteBase(base: string | undefined): string | null {
  if (!base || !/^https?:\/\//i.test(base)) return null;
  return base.endsWith('/') ? base : `${base}/`;
}

/** Astro's `site` (`https://example.com`) joined with its `base` (`/docs`): `https://example.com/docs/`; null without `site`. */
export function siteAndBase(site: string | undefined, base: string | undefined): string | null {
  if (!site) return null;
  const path = (base ?? '/').replace(/^\/*/, '').replace(/\/*$/, '');
  return new URL(path ? `${path}/` : '', site.endsWith('/') ? site : `${site}/`).href;
}
