/**
 * What an Apache `.htaccess` says about access: which of its directives make the host ask for a
 * login or refuse requests, and for which files. Pure, and deliberately conservative: any doubt
 * reads as "protected", because a protected file in the manifest is served to anyone by peers,
 * while a public file kept out only costs offload.
 *
 * Sources: https://httpd.apache.org/docs/2.4/howto/htaccess.html (syntax, one directive a line,
 * `\` continues a line), mod_authz_core (`Require`, `<RequireAll|Any|None>`), mod_auth_basic /
 * mod_auth_digest / mod_authn_file / mod_authz_groupfile (`AuthType`, `AuthUserFile`,
 * `AuthGroupFile`), mod_access_compat (Apache 2.2's `Deny from`), core `<Files>` / `<FilesMatch>`.
 */
import picomatch from 'picomatch';

/** The files a protection applies to: the whole folder's subtree, or a `<Files>`/`<FilesMatch>` section's base names in it. */
export type FileScope = { section: null } | { section: string; matchesName: (baseName: string) => boolean };

export interface HtaccessProtection {
  /** The directive as written (`Require valid-user`), for the CLI's message. */
  directive: string;
  scope: FileScope;
}

/** Directives whose mere presence means authentication is configured (value `None` aside for AuthType). */
const AUTH_DIRECTIVES = new Set([
  'authtype',
  'authuserfile',
  'authgroupfile',
  'authdbmuserfile',
  'authdbmgroupfile',
  'authbasicprovider',
  'authdigestprovider',
  'authldapurl',
]);

/** Every directive that protects, in order, with the files it covers. Empty when the file protects nothing. */
export function htaccessProtections(text: string): HtaccessProtection[] {
  const found: HtaccessProtection[] = [];
  const files: FileScope[] = []; // open <Files>/<FilesMatch> sections, innermost last
  for (const line of logicalLines(text)) {
    const close = /^<\/\s*(\w+)\s*>$/.exec(line);
    if (close) {
      if (isFilesSection(close[1] ?? '')) files.pop();
      continue;
    }
    const open = /^<\s*(\w+)(?:\s+(.*?))?\s*>$/.exec(line);
    if (open) {
      // Other sections (<IfModule>, <If>, <Limit>, <RequireAll>...) do not narrow the scope: their content counts as if always on.
      if (isFilesSection(open[1] ?? '')) files.push(filesScope(open[1] ?? '', open[2] ?? '', line));
      continue;
    }
    if (protects(line)) found.push({ directive: line, scope: files.at(-1) ?? { section: null } });
  }
  return found;
}

/** Lines without comments or blanks, continuations joined, runs of white space made one space. */
function logicalLines(text: string): string[] {
  return text
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((l) => l.trim().replace(/\s+/g, ' '))
    .filter((l) => l !== '' && !l.startsWith('#'));
}

const isFilesSection = (name: string): boolean => /^files(match)?$/i.test(name);

/** Whether one directive line asks for a login or refuses requests. */
function protects(line: string): boolean {
  const [name = '', ...args] = line.split(/\s+/).map(unquote);
  const directive = name.toLowerCase();
  const value = args.join(' ').toLowerCase();
  if (directive === 'authtype') return value !== 'none';
  if (AUTH_DIRECTIVES.has(directive)) return true;
  // Anything but a plain grant to all restricts: users, groups, valid-user, ip, host, env, expr, all denied, not ...
  if (directive === 'require') return value !== 'all granted';
  if (directive === 'deny') return true;
  return false;
}

/**
 * `<Files name>` matches base names with `*`, `?` and `[...]` (picomatch without braces or
 * extglobs, close to Apache's fnmatch); `<Files ~ regex>` and `<FilesMatch regex>` take a regular
 * expression. A regex JavaScript cannot compile scopes nothing down: the whole folder counts.
 */
function filesScope(name: string, rawArgs: string, line: string): FileScope {
  const args = rawArgs.trim();
  const tilde = /^~\s+/.exec(args);
  if (name.toLowerCase() === 'filesmatch' || tilde) {
    let re: RegExp;
    try {
      re = new RegExp(unquote(tilde ? args.slice(tilde[0].length) : args));
    } catch {
      return { section: null };
    }
    return { section: line, matchesName: (baseName) => re.test(baseName) };
  }
  const isMatch = picomatch(unquote(args), { dot: true, nobrace: true, noextglob: true });
  return { section: line, matchesName: (baseName) => isMatch(baseName) };
}

const unquote = (s: string): string => (/^(["']).*\1$/.test(s) && s.length >= 2 ? s.slice(1, -1) : s);
