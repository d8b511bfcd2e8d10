/**
 * Serves a built static site from a directory: index.html for directories, Content-Type from the
 * extension (protocol/content-types.ts, the build's table), single byte ranges with 206 and 416,
 * text compressed with brotli or gzip when the client accepts it (compression.ts).
 * Only files whose real path is inside the root's, never a URL with a dot segment but
 * `.well-known` (site-path.ts). Written here rather than using
 * @hono/node-server's serveStatic (1.19), whose Range handling answers 206 for unsatisfiable
 * ranges (no 416), reads `bytes=-N` as the first N bytes instead of the last, and sends
 * Accept-Ranges only on ranged responses; video seeking and the worker's origin fallback need all three.
 */
import type { Stats } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Context, Handler } from 'hono';
import { contentTypeFor } from '../../../protocol/content-types.ts';
import { parseRange } from '../../../protocol/pieces.ts';
import { chooseCoding, codedEtag, compressBody, isCompressible } from './compression.ts';
import { fileBody } from './file-body.ts';
import { directoryLocation, siteSegments } from './site-path.ts';

export function serveStaticSite(rootDir: string): Handler {
  const root = resolve(rootDir);
  return async (c) => {
    const url = new URL(c.req.url);
    const segments = siteSegments(url.pathname);
    if (segments === null) return c.text('not found', 404);
    const file = await locate(root, segments, url.pathname.endsWith('/'));
    if (file === 'redirect') return c.redirect(directoryLocation(segments, url.search), 301);
    if (file === null) return c.text('not found', 404);
    return respondWithFile(c, file);
  };
}

/**
 * A regular file to send: `path` is the real path that was checked (and is what gets read),
 * `name` the requested one, which gives the Content-Type (a link `latest.mp4 -> v3` is video).
 */
type Located = { path: string; name: string; size: number; mtimeMs: number };

/**
 * Maps URL segments to a regular file whose real path is inside the real root; null when there is
 * none, or when a symlink on the way leads out of the root (one that stays inside is followed).
 * 'redirect' for a directory asked for without its slash. The root is resolved on every request,
 * so a deploy that swaps a `current -> releases/N` symlink takes effect without a restart.
 */
async function locate(root: string, segments: readonly string[], asDirectory: boolean): Promise<Located | 'redirect' | null> {
  const realRoot = await realpath(root).catch(() => null);
  if (realRoot === null) return null;
  let name = join(root, ...segments);
  let found = await statInside(realRoot, name);
  if (found?.info.isDirectory()) {
    // Without the slash, relative links inside index.html would resolve against the parent.
    if (!asDirectory) return 'redirect';
    name = join(name, 'index.html');
    found = await statInside(realRoot, join(found.real, 'index.html'));
  }
  return found?.info.isFile() ? { path: found.real, name, size: found.info.size, mtimeMs: found.info.mtimeMs } : null;
}

/** `path` with every symlink resolved and its stat, when it exists and is `realRoot` or below it; else null. */
async function statInside(realRoot: string, path: string): Promise<{ real: string; info: Stats } | null> {
  const real = await realpath(path).catch(() => null);
  if (real === null) return null;
  const rel = relative(realRoot, real);
  const inside = rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel));
  const info = inside ? await stat(real).catch(() => null) : null;
  return info ? { real, info } : null;
}

function respondWithFile(c: Context, { path, name, size, mtimeMs }: Located): Response {
  const identityEtag = `"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`;
  const contentType = contentTypeFor(name);
  const rangeAsked = c.req.header('range') !== undefined;
  // Ranges are always of the identity representation (compression.ts says why).
  const coding = rangeAsked ? null : chooseCoding(c.req.header('accept-encoding'), contentType, size);
  const etag = codedEtag(identityEtag, coding);
  const headers: Record<string, string> = {
    // The table the build wrote into the manifest: the worker answers a peer-served file with the same type.
    'Content-Type': contentType,
    'Accept-Ranges': 'bytes',
    'Last-Modified': new Date(mtimeMs).toUTCString(),
    ETag: etag,
    // Revalidate every time: this server hosts development builds and the demo, whose service
    // worker must update as soon as it is rebuilt.
    'Cache-Control': 'no-cache',
  };
  // A cache must not hand a brotli body to a client that asked for identity, or the reverse.
  if (isCompressible(contentType)) headers.Vary = 'Accept-Encoding';
  if (etagMatches(c.req.header('if-none-match'), etag)) return new Response(null, { status: 304, headers });
  // If-Range with a stale validator means "the file changed: send all of it" (RFC 9110 §13.1.5).
  const ifRange = c.req.header('if-range');
  const range = ifRange === undefined || ifRange === identityEtag ? parseRange(c.req.header('range') ?? null, size) : null;
  if (range === 'unsatisfiable') {
    return new Response(null, { status: 416, headers: { ...headers, 'Content-Range': `bytes */${size}` } });
  }
  if (range === null) {
    if (coding !== null) {
      return new Response(compressBody(fileBody(path, 0, size - 1), coding, size), {
        status: 200,
        headers: { ...headers, 'Content-Encoding': coding },
      });
    }
    return new Response(size === 0 ? null : fileBody(path, 0, size - 1), {
      status: 200,
      headers: { ...headers, 'Content-Length': String(size) },
    });
  }
  return new Response(fileBody(path, range.start, range.end), {
    status: 206,
    headers: {
      ...headers,
      'Content-Range': `bytes ${range.start}-${range.end}/${size}`,
      'Content-Length': String(range.end - range.start + 1),
    },
  });
}

/** `If-None-Match` against the representation's ETag: `*` or any listed tag, by weak comparison (RFC 9110 §13.1.2). */
export function etagMatches(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  const opaque = (tag: string): string => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => opaque(tag) === opaque(etag));
}
