/**
 * Content coding for `peer-connect serve`, as every static host does for text (nginx `gzip`,
 * Caddy `encode`, Netlify, Cloudflare): brotli or gzip, chosen from the request's
 * `Accept-Encoding` (RFC 9110 §12.5.3, q-values honoured, by `negotiator`), for types that
 * compress (`compressible`, from mime-db's `compressible` flags), on whole-file 200 responses only.
 * A Range request is always answered from the identity representation: byte ranges of an encoded
 * stream are not stable across compressor versions, and the worker's origin pieces (sw/origin-run.ts)
 * must be the file's own bytes. The worker's whole-file fetches see `Content-Encoding` and read the
 * decoded body, so verification is unchanged.
 */
import { Readable } from 'node:stream';
import type { ReadableStream as NodeReadableStream } from 'node:stream/web';
import { constants, createBrotliCompress, createGzip } from 'node:zlib';
import compressible from 'compressible';
import Negotiator from 'negotiator';

/** The codings serve may send; `br` first: same quality from the client, the smaller wins (RFC 9110 §12.5.3 leaves the tie to the server). */
export type ContentCoding = 'br' | 'gzip';
const PREFERRED: readonly string[] = ['br', 'gzip', 'identity'];

/**
 * Below this, a compressed body saves less than its headers and a compressor's set-up cost
 * (nginx's `gzip_min_length` advice, Cloudflare's 48-byte floor, Akamai's 1 KiB): sent as is.
 */
export const MIN_COMPRESS_BYTES = 1024;

/** negotiator 1.x takes a `preferred` order for ties; @types/negotiator (0.6) does not know it yet. */
interface EncodingNegotiator {
  encoding(available: readonly string[], options?: { preferred?: readonly string[] }): string | undefined;
}

/**
 * The coding to answer a whole-file GET with: `br`, `gzip`, or null for identity (an
 * incompressible type, a file under MIN_COMPRESS_BYTES, no acceptable coding, or `identity;q=0`
 * with nothing else: identity is still sent then, as RFC 9110 §12.5.3 allows rather than a 406).
 * `contentType` is the response's, parameters allowed (`text/css; charset=utf-8`).
 */
export function chooseCoding(acceptEncoding: string | undefined, contentType: string, size: number): ContentCoding | null {
  if (size < MIN_COMPRESS_BYTES || acceptEncoding === undefined || !isCompressible(contentType)) return null;
  const negotiator = new Negotiator({ headers: { 'accept-encoding': acceptEncoding } }) as unknown as EncodingNegotiator;
  const coding = negotiator.encoding(PREFERRED, { preferred: PREFERRED });
  return coding === 'br' || coding === 'gzip' ? coding : null;
}

/**
 * Whether responses of this type are worth compressing: mime-db's flag, plus `text/*` it does not
 * list. Not `application/octet-stream`, which mime-db flags compressible: here it is what a file
 * of unknown extension gets (protocol/content-types.ts), mostly archives and binaries already packed.
 */
export function isCompressible(contentType: string): boolean {
  const type = contentType.split(';')[0]?.trim().toLowerCase() ?? '';
  if (type === 'application/octet-stream') return false;
  return compressible(type) ?? type.startsWith('text/');
}

/** The representation's ETag: a coded body is another representation, so another strong validator (RFC 9110 §8.8.3). */
export function codedEtag(identityEtag: string, coding: ContentCoding | null): string {
  return coding === null ? identityEtag : `${identityEtag.slice(0, -1)}-${coding}"`;
}

/**
 * `body` compressed on the fly as it is read (pull-based: nothing is compressed that the client
 * does not read). Brotli at quality 5: about gzip's speed with brotli's ratio on text; 11, the
 * default, is for build-time precompression and costs ~20× the CPU per byte.
 */
export function compressBody(body: ReadableStream<Uint8Array>, coding: ContentCoding, size: number): ReadableStream<Uint8Array> {
  const compressor =
    coding === 'br'
      ? createBrotliCompress({
          params: {
            [constants.BROTLI_PARAM_QUALITY]: 5,
            [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
            [constants.BROTLI_PARAM_SIZE_HINT]: size,
          },
        })
      : createGzip();
  const source = Readable.fromWeb(body as NodeReadableStream<Uint8Array>);
  source.on('error', (err) => compressor.destroy(err));
  return Readable.toWeb(source.pipe(compressor)) as ReadableStream<Uint8Array>;
}
