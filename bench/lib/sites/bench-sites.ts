/**
 * The two sites the offload and page-speed benchmarks run on, and the pages a visitor reads:
 * everyone lands on the home page (the first visit), then follows links to other pages (the
 * navigations). Which pages is drawn per visitor from a Zipf popularity (the k-th most popular
 * page is read 1/k as often as the first), as real traffic is, from a fixed seed: visitor k
 * reads the same pages in every run and with or without PeerConnect.
 */
import { DEMO_SITE } from '../../../tests/e2e/harness/site.ts';
import { ALBUMS, albumPage, generateLargeSite, PHOTOS_PER_ALBUM } from './large-site.ts';
import { seededRandom } from './seeded-random.ts';

export interface BenchSite {
  id: 'demo' | 'large';
  label: string;
  /** The unbuilt site: what the plain origin serves and what the build reads. */
  dir: string;
  home: string;
  /** Pages a visitor may navigate to after the home page. */
  others: readonly string[];
  close(): Promise<void>;
}

/** The demo site's text pages (media.html is left out: its video is not what this measures). */
export const demoSite = (): BenchSite => ({
  id: 'demo',
  label: 'demo site (Field Notes, 5.9 MB)',
  dir: DEMO_SITE,
  home: 'index.html',
  others: ['gallery.html', 'posts/first-light.html', 'about.html'],
  close: async () => undefined,
});

export async function largeSite(): Promise<BenchSite> {
  const generated = await generateLargeSite();
  return {
    id: 'large',
    label: `large site (${ALBUMS} pages × ${PHOTOS_PER_ALBUM} JPEGs, ${(generated.bytes / 2 ** 20).toFixed(1)} MB)`,
    dir: generated.dir,
    home: albumPage(1),
    others: Array.from({ length: ALBUMS - 1 }, (_, i) => albumPage(i + 2)),
    close: generated.close,
  };
}

/** Draws bounded: a draw can repeat a page already chosen. */
const MAX_DRAWS = 100;

/** Visitor `index`'s pages: the home page, then `pages - 1` distinct others by popularity. */
export function routeFor(site: BenchSite, index: number, pages: number): string[] {
  const random = seededRandom(0x5eed + index * 7919);
  const weights = site.others.map((_, k) => 1 / (k + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const chosen: string[] = [];
  for (let draw = 0; draw < MAX_DRAWS && chosen.length < Math.min(pages - 1, site.others.length); draw++) {
    let r = random() * total;
    const k = weights.findIndex((w) => (r -= w) < 0);
    const page = site.others[k < 0 ? weights.length - 1 : k]!;
    if (!chosen.includes(page)) chosen.push(page);
  }
  return [site.home, ...chosen];
}
