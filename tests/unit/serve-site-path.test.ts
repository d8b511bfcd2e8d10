/** The URL-path rules of `peer-connect serve` as pure functions (site-path.ts); on a real server in serve-static.test.ts. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { directoryLocation, siteSegments } from '../../signal-worker/adapter/node/site-path.ts';

describe('siteSegments', () => {
  it('decodes each segment and drops empty ones', () => {
    assert.deepEqual(siteSegments('/'), []);
    assert.deepEqual(siteSegments('//'), []);
    assert.deepEqual(siteSegments('/a//b%20c/'), ['a', 'b c']);
    assert.deepEqual(siteSegments('/caf%C3%A9/menu.v2.html'), ['café', 'menu.v2.html']);
    assert.deepEqual(siteSegments('/.well-known/security.txt'), ['.well-known', 'security.txt']);
    assert.deepEqual(siteSegments('/docs/%2Ewell-known/x'), ['docs', '.well-known', 'x']);
  });

  it('refuses dot segments but .well-known, plain or percent-encoded', () => {
    for (const path of [
      '/.env',
      '/%2eenv',
      '/%2Eenv',
      '/.git/config',
      '/a/%2Egit/config',
      '/.well-known/.secret',
      '/%2e%2e/x',
      '/%2E/x',
      '/a/.../b',
      '/.Well-Known/x',
    ]) {
      assert.equal(siteSegments(path), null, path);
    }
  });

  it('refuses what would split or end a name on disk, and bad percent-encoding', () => {
    for (const path of ['/a%2Fb', '/%2F%2Fevil.example', '/a%5Cb', '/a%00b', '/%E0%A4%A', '/%'])
      assert.equal(siteSegments(path), null, path);
  });
});

describe('directoryLocation', () => {
  it('is the segments re-encoded with one leading slash and a trailing one, then the query', () => {
    assert.equal(directoryLocation(['img'], ''), '/img/');
    assert.equal(directoryLocation([], ''), '/');
    assert.equal(directoryLocation(['my dir', 'ü'], '?q=1'), '/my%20dir/%C3%BC/?q=1');
    assert.equal(directoryLocation(['?#', '@:'], ''), '/%3F%23/%40%3A/');
    assert.equal(directoryLocation(['a'], '?x=\\y'), '/a/?x=%5Cy');
  });

  it('never starts with // nor holds a backslash, whatever the path was', () => {
    for (const path of ['//img', '///img', '//evil.example/', '/%2F%2Fevil.example', '//img?x', '/\\evil']) {
      const segments = siteSegments(path) ?? [];
      const location = directoryLocation(segments, '?a\\b');
      assert.ok(location.startsWith('/') && !location.startsWith('//') && !location.includes('\\'), `${path} -> ${location}`);
    }
  });
});
