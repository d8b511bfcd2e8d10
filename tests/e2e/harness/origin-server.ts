/**
 * A real static origin for the end-to-end tests and benchmarks: node:http on 127.0.0.1, serving
 * one directory the way a static host does (Content-Type by extension from the table the build
 * and `serve` use, protocol/content-types.ts; single `Range`, 416), and counting exactly what it
 * sends, per request, so a test can prove how many asset bytes the origin served without
 * trusting the page's own counters.
 *
 * Caching choice. Real static hosts differ: Netlify/Vercel send `max-age=0, must-revalidate`
 * plus an ETag, GitHub Pages `max-age=600`, plain S3 nothing (then browsers cache heuristically
 * from Last-Modified). Any freshness lifetime (`max-age>0`, or heuristic freshness when there is
 * no Cache-Control) would let the browser's HTTP cache answer a later request without a byte
 * reaching this server, so a test could not tell "came from a peer" from "came from the HTTP
 * cache". So we always send `Cache-Control: no-cache`, which forbids fresh reuse, and by
 * default no validators (no ETag, no Last-Modified): with nothing to revalidate against, every
 * request the browser makes is a full request this server sees and counts. Each visitor also
 * has a fresh profile, so nothing is shared between visitors anyway. `validators: true` turns
 * ETag/Last-Modified + 304 on, for benchmarks that want a more realistic repeat visit.
 *
 * Visitors. All browsers connect from 127.0.0.1, so a request is attributed to a visitor by a
 * tag in its User-Agent (`PeerConnectVisitor/<name>`), which the browser harness sets per
 * process with `--user-agent`: that flag covers pages AND the service worker's own fetches,
 * which per-page header overrides do not.
 */

import { createHash } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join, resolve, sep } from 'node:path';
// The table `peer-connect serve` and the build use: a test compares the worker with what a real host sends.
import { contentTypeFor } from '../../../protocol/content-types.ts';

export interface OriginOptions {
  /** Directory to serve. */
  root: string;
  /** Added before the response headers of every request (simulates distance to the origin). */
  latencyMs?: number;
  /** Extra ms before the response headers for one path (decoded, leading slash): a load still in flight at a chosen moment. */
  delayFor?: (path: string) => number;
  /** Per-response body throttle, bytes per second (simulates a slow origin link). */
  bytesPerSecond?: number;
  /** Send ETag/Last-Modified and answer conditional requests with 304 (off by default: see top). */
  validators?: boolean;
  /**
   * Paths the host guards with a login cookie, as Netlify's role-based redirects or Cloudflare
   * Access do: a request for a path under `prefix` without the cookie `name=value` gets 401. No
   * `WWW-Authenticate` (a Basic challenge would make Chromium wait on a login prompt).
   */
  protect?: { prefix: string; cookie: string };
  /** Extra response headers for a path (decoded, leading slash), as a host's `_headers` file adds them. */
  headers?: (path: string) => Record<string, string>;
  /**
   * A response whose socket took no byte for this long is `stalled`: still open, but no longer
   * waited for by `idle()` or counted in `inFlight` (default `STALL_MS`). See `STALL_MS`.
   */
  stallMs?: number;
}

/**
 * Chromium sometimes stops reading a response and never closes it (seen under load: the bridge
 * script of a page held for its first visit, a 56 B stylesheet, a Workbox precache entry; one
 * 64 KiB chunk written, then no `drain` for minutes). A real host's idle timeout would reap such
 * a connection; here it stays open, and a test waiting for "no response in flight" would wait
 * for ever on a browser artefact. The response is left open (destroying it could change what a
 * `<video>` that paused its reads does next) and its bytes stay counted as written.
 */
export const STALL_MS = 10_000;

/** One request as the server saw and answered it. Mutable while the response is in flight. */
export interface RequestRecord {
  seq: number;
  method: string;
  /** Decoded path without the query, e.g. `/img/gallery/a.jpg`. */
  path: string;
  /** Tag from the User-Agent, or `unknown`. */
  visitor: string;
  range: string | null;
  status: number;
  /** Body bytes handed to the socket for this response (headers not counted). */
  bodyBytes: number;
  startedAt: number;
  finishedAt: number | null;
  /** The client went away before the whole body was written. */
  aborted: boolean;
  /** When the socket last took bytes (or the response started). */
  lastProgressAt: number;
}

export interface PathTotals {
  requests: number;
  bytes: number;
  rangeRequests: number;
}

export interface OriginSnapshot {
  requests: RequestRecord[];
  /** Keyed by decoded path with its leading slash. */
  byPath: Map<string, PathTotals>;
  totalBytes: number;
  totalRequests: number;
  /** Responses still open that are not stalled. */
  inFlight: number;
  /** Responses still open whose socket took no byte for the stall time: the client stopped reading. */
  stalled: RequestRecord[];
}

export interface OriginServer {
  url: string;
  port: number;
  /** All records (or one visitor's), copied; byte counts are exact for finished responses. */
  snapshot(filter?: { visitor?: string }): OriginSnapshot;
  /** Forgets every record (in-flight responses keep counting into records nobody sees). */
  reset(): void;
  /** Resolves once every open response is stalled (none in flight), or rejects after `timeoutMs`. */
  idle(timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

export const VISITOR_UA_TAG = 'PeerConnectVisitor';
const VISITOR_RE = new RegExp(`${VISITOR_UA_TAG}/([A-Za-z0-9_.-]+)`);

type RangeResult = { start: number; end: number } | 'unsatisfiable' | null;

/**
 * RFC 9110 §14: one `bytes=` range → span; several ranges or bad syntax → null (serve 200, which
 * a server may always do); a syntactically valid range that starts past the end → 416.
 * Written independently of protocol/pieces.ts on purpose: the origin is the reference the
 * worker's own Range handling is compared with.
 */
export function parseByteRange(header: string | undefined, size: number): RangeResult {
  if (header === undefined) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m) return null;
  const [, first = '', last = ''] = m;
  if (first === '' && last === '') return null;
  if (first === '') {
    const n = Number(last);
    if (n === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - n), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? size - 1 : Number(last);
  if (last !== '' && end < start) return null;
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(end, size - 1) };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Slice size for throttled writes: small enough that the rate is smooth at ~100 KB/s. */
const THROTTLE_SLICE = 16 * 1024;
const IDLE_POLL_MS = 50;

export async function startOriginServer(options: OriginOptions): Promise<OriginServer> {
  const root = resolve(options.root);
  let records: RequestRecord[] = [];
  let seq = 0;
  const stallMs = options.stallMs ?? STALL_MS;
  /** Every response not yet finished (also after `reset()` forgot its record), with its socket. */
  const open = new Map<RequestRecord, { socket: Socket; sample: string }>();
  /**
   * A body the client reads slowly is not stalled: bytes leave libuv's write queue even while
   * our `drain` waits, so progress is sampled from the socket, a few times per stall time.
   */
  const sampleProgress = (): void => {
    const now = Date.now();
    for (const [r, o] of open) {
      const queued = (o.socket as unknown as { _handle?: { writeQueueSize?: number } | null })._handle?.writeQueueSize ?? 0;
      const sample = `${o.socket.bytesWritten}/${queued}`;
      if (sample !== o.sample) {
        o.sample = sample;
        r.lastProgressAt = now;
      }
    }
  };
  const sampler = setInterval(sampleProgress, Math.max(10, Math.min(250, stallMs / 4)));
  sampler.unref();
  const isStalled = (r: RequestRecord, now: number): boolean => open.has(r) && now - r.lastProgressAt >= stallMs;
  const describe = (r: RequestRecord, now: number): string =>
    `${r.visitor} ${r.method} ${r.path}${r.range ? ` ${r.range}` : ''} (${r.status || 'no status'}, ${r.bodyBytes} B sent, ` +
    `open ${now - r.startedAt} ms, last byte taken ${now - r.lastProgressAt} ms ago)`;

  const finish = (rec: RequestRecord): void => {
    if (rec.finishedAt !== null) return;
    rec.finishedAt = Date.now();
    open.delete(rec);
  };

  /** Writes one chunk, counting it, honouring back-pressure; false when the client is gone. */
  const writeCounted = async (res: ServerResponse, rec: RequestRecord, chunk: Buffer): Promise<boolean> => {
    if (res.destroyed) return false;
    rec.bodyBytes += chunk.length;
    rec.lastProgressAt = Date.now();
    if (!res.write(chunk)) {
      await new Promise<void>((r) => {
        const done = (): void => {
          res.off('drain', done);
          res.off('close', done);
          r();
        };
        res.on('drain', done);
        res.on('close', done);
      });
      rec.lastProgressAt = Date.now();
    }
    return !res.destroyed;
  };

  const sendBody = async (res: ServerResponse, rec: RequestRecord, file: string, start: number, end: number): Promise<void> => {
    const bps = options.bytesPerSecond;
    const t0 = Date.now();
    let sent = 0;
    const stream = createReadStream(file, { start, end, highWaterMark: 64 * 1024 });
    try {
      for await (const data of stream) {
        const buf = data as Buffer;
        for (let off = 0; off < buf.length; ) {
          const slice = buf.subarray(off, bps ? off + THROTTLE_SLICE : buf.length);
          off += slice.length;
          if (bps) {
            // Pace against the start of this response so the average rate is exact.
            const due = t0 + ((sent + slice.length) / bps) * 1000;
            const wait = due - Date.now();
            if (wait > 0) await sleep(wait);
          }
          if (!(await writeCounted(res, rec, slice))) {
            rec.aborted = true;
            return;
          }
          sent += slice.length;
        }
      }
    } finally {
      stream.destroy();
    }
    res.end();
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, rec: RequestRecord): Promise<void> => {
    if (options.latencyMs) await sleep(options.latencyMs);
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      rec.status = 405;
      res.writeHead(405, { allow: 'GET, HEAD', 'content-length': '0' });
      res.end();
      return;
    }
    let rel: string;
    try {
      rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      rec.status = 400;
      res.writeHead(400, { 'content-length': '0' });
      res.end();
      return;
    }
    rec.path = rel;
    const delay = options.delayFor?.(rel) ?? 0;
    if (delay > 0) await sleep(delay);
    const guard = options.protect;
    if (guard && rel.startsWith(guard.prefix) && !(req.headers.cookie ?? '').split(/;\s*/).includes(guard.cookie)) {
      rec.status = 401;
      const body = Buffer.from('members only\n');
      res.writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'content-length': String(body.length) });
      rec.bodyBytes += req.method === 'HEAD' ? 0 : body.length;
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }
    let file = resolve(join(root, rel));
    // Refuse anything that escapes the root (`..`, encoded or not) or smuggles a NUL.
    if (rel.includes('\0') || (file !== root && !file.startsWith(root + sep))) {
      rec.status = 403;
      res.writeHead(403, { 'content-length': '0' });
      res.end();
      return;
    }
    let st: Stats | null = await stat(file).catch(() => null);
    if (st?.isDirectory()) {
      if (!rel.endsWith('/')) {
        rec.status = 301;
        res.writeHead(301, { location: `${rel}/`, 'content-length': '0' });
        res.end();
        return;
      }
      file = join(file, 'index.html');
      st = await stat(file).catch(() => null);
    }
    if (!st?.isFile()) {
      rec.status = 404;
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-cache' });
      const body = Buffer.from('not found\n');
      rec.bodyBytes += req.method === 'HEAD' ? 0 : body.length;
      res.end(req.method === 'HEAD' ? undefined : body);
      return;
    }

    const size = st.size;
    const headers: Record<string, string> = {
      'content-type': contentTypeFor(file),
      'cache-control': 'no-cache',
      'accept-ranges': 'bytes',
      ...options.headers?.(rel),
    };
    if (options.validators) {
      const etag = `"${createHash('sha1').update(`${file}:${size}:${st.mtimeMs}`).digest('hex').slice(0, 16)}"`;
      headers.etag = etag;
      headers['last-modified'] = st.mtime.toUTCString();
      if (req.headers['if-none-match'] === etag) {
        rec.status = 304;
        res.writeHead(304, headers);
        res.end();
        return;
      }
    }

    // If-Range with a validator we did not send (or a stale one) means "send it all".
    const ifRange = req.headers['if-range'];
    const rangeAllowed = ifRange === undefined || (options.validators === true && ifRange === headers.etag);
    const range = rangeAllowed ? parseByteRange(req.headers.range, size) : null;
    if (range === 'unsatisfiable') {
      rec.status = 416;
      res.writeHead(416, { ...headers, 'content-range': `bytes */${size}`, 'content-length': '0' });
      res.end();
      return;
    }
    const start = range ? range.start : 0;
    const end = range ? range.end : size - 1;
    const length = size === 0 ? 0 : end - start + 1;
    rec.status = range ? 206 : 200;
    if (range) headers['content-range'] = `bytes ${start}-${end}/${size}`;
    headers['content-length'] = String(length);
    res.writeHead(rec.status, headers);
    if (req.method === 'HEAD' || length === 0) {
      res.end();
      return;
    }
    await sendBody(res, rec, file, start, end);
  };

  const server: Server = createServer((req, res) => {
    const ua = req.headers['user-agent'] ?? '';
    const rec: RequestRecord = {
      seq: ++seq,
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      visitor: VISITOR_RE.exec(ua)?.[1] ?? 'unknown',
      range: typeof req.headers.range === 'string' ? req.headers.range : null,
      status: 0,
      bodyBytes: 0,
      startedAt: Date.now(),
      finishedAt: null,
      aborted: false,
      lastProgressAt: Date.now(),
    };
    records.push(rec);
    open.set(rec, { socket: req.socket, sample: `${req.socket.bytesWritten}/0` });
    res.on('close', () => {
      if (!res.writableFinished) rec.aborted = true;
      finish(rec);
    });
    handle(req, res, rec).catch((err: unknown) => {
      // A bug in this harness, or a file vanishing mid-test: answer 500 rather than hang.
      rec.status = 500;
      if (!res.headersSent) res.writeHead(500, { 'content-length': '0' });
      res.destroy(err instanceof Error ? err : new Error(String(err)));
    });
  });
  // Browsers keep connections alive; close() must not wait for them.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    snapshot(filter) {
      const now = Date.now();
      const originals = records.filter((r) => filter?.visitor === undefined || r.visitor === filter.visitor);
      const stalledNow = new Set(originals.filter((r) => isStalled(r, now)).map((r) => r.seq));
      const picked = originals.map((r) => ({ ...r }));
      const byPath = new Map<string, PathTotals>();
      let totalBytes = 0;
      let inFlightNow = 0;
      const stalled: RequestRecord[] = [];
      for (const r of picked) {
        const t = byPath.get(r.path) ?? { requests: 0, bytes: 0, rangeRequests: 0 };
        t.requests++;
        t.bytes += r.bodyBytes;
        if (r.range !== null) t.rangeRequests++;
        byPath.set(r.path, t);
        totalBytes += r.bodyBytes;
        if (r.finishedAt === null) {
          if (stalledNow.has(r.seq)) stalled.push(r);
          else inFlightNow++;
        }
      }
      return { requests: picked, byPath, totalBytes, totalRequests: picked.length, inFlight: inFlightNow, stalled };
    },
    reset() {
      records = [];
    },
    async idle(timeoutMs = stallMs + 5_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const now = Date.now();
        const live = [...open.keys()].filter((r) => !isStalled(r, now));
        if (live.length === 0) {
          const stalled = [...open.keys()];
          // Said out loud: a response the browser stopped reading is a browser artefact here, but
          // the same from the worker would be a leak, and the log is where it would show first.
          if (stalled.length > 0)
            console.log(`origin: idle but ${stalled.length} stalled: ${stalled.map((r) => describe(r, now)).join('; ')}`);
          return;
        }
        if (now >= deadline) {
          throw new Error(
            `origin: ${live.length} responses still in flight after ${timeoutMs} ms: ${live.map((r) => describe(r, now)).join('; ')}`,
          );
        }
        await sleep(Math.min(IDLE_POLL_MS, deadline - now));
      }
    },
    close() {
      clearInterval(sampler);
      return new Promise<void>((r) => {
        server.close(() => r());
        server.closeAllConnections();
      });
    },
  };
}
