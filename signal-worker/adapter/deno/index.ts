/**
 * The Deno adapter: the signaling app on `Deno.serve`, with hono's Deno WebSocket helper.
 *
 * Frame size: Deno.upgradeWebSocket has no option for the largest incoming message (Deno caps
 * it internally, at 64 MiB), so an oversized frame is assembled in memory before the core sees
 * it; the core's own `too-large` check still refuses it, with the error code and a 1008 close.
 */
import { getConnInfo, upgradeWebSocket } from 'hono/deno';
import { httpOrigin, type Listen, type RunningSignalServer, type SignalServerOptions, serveSignalApp } from '../signal-server.ts';
import { denoApi } from './deno-api.ts';

export type { RunningSignalServer, SignalServerOptions };

export function startSignalServer(options: SignalServerOptions = {}): Promise<RunningSignalServer> {
  return serveSignalApp(listenOnDeno, options);
}

const listenOnDeno: Listen = async ({ host, port }, build) => {
  const app = build(upgradeWebSocket, (c) => getConnInfo(c).remote.address ?? null);
  let listening!: (port: number) => void;
  const bound = new Promise<number>((resolve) => (listening = resolve));
  // onListen replaces Deno's own "Listening on ..." line, which the launcher would not read.
  const server = denoApi().serve({ hostname: host, port, onListen: (addr) => listening(addr.port) }, (request, info) =>
    // `info` (remoteAddr) is what getConnInfo reads.
    app.fetch(request, info),
  );
  const boundPort = await bound;
  return { origin: httpOrigin(host, boundPort), port: boundPort, close: () => server.shutdown() };
};
