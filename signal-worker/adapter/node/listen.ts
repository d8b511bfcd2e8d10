/**
 * Runs a hono app with WebSocket support on Node's http server, bound to one host and port.
 * The app is built after the socket is bound, because the site server's default allowed origin
 * contains the port, which with port 0 is known only then.
 */
import { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { getConnInfo } from '@hono/node-server/conninfo';
import { createNodeWebSocket } from '@hono/node-ws';
import { type Context, Hono } from 'hono';
import type { UpgradeWebSocket } from 'hono/ws';
import { httpOrigin } from '../signal-server.ts';

export interface NodeListenOptions {
  host: string;
  port: number;
  /**
   * Largest WebSocket frame ws will assemble, in bytes. ws defaults to 100 MiB, buffered before
   * the core could refuse it, so the adapter caps it near the core's own character limit.
   */
  maxPayloadBytes: number;
}

export interface BuildContext {
  upgradeWebSocket: UpgradeWebSocket<unknown>;
  /** `http://host:port` as clients reach it. */
  origin: string;
  port: number;
}

export interface NodeListening {
  port: number;
  origin: string;
  close(): Promise<void>;
}

export async function listenWithWebSocket(options: NodeListenOptions, build: (context: BuildContext) => Hono): Promise<NodeListening> {
  let app: Hono | null = null;
  const server = createAdaptorServer({
    fetch: (request, env) => (app ? app.fetch(request, env) : new Response('starting', { status: 503 })),
  });
  if (!(server instanceof Server)) throw new Error('expected an HTTP/1.1 server');
  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const origin = httpOrigin(options.host, port);

  const root = new Hono();
  const nodeWs = createNodeWebSocket({ app: root });
  nodeWs.wss.options.maxPayload = options.maxPayloadBytes;
  root.route('/', build({ upgradeWebSocket: nodeWs.upgradeWebSocket, origin, port }));
  nodeWs.injectWebSocket(server);
  app = root;

  let closing: Promise<void> | null = null;
  const close = (): Promise<void> =>
    (closing ??= new Promise<void>((resolvePromise) => {
      // Tests (and Ctrl-C) must not wait for clients: kill sockets instead of closing politely.
      for (const socket of nodeWs.wss.clients) socket.terminate();
      server.close(() => resolvePromise());
      server.closeAllConnections();
    }));
  return { port, origin, close };
}

/** A request's TCP peer address on Node (the incoming socket's, through hono's getConnInfo). */
export function nodeAddress(c: Context): string | null {
  return getConnInfo(c).remote.address ?? null;
}
