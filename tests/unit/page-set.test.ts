/**
 * The build's page set (protocol/page-set.ts): every URL form a static host serves a page at is
 * found, other URLs are not, and the encoding survives the manifest.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodePageSet, PageSet, pageKey, pageKeysForUrl } from '../../protocol/page-set.ts';

describe('page set', () => {
  it('keys a page file by the URL forms hosts serve it at', () => {
    assert.equal(pageKey('index.html'), '');
    assert.equal(pageKey('blog/index.html'), 'blog/');
    assert.equal(pageKey('blog/INDEX.HTM'), 'blog/');
    assert.equal(pageKey('about.html'), 'about');
    assert.equal(pageKey('blog/'), 'blog/');
    assert.equal(pageKey('reindex.html'), 'reindex', 'only a whole segment is an index');
    assert.deepEqual(pageKeysForUrl('blog'), ['blog', 'blog/']);
    assert.deepEqual(pageKeysForUrl(''), ['']);
  });

  it('finds each page at every form, and nothing else', () => {
    const set = new PageSet(encodePageSet(['index.html', 'blog/index.html', 'about.html', 'posts/café.htm']));
    assert.equal(set.size, 4);
    for (const url of ['', 'index.html', 'blog/', 'blog', 'blog/index.html', 'about', 'about.html', 'posts/café', 'posts/café.htm']) {
      assert.equal(set.hasUrl(url), true, url);
    }
    for (const url of ['missing', 'missing.html', 'blog/post', 'img/a.jpg', 'about/', 'posts/cafe']) {
      assert.equal(set.hasUrl(url), false, url);
    }
  });

  it('reads an empty, absent or malformed set as empty', () => {
    assert.equal(new PageSet(encodePageSet([])).size, 0);
    assert.equal(new PageSet(undefined).size, 0);
    assert.equal(new PageSet('%%%').hasUrl(''), false);
  });

  it('is 4 bytes a page before base64, duplicates once', () => {
    const files = Array.from({ length: 3000 }, (_, i) => `p/${i}.html`);
    const encoded = encodePageSet([...files, 'p/1.html', 'p/1']);
    assert.equal(atob(encoded).length, 3000 * 4, 'p/1.html twice and p/1 (its pretty URL) are one key');
  });
});
