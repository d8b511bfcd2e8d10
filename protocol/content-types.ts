/**
 * The one Content-Type table. The build writes it into the manifest (`ManifestAsset.type`, which
 * the worker answers with), `peer-connect serve` sends it, and the e2e test origin too: a page gets
 * the same type whether its bytes came from peers or from the origin. The base is the `mime`
 * package (mime-db: IANA's registry plus the types browsers and servers use), kept up to date by
 * others; CONTENT_TYPE_OVERRIDES holds the few places where we answer otherwise, each with why.
 * Pure: no I/O, only the path's extension is read.
 */
import mime from 'mime';

/** What a file with no extension, or one neither table knows, is served as. */
export const DEFAULT_CONTENT_TYPE = 'application/octet-stream';

/**
 * Extension (lowercase, no dot) → type, where mime's answer is not ours. The charset rule
 * (`text/*` gets `; charset=utf-8`) applies to these too.
 */
export const CONTENT_TYPE_OVERRIDES: Readonly<Record<string, string>> = {
  // RFC 9639 (2024) registered audio/flac; mime-db still knows only the old audio/x-flac.
  flac: 'audio/flac',
};

/**
 * The extension of the last path segment (`a/b.Tar.GZ` → `gz`), or null when it has none. Either
 * slash separates segments (`serve` passes file-system paths), and a leading dot is a hidden
 * file's name, not an extension (`.htaccess`).
 */
export function extensionOf(path: string): string | null {
  const name = path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
  const dot = name.lastIndexOf('.');
  return dot > 0 && dot < name.length - 1 ? name.slice(dot + 1).toLowerCase() : null;
}

/**
 * The Content-Type for a file path: `text/css; charset=utf-8`, `video/mp4`, `text/vtt; charset=utf-8`,
 * DEFAULT_CONTENT_TYPE when unknown. Text types carry `charset=utf-8`, as static hosts send them
 * (without it a browser decodes a `.txt` or `.vtt` by its own guess).
 */
export function contentTypeFor(path: string): string {
  const ext = extensionOf(path);
  if (ext === null) return DEFAULT_CONTENT_TYPE;
  // hasOwn: an extension such as `constructor` must not find Object's prototype.
  const type = Object.hasOwn(CONTENT_TYPE_OVERRIDES, ext) ? CONTENT_TYPE_OVERRIDES[ext]! : mime.getType(ext);
  if (type === null) return DEFAULT_CONTENT_TYPE;
  return type.startsWith('text/') ? `${type}; charset=utf-8` : type;
}
