/**
 * The URL side of the static site server, pure: which URL paths may name a file at all, and the
 * Location that sends a directory to its slash form. The file system side is static-site.ts.
 */

/** The one dot segment served: RFC 8615 puts site metadata (security.txt, ACME challenges) there. */
const WELL_KNOWN = '.well-known';

/**
 * The decoded, non-empty segments of a URL path (`/a//b%20c/` → `['a', 'b c']`), or null when it
 * must not be served:
 * - a segment that does not decode (bad percent-encoding);
 * - a segment holding `/`, `\` or NUL once decoded (`%2F`, `%5C`, `%00`), which would split or
 *   end the name on the file system;
 * - a segment starting with `.` except `.well-known`: `.env`, `.git/`, `.htpasswd` are secrets a
 *   site folder often holds and never means to publish. This covers `.` and `..` too, which the
 *   URL parser has resolved already, so they can only come from `%2e`.
 */
export function siteSegments(pathname: string): string[] | null {
  const segments: string[] = [];
  for (const raw of pathname.split('/')) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return null;
    }
    if (/[/\\\0]/.test(segment)) return null;
    if (segment.startsWith('.') && segment !== WELL_KNOWN) return null;
    if (segment !== '') segments.push(segment);
  }
  return segments;
}

/**
 * The Location of a 301 from a directory's URL to its slash form: `['img']` and `?q=1` →
 * `/img/?q=1`. Built from the segments, each percent-encoded again, never from the request's own
 * path: `//img` taken as is would give `//img/`, which a browser reads as a link to the host `img`
 * (RFC 3986 §4.2, network-path reference). So the result starts with exactly one `/` and holds no
 * `\` (which browsers read as `/`); the query is kept with its `\` encoded.
 */
export function directoryLocation(segments: readonly string[], search: string): string {
  const path = `/${segments.map((segment) => `${encodeURIComponent(segment)}/`).join('')}`;
  return path + search.replaceAll('\\', '%5C');
}
