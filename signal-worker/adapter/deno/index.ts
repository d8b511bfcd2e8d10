/**
 * The Deno adapter: the signaling app on `Deno.serve`, with hono's Deno WebSocket helper.
 *
 * Frame size: Deno.upgradeWebSocket has no option for the largest incoming message (Deno caps
 * it internally, at 64 MiB), so an oversized frame is assembled in memory before the core sees
 * it; the core's own `too-large` check still refuses it, with the error code and a 1008 close.
 */
import { upgradeWebSocket } from 'hono/deno';
import { createSignalApp } from '../../app.ts';
import { SignalHubs } from '../../signal-hubs.ts';
import type { RunningStandalone, StandaloneOptions } from '../standalone.ts';
import { denoApi } from './deno-api.ts';

export async function startDenoSignalServer(options: StandaloneOptions): Promise<RunningStandalone> {
  const hubs = new SignalHubs(options);
  const app = createSignalApp({ upgradeWebSocket, hubs, allowedOrigins: options.allowedOrigins });
  let listening!: (port: number) => void;
  const bound = new Promise<number>((resolve) => (listening = resolve));
  // onListen replaces Deno's own "Listening on ..." line, which the launcher would not read.
  const server = denoApi().serve({ hostname: options.host, port: options.port, onListen: (addr) => listening(addr.port) }, (request) => app.fetch(request));
  const port = await bound;
  let closing: Promise<void> | null = null;
  return {
    origin: `http://${options.host}:${port}`,
    port,
    close: () =>
      (closing ??= (async () => {
        hubs.shutdown();
        await server.shutdown();
      })()),
  };
}
