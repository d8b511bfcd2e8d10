/**
 * What the site says its host protects (.htaccess, .htpasswd, Netlify `_headers` Basic-Auth),
 * turned into exclusion rules. The `.htaccess` reading is pure; `_headers` goes through Netlify's
 * parser, which reads a file, so those cases write one to a temp folder.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { applyExclusions, describeReason } from '../../builder/exclude.ts';
import { hostRules, htaccessRules } from '../../builder/host-protection.ts';
import { htaccessProtections } from '../../builder/htaccess.ts';

const directives = (text: string): string[] => htaccessProtections(text).map((p) => p.directive);

describe('htaccessProtections', () => {
  it('finds auth directives and restricting Require/Deny lines', () => {
    const text = [
      '# members only',
      'AuthType Basic',
      'AuthName "Members"',
      'AuthUserFile /srv/www/.htpasswd',
      'Require valid-user',
      'Options -Indexes',
    ].join('\n');
    assert.deepEqual(directives(text), ['AuthType Basic', 'AuthUserFile /srv/www/.htpasswd', 'Require valid-user']);
    for (const line of [
      'Require user alice',
      'Require group staff',
      'require VALID-USER',
      'Require ip 10.0.0.0/8',
      'Require all denied',
      'Require not ip 1.2.3.4',
      'Deny from all',
      'AuthGroupFile /x',
      'AuthType Digest',
      'authtype "Basic"',
    ]) {
      assert.deepEqual(directives(line), [line], line);
    }
  });

  it('a grant to all, AuthType None, comments, and unrelated directives protect nothing', () => {
    const text = [
      'Require all granted',
      'require  ALL   Granted',
      'AuthType None',
      'AuthType "none"',
      '# Require valid-user',
      'Allow from all',
      'Order allow,deny',
      'RewriteEngine On',
      'AuthName "x"',
      'Header set X-A b',
    ].join('\n');
    assert.deepEqual(directives(text), []);
  });

  it('joins continuation lines and reads CRLF files', () => {
    assert.deepEqual(directives('Require \\\r\n  valid-user\r\nOptions None\r\n'), ['Require valid-user']);
  });

  it('a directive in <Files>/<FilesMatch> covers the base names that section matches; other sections do not narrow', () => {
    const text = [
      '<Files "admin.php">',
      '  Require valid-user',
      '</Files>',
      '<FilesMatch "\\.(pdf|docx)$">',
      '  Require group staff',
      '</FilesMatch>',
      '<Files ~ "^secret">',
      '  Deny from all',
      '</Files>',
      '<IfModule mod_authz_core.c>',
      '  Require all granted',
      '</IfModule>',
    ].join('\n');
    const found = htaccessProtections(text);
    assert.deepEqual(
      found.map((p) => p.scope.section),
      ['<Files "admin.php">', '<FilesMatch "\\.(pdf|docx)$">', '<Files ~ "^secret">'],
    );
    const matches = (i: number, name: string): boolean => {
      const scope = found[i]!.scope;
      return scope.section !== null && scope.matchesName(name);
    };
    assert.ok(matches(0, 'admin.php') && !matches(0, 'xadmin.php'));
    assert.ok(matches(1, 'a.pdf') && matches(1, 'b.docx') && !matches(1, 'a.pdf.png'));
    assert.ok(matches(2, 'secret-plans.txt') && !matches(2, 'not-secret.txt'));
    assert.deepEqual(directives('<IfModule x>\nRequire valid-user\n</IfModule>').length, 1);
    assert.equal(htaccessProtections('<IfModule x>\nRequire valid-user\n</IfModule>')[0]!.scope.section, null);
  });

  it('a <Files> wildcard uses * ? and [..]; a regex JavaScript cannot compile covers the whole folder', () => {
    const [star] = htaccessProtections('<Files "*.p?f">\nRequire valid-user\n</Files>');
    assert.ok(star && star.scope.section !== null && star.scope.matchesName('a.pdf') && !star.scope.matchesName('a.pddf'));
    const [bad] = htaccessProtections('<FilesMatch "(?<x">\nRequire valid-user\n</FilesMatch>');
    assert.equal(bad?.scope.section, null);
  });
});

const PATHS = ['index.css', 'a.pdf', 'members/a.jpg', 'members/deep/b.pdf', 'members/admin.php', 'members-x/c.png', 'other/admin.php'];

describe('htaccessRules', () => {
  it('an .htaccess that protects its folder excludes that subtree only', () => {
    const rules = htaccessRules('members/.htaccess', 'AuthType Basic\nRequire valid-user\n');
    assert.equal(rules.length, 1);
    assert.deepEqual(
      applyExclusions(PATHS, rules).excluded.map((e) => e.path),
      ['members/a.jpg', 'members/deep/b.pdf', 'members/admin.php'],
    );
    assert.equal(describeReason(rules[0]!.reason), 'members/.htaccess (AuthType Basic), everything under members/');
  });

  it('at the root it covers the whole site', () => {
    const rules = htaccessRules('.htaccess', 'Require valid-user');
    assert.equal(applyExclusions(PATHS, rules).kept.length, 0);
    assert.match(describeReason(rules[0]!.reason), /the whole site/);
  });

  it('a <Files> section covers only the files it names, in the subtree', () => {
    const rules = htaccessRules(
      '.htaccess',
      '<Files "admin.php">\nRequire valid-user\n</Files>\n<Files ~ "^\\.ht">\nRequire all denied\n</Files>',
    );
    assert.deepEqual(
      applyExclusions(PATHS, rules).excluded.map((e) => e.path),
      ['members/admin.php', 'other/admin.php'],
    );
  });

  it('an .htaccess that protects nothing makes no rule', () => {
    assert.deepEqual(htaccessRules('members/.htaccess', 'Require all granted\nOptions -Indexes\n'), []);
  });
});

describe('hostRules', () => {
  let root = '';
  const write = async (path: string, text: string): Promise<void> => {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), text);
  };
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'pc-host-rules-'));
  });
  after(async () => {
    if (root) await rm(root, { recursive: true, force: true });
  });

  it('an .htpasswd excludes its folder; an open .htaccess does not', async () => {
    await write('private/.htpasswd', 'alice:x\n');
    await write('open/.htaccess', 'Require all granted\n');
    const { rules } = await hostRules(root, ['open/.htaccess', 'private/.htpasswd']);
    assert.deepEqual(
      applyExclusions(['open/a.png', 'private/b.png', 'private/sub/c.png', 'privateer.png'], rules).excluded.map((e) => e.path),
      ['private/b.png', 'private/sub/c.png'],
    );
    assert.equal(describeReason(rules[0]!.reason), 'private/.htpasswd (a password file), everything under private/');
  });

  it('a _headers block with Basic-Auth excludes what its Netlify path pattern matches', async () => {
    await write(
      '_headers',
      [
        '# protected areas',
        '/members/*',
        '  Basic-Auth: alice:secret',
        '/*',
        '  X-Frame-Options: DENY',
        '/reports/:year/summary.pdf',
        '  basic-auth: bob:pw',
        '/caf%C3%A9/*',
        '  Basic-Auth: c:d',
        '/exact.zip',
        '  Basic-Auth: e:f',
      ].join('\n'),
    );
    const { rules, warnings } = await hostRules(root, ['_headers']);
    assert.deepEqual(warnings, []);
    assert.deepEqual(
      rules.map((r) => r.reason),
      [
        { kind: 'headers', file: '_headers', pattern: '/members/*' },
        { kind: 'headers', file: '_headers', pattern: '/reports/:year/summary.pdf' },
        { kind: 'headers', file: '_headers', pattern: '/caf%C3%A9/*' },
        { kind: 'headers', file: '_headers', pattern: '/exact.zip' },
      ],
    );
    const paths = [
      'members/a.jpg',
      'members/deep/b.pdf',
      'Members/c.png',
      'membership.png',
      'reports/2024/summary.pdf',
      'reports/2024/other.pdf',
      'café/menu.pdf',
      'exact.zip',
      'exact.zip.png',
      'index.css',
    ];
    // Netlify's matcher makes the slash before a trailing * optional, so /members/* also takes membership.png.
    assert.deepEqual(applyExclusions(paths, rules).kept, ['reports/2024/other.pdf', 'exact.zip.png', 'index.css']);
    assert.equal(describeReason(rules[0]!.reason), '_headers (Basic-Auth on /members/*)');
  });

  it('a malformed _headers line is reported, the rest still read', async () => {
    await write('_headers', 'Basic-Auth: before-any-path\n/private/*\n  Basic-Auth: a:b\n');
    const { rules, warnings } = await hostRules(root, ['_headers']);
    assert.equal(rules.length, 1);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /^_headers: .*Path should come before header/);
  });

  it('only the root _headers is host configuration', async () => {
    await write('docs/_headers', '/*\n  Basic-Auth: a:b\n');
    assert.deepEqual((await hostRules(root, ['docs/_headers'])).rules, []);
  });
});
