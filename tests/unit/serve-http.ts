/**
 * Raw requests for the `serve` tests. node:http sends the path byte for byte and any Host header
 * (fetch would normalise `//img` and set Host itself); a socket sends what even node:http will
 * not (HTTP/1.0 without Host, a WebSocket handshake with any Host).
 */

import { randomBytes } from 'node:crypto';
import { type IncomingHttpHeaders, request } from 'node:http';
import { connect } from 'node:net';

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface RawRequestOptions {
  /** The Host header; default `127.0.0.1:<port>` as node:http would send it. */
  host?: string;
  method?: string;
  headers?: Record<string, string>;
}

/** One request to 127.0.0.1:port with `path` sent as given. */
export function rawRequest(port: number, path: string, options: RawRequestOptions = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const headers = { Host: options.host ?? `127.0.0.1:${port}`, ...options.headers };
    const req = request({ host: '127.0.0.1', port, path, method: options.method ?? 'GET', headers, setHost: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Writes `head` (a request without a body) on a fresh socket; resolves with all the server sent. */
export function rawExchange(port: number, head: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(head));
    let received = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      received += chunk;
      // A successful WebSocket handshake keeps the socket open: the status line is the answer.
      if (/^HTTP\/1\.1 101 /.test(received) && received.includes('\r\n\r\n')) socket.destroy();
    });
    socket.on('close', () => resolve(received));
    socket.on('error', reject);
  });
}

/** A WebSocket handshake for `path`; `host` undefined leaves the Host header out. */
export function upgradeHead(path: string, host: string | undefined, origin: string, version = '1.1'): string {
  return (
    `GET ${path} HTTP/${version}\r\n` +
    (host === undefined ? '' : `Host: ${host}\r\n`) +
    `Origin: ${origin}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n\r\n`
  );
}

/** The status code of a raw response's first line (0 when there is none). */
export function statusOf(raw: string): number {
  return Number(/^HTTP\/1\.[01] (\d{3})/.exec(raw)?.[1] ?? 0);
}
