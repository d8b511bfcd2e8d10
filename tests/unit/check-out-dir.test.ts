/**
 * The `--out` rules on fake paths: the build empties its output folder, so these cases must be
 * refused before any file is touched. Nothing here reads or writes the real filesystem.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import {
  BUILD_MARKER_FILE,
  buildMarkerText,
  checkOutDir,
  type FolderState,
  isBuildMarker,
  isInside,
  type OutDirView,
} from '../../builder/check-out-dir.ts';
import type { Result } from '../../protocol/result.ts';

/**
 * A fake filesystem: `links` maps a symlink's path to its target (resolved by longest prefix, as
 * realpath does for the existing part), `states` gives what is at a real path (default: missing).
 */
function fakeView(states: Record<string, FolderState>, links: Record<string, string> = {}, p: path.PlatformPath = path.posix): OutDirView {
  return {
    realPath(input) {
      for (const [link, target] of Object.entries(links).sort((a, b) => b[0].length - a[0].length)) {
        if (isInside(input, link, p)) return p.join(target, p.relative(link, input));
      }
      return input;
    },
    state: (real) => states[real] ?? 'missing',
  };
}

const SITE = '/home/me/site';
const posixView = (states: Record<string, FolderState> = {}, links: Record<string, string> = {}): OutDirView =>
  fakeView({ [SITE]: 'other', ...states }, links);

function refused(r: Result<unknown>, message: RegExp): void {
  assert.equal(r.ok, false, 'expected a refusal');
  if (!r.ok) assert.match(r.error, message);
}

describe('checkOutDir', () => {
  it('refuses a filesystem root, however it is spelled', () => {
    for (const out of ['/', '//', '/..', '/./', '/home/..', '///']) {
      refused(checkOutDir(SITE, out, posixView(), path.posix), /the root of a filesystem.*Give a folder of its own/);
    }
  });

  it('refuses a Windows drive or share root', () => {
    const site = 'C:\\Users\\me\\site';
    const view = fakeView({ [site]: 'other' }, {}, path.win32);
    for (const out of ['C:\\', 'c:/', 'D:\\..', 'C:\\Users\\..', '\\\\server\\share', '\\\\server\\share\\']) {
      refused(checkOutDir(site, out, view, path.win32), /the root of a filesystem/);
    }
  });

  it('refuses a symlink that leads to a root', () => {
    refused(checkOutDir(SITE, '/tmp/out', posixView({ '/': 'other' }, { '/tmp/out': '/' }), path.posix), /\/tmp\/out is \/, the root/);
  });

  it('refuses the site folder itself, as written or through a symlink', () => {
    refused(checkOutDir(SITE, SITE, posixView(), path.posix), /is the site folder itself/);
    refused(checkOutDir(SITE, `${SITE}/`, posixView(), path.posix), /is the site folder itself/);
    refused(checkOutDir(SITE, '/tmp/to-site', posixView({}, { '/tmp/to-site': SITE }), path.posix), /is the site folder itself/);
    // The site given through a symlink, the output as its real path.
    refused(checkOutDir('/srv/www', SITE, posixView({}, { '/srv/www': SITE }), path.posix), /is the site folder itself/);
  });

  it('refuses a folder that contains the site, as written or through a symlink', () => {
    for (const out of ['/home/me', '/home', '/home/me/']) {
      refused(checkOutDir(SITE, out, posixView({ [out.replace(/\/$/, '')]: 'other' }), path.posix), /contains the site folder/);
    }
    // `/data` holds the site's real folder, which is reached through /home/me -> /data/me.
    const view = posixView({ '/data/me/site': 'other', '/data': 'earlier-build' }, { '/home/me': '/data/me' });
    refused(checkOutDir(SITE, '/data', view, path.posix), /contains the site folder/);
    refused(
      checkOutDir(SITE, '/tmp/data', posixView({ '/data/me/site': 'other' }, { '/home/me': '/data/me', '/tmp/data': '/data' }), path.posix),
      /contains the site/,
    );
  });

  it('on Windows, compares paths case-insensitively', () => {
    const view = fakeView({ 'C:\\Sites\\blog': 'other' }, {}, path.win32);
    refused(checkOutDir('C:\\Sites\\blog', 'c:\\sites', view, path.win32), /contains the site folder/);
    refused(checkOutDir('C:\\Sites\\blog', 'c:\\SITES\\Blog', view, path.win32), /is the site folder itself/);
    assert.ok(checkOutDir('C:\\Sites\\blog', 'D:\\Sites', view, path.win32).ok);
  });

  it('refuses a non-empty folder that no build wrote, saying what to do', () => {
    const r = checkOutDir(SITE, '/home/me/Documents', posixView({ '/home/me/Documents': 'other' }), path.posix);
    refused(r, new RegExp(`has no \\${BUILD_MARKER_FILE}\\).*Give a new or empty folder, or empty this one yourself`));
  });

  it('refuses a file', () => {
    refused(
      checkOutDir(SITE, '/home/me/notes.txt', posixView({ '/home/me/notes.txt': 'not-a-folder' }), path.posix),
      /is a file, not a folder/,
    );
  });

  it('refuses a site that is missing or not a folder', () => {
    refused(checkOutDir('/nope', '/tmp/out', fakeView({}), path.posix), /site folder \/nope does not exist/);
    refused(checkOutDir('/a.txt', '/tmp/out', fakeView({ '/a.txt': 'not-a-folder' }), path.posix), /is not a folder/);
  });

  it('accepts a new folder, an empty one, or an earlier output (emptied first), and returns real paths', () => {
    assert.deepEqual(checkOutDir(SITE, '/tmp/new', posixView(), path.posix), {
      ok: true,
      value: { siteDir: SITE, outDir: '/tmp/new', emptyFirst: false },
    });
    assert.deepEqual(checkOutDir(SITE, '/tmp/e', posixView({ '/tmp/e': 'empty' }), path.posix), {
      ok: true,
      value: { siteDir: SITE, outDir: '/tmp/e', emptyFirst: false },
    });
    const earlier = checkOutDir(SITE, '/tmp/link/dist', posixView({ '/var/dist': 'earlier-build' }, { '/tmp/link': '/var' }), path.posix);
    assert.deepEqual(earlier, { ok: true, value: { siteDir: SITE, outDir: '/var/dist', emptyFirst: true } });
  });

  it('accepts a folder inside the site, and a sibling whose name starts like the site', () => {
    assert.ok(checkOutDir(SITE, `${SITE}/dist`, posixView({ [`${SITE}/dist`]: 'earlier-build' }), path.posix).ok);
    assert.ok(checkOutDir(SITE, '/home/me/site-out', posixView(), path.posix).ok);
    assert.ok(checkOutDir(SITE, '/home/me/..site', posixView(), path.posix).ok);
  });
});

describe('build marker', () => {
  it('round-trips, and only our JSON counts', () => {
    assert.ok(isBuildMarker(buildMarkerText('0123456789abcdef0123')));
    for (const text of ['', 'peer-connect', '{}', '{"tool":"other","build":"x"}', '{"tool":"peer-connect"}', '[1]']) {
      assert.equal(isBuildMarker(text), false, text);
    }
  });
});
