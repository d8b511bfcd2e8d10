/**
 * Serves a built static site from a directory: index.html for directories, Content-Type from the
 * extension, single byte ranges with 206 and 416. Never a URL with a dot segment but `.well-known`
 * (site-path.ts). Written here rather than using
 * @hono/node-server's serveStatic (1.19), whose Range handling answers 206 for unsatisfiable
 * ranges (no 416), reads `bytes=-N` as the first N bytes instead of the last, and sends
 * Accept-Ranges only on ranged responses; video seeking and the worker's origin fallback need all three.
 */
import { stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { Context, Handler } from 'hono';
import { getMimeType, mimes } from 'hono/utils/mime';
import { parseRange } from '../../../protocol/pieces.ts';
import { fileBody } from './file-body.ts';
import { directoryLocation, siteSegments } from './site-path.ts';

/** Types hono's table lacks that a static site plausibly ships. */
const EXTRA_TYPES: Record<string, string> = {
  mov: 'video/quicktime',
  m4v: 'video/mp4',
  m4a: 'audio/mp4',
  wav: 'audio/wav',
  flac: 'audio/flac',
  ogg: 'audio/ogg',
  jxl: 'image/jxl',
  apng: 'image/apng',
  vtt: 'text/vtt; charset=utf-8',
  md: 'text/markdown; charset=utf-8',
};
const TYPES: Record<string, string> = { ...mimes, ...EXTRA_TYPES };

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

type Located = { path: string; size: number; mtimeMs: number };

/** Maps URL segments to a regular file under root; null when there is none or the path escapes. */
async function locate(root: string, segments: readonly string[], asDirectory: boolean): Promise<Located | 'redirect' | null> {
  let path = join(root, ...segments);
  if (path !== root && !path.startsWith(root + sep)) return null;
  let info = await stat(path).catch(() => null);
  if (info?.isDirectory()) {
    // Without the slash, relative links inside index.html would resolve against the parent.
    if (!asDirectory) return 'redirect';
    path = join(path, 'index.html');
    info = await stat(path).catch(() => null);
  }
  return info?.isFile() ? { path, size: info.size, mtimeMs: info.mtimeMs } : null;
}

function respondWithFile(c: Context, { path, size, mtimeMs }: Located): Response {
  const etag = `"${size.toString(16)}-${Math.floor(mtimeMs).toString(16)}"`;
  const headers: Record<string, string> = {
    'Content-Type': getMimeType(path, TYPES) ?? 'application/octet-stream',
    'Accept-Ranges': 'bytes',
    'Last-Modified': new Date(mtimeMs).toUTCString(),
    ETag: etag,
    // Revalidate every time: this server hosts development builds and the demo, whose service
    // worker must update as soon as it is rebuilt.
    'Cache-Control': 'no-cache',
  };
  if (c.req.header('if-none-match') === etag) return new Response(null, { status: 304, headers });
  // If-Range with a stale validator means "the file changed: send all of it" (RFC 9110 §13.1.5).
  const ifRange = c.req.header('if-range');
  const range = ifRange === undefined || ifRange === etag ? parseRange(c.req.header('range') ?? null, size) : null;
  if (range === 'unsatisfiable') {
    return new Response(null, { status: 416, headers: { ...headers, 'Content-Range': `bytes */${size}` } });
  }
  if (range === null) {
    return new Response(size === 0 ? null : fileBody(path, 0, size - 1), { status: 200, headers: { ...headers, 'Content-Length': String(size) } });
  }
  return new Response(fileBody(path, range.start, range.end), {
    status: 206,
    headers: { ...headers, 'Content-Range': `bytes ${range.start}-${range.end}/${size}`, 'Content-Length': String(range.end - range.start + 1) },
  });
}
