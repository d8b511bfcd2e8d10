/**
 * The Bun adapter: the signaling app on `Bun.serve`, with hono's Bun WebSocket helper. Bun
 * routes every socket's events through the one `websocket` handler given to Bun.serve, and hono
 * finds the server (needed to upgrade) in the fetch's second argument, so both are passed here.
 */
import { getConnInfo, upgradeWebSocket, websocket } from 'hono/bun';
import { httpOrigin, type Listen, type RunningSignalServer, type SignalServerOptions, serveSignalApp } from '../signal-server.ts';
import { bunApi } from './bun-api.ts';

export type { RunningSignalServer, SignalServerOptions };

export function startSignalServer(options: SignalServerOptions = {}): Promise<RunningSignalServer> {
  return serveSignalApp(listenOnBun, options);
}

const listenOnBun: Listen = async ({ host, port, maxFrameBytes }, build) => {
  const app = build(upgradeWebSocket, (c) => getConnInfo(c).remote.address ?? null);
  const server = bunApi().serve({
    hostname: host,
    port,
    fetch: (request, bunServer) => app.fetch(request, bunServer),
    // Bun's default cap is 16 MiB, buffered before the core could refuse it.
    websocket: { ...websocket, maxPayloadLength: maxFrameBytes },
  });
  return { origin: httpOrigin(host, server.port), port: server.port, close: () => server.stop(true) };
};
