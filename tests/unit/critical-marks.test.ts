/**
 * The build's critical marks (issue 14: the LCP candidate is asked of the origin at once): which
 * images of a page are its LCP candidates (builder/first-visit/page-facts.ts lcpCandidates), and
 * the per-page set the worker reads them from (protocol/critical-set.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'parse5';
import { lcpCandidates } from '../../builder/first-visit/page-facts.ts';
import { CriticalSet, encodeCriticalSet } from '../../protocol/critical-set.ts';
import { LCP_MIN_IMAGE_BYTES } from '../../protocol/limits.ts';

const SIZES: Record<string, number> = {
  'logo.png': 3_000,
  'hero.jpg': 900_000,
  'hero-800.jpg': 200_000,
  'big.jpg': LCP_MIN_IMAGE_BYTES,
  'small.jpg': LCP_MIN_IMAGE_BYTES - 1,
  'second.jpg': 500_000,
  'hero.avif': 100_000,
};
const candidates = (body: string): string[] =>
  lcpCandidates(
    parse(`<!doctype html><html><head></head><body>${body}</body></html>`),
    (url) => (url in SIZES ? url : null),
    (p) => SIZES[p] ?? 0,
  );

describe('lcpCandidates', () => {
  it('the first large image by its declared size, not a small logo before it, nor the large images after it', () => {
    assert.deepEqual(
      candidates(
        '<img src="logo.png" width="64" height="64"><img src="hero.jpg" width="1600" height="900"><img src="second.jpg" width="1200" height="800">',
      ),
      ['hero.jpg'],
    );
  });

  it('every candidate of its srcset and its <picture> sources', () => {
    assert.deepEqual(
      candidates(
        '<picture><source srcset="hero.avif" type="image/avif"><img src="hero.jpg" srcset="hero-800.jpg 800w, hero.jpg 1600w" width="1600" height="900"></picture>',
      ),
      ['hero.jpg', 'hero-800.jpg', 'hero.avif'],
    );
  });

  it('without both dimensions, by file size: one piece or more is large', () => {
    assert.deepEqual(candidates('<img src="small.jpg"><img src="big.jpg"><img src="hero.jpg">'), ['big.jpg']);
    assert.deepEqual(candidates('<img src="small.jpg" width="2000">'), [], 'one dimension is not an area');
  });

  it('a lazy or low-priority image is never the first large one', () => {
    assert.deepEqual(
      candidates('<img src="hero.jpg" width="1600" height="900" loading="lazy"><img src="second.jpg" width="1200" height="800">'),
      ['second.jpg'],
    );
    assert.deepEqual(candidates('<img src="hero.jpg" width="1600" height="900" fetchpriority="low">'), []);
  });

  it('fetchpriority="high" images and image preloads are marked whatever their size and place', () => {
    assert.deepEqual(
      candidates(
        '<link rel="preload" as="image" href="hero-800.jpg" fetchpriority="high"><img src="hero.jpg" width="1600" height="900"><img src="logo.png" fetchpriority="HIGH" loading="lazy">',
      ),
      ['hero-800.jpg', 'hero.jpg', 'logo.png'],
    );
  });

  it("names only assets; an image in <template> is not the document's", () => {
    assert.deepEqual(
      candidates(
        '<img src="https://cdn.example/x.jpg" width="1600" height="900"><template><img src="hero.jpg" width="1600" height="900"></template>',
      ),
      [],
    );
  });
});

describe('critical set', () => {
  const set = new CriticalSet(
    encodeCriticalSet([
      ['index.html', ['img/hero.jpg']],
      ['blog/index.html', ['img/blog.jpg', 'img/blog-800.jpg']],
      ['about.html', ['img/me.jpg']],
    ]),
  );

  it('finds each mark at every URL form of its page', () => {
    assert.equal(set.size, 4);
    for (const page of ['', 'index.html']) assert.equal(set.has(page, 'img/hero.jpg'), true, page);
    for (const page of ['blog/', 'blog', 'blog/index.html']) assert.equal(set.has(page, 'img/blog-800.jpg'), true, page);
    for (const page of ['about', 'about.html']) assert.equal(set.has(page, 'img/me.jpg'), true, page);
  });

  it("a page's mark is not another page's", () => {
    assert.equal(set.has('about', 'img/hero.jpg'), false);
    assert.equal(set.has('', 'img/me.jpg'), false);
    assert.equal(set.has('missing', 'img/hero.jpg'), false);
  });

  it('absent or malformed: nothing marked', () => {
    assert.equal(new CriticalSet(undefined).has('', 'img/hero.jpg'), false);
    assert.equal(new CriticalSet('%%%').size, 0);
  });
});
