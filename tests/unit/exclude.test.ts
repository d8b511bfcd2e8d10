/** Which candidate assets `--exclude` keeps out of the manifest (pure: paths in, paths out). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { applyExclusions, optionRules } from '../../builder/exclude.ts';

const PATHS = [
  'a.pdf',
  'css/site.css',
  'docs/guide.pdf',
  'members/.hidden/x.png',
  'members/deep/report.pdf',
  'members/photo.jpg',
  'members-area.png',
  'img/members/logo.png',
];

const excludedBy = (...patterns: string[]): string[] => applyExclusions(PATHS, optionRules(patterns)).excluded.map((e) => e.path);

describe('optionRules (--exclude)', () => {
  it('a folder glob excludes its whole subtree, dot files included', () => {
    assert.deepEqual(excludedBy('members/**'), ['members/.hidden/x.png', 'members/deep/report.pdf', 'members/photo.jpg']);
  });

  it('the folder itself, with or without a slash or a leading / or ./, does the same', () => {
    for (const p of ['members', 'members/', '/members/**', './members/**', '/members']) {
      assert.deepEqual(excludedBy(p), ['members/.hidden/x.png', 'members/deep/report.pdf', 'members/photo.jpg'], p);
    }
  });

  it('globs are relative to the site root: * stays in one folder, ** crosses folders', () => {
    assert.deepEqual(excludedBy('*.pdf'), ['a.pdf']);
    assert.deepEqual(excludedBy('**/*.pdf'), ['a.pdf', 'docs/guide.pdf', 'members/deep/report.pdf']);
    assert.deepEqual(excludedBy('**/members/**'), [
      'members/.hidden/x.png',
      'members/deep/report.pdf',
      'members/photo.jpg',
      'img/members/logo.png',
    ]);
  });

  it('is repeatable, and each excluded file names the first pattern that matched', () => {
    const { kept, excluded } = applyExclusions(PATHS, optionRules(['*.pdf', 'members/**', 'docs/*']));
    assert.deepEqual(kept, ['css/site.css', 'members-area.png', 'img/members/logo.png']);
    assert.deepEqual(excluded.find((e) => e.path === 'a.pdf')?.reason, { kind: 'option', pattern: '*.pdf' });
    assert.deepEqual(excluded.find((e) => e.path === 'docs/guide.pdf')?.reason, { kind: 'option', pattern: 'docs/*' });
  });

  it('refuses an empty pattern or one that leaves the site', () => {
    assert.throws(() => optionRules(['']), /--exclude "" is empty/);
    assert.throws(() => optionRules(['/']), /is empty/);
    assert.throws(() => optionRules(['../secret/**']), /leaves the site/);
  });
});
