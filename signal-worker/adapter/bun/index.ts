/**
 * The Bun adapter: the signaling app on `Bun.serve`, with hono's Bun WebSocket helper. Bun
 * routes every socket's events through the one `websocket` handler given to Bun.serve, and hono
 * finds the server (needed to upgrade) in the fetch's second argument, so both are passed here.
 */
import { upgradeWebSocket, websocket } from 'hono/bun';
import { createSignalApp } from '../../app.ts';
import { SignalHubs } from '../../signal-hubs.ts';
import { type RunningStandalone, type StandaloneOptions } from '../standalone.ts';
import { bunApi } from './bun-api.ts';

export async function startBunSignalServer(options: StandaloneOptions): Promise<RunningStandalone> {
  const hubs = new SignalHubs(options);
  const app = createSignalApp({ upgradeWebSocket, hubs, allowedOrigins: options.allowedOrigins });
  const server = bunApi().serve({
    hostname: options.host,
    port: options.port,
    fetch: (request, bunServer) => app.fetch(request, bunServer),
    // Bun's default cap is 16 MiB, buffered before the core could refuse it.
    websocket: { ...websocket, maxPayloadLength: hubs.maxFrameBytes },
  });
  let closing: Promise<void> | null = null;
  return {
    origin: `http://${options.host}:${server.port}`,
    port: server.port,
    close: () =>
      (closing ??= (async () => {
        hubs.shutdown();
        await server.stop(true);
      })()),
  };
}
