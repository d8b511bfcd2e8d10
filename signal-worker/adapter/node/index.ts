/**
 * The Node adapter: `startSignalServer`, the same name, options and return type as every other
 * runtime's index.ts, on @hono/node-server and @hono/node-ws. Node alone also serves a built
 * site with signaling on its origin (`startSiteServer`, site-server.ts: `peer-connect serve`).
 */
import { type Listen, type RunningSignalServer, type SignalServerOptions, serveSignalApp } from '../signal-server.ts';
import { listenWithWebSocket, nodeAddress } from './listen.ts';

export { type RunningSiteServer, type SiteServerOptions, startSiteServer } from './site-server.ts';
export type { RunningSignalServer, SignalServerOptions };

export function startSignalServer(options: SignalServerOptions = {}): Promise<RunningSignalServer> {
  return serveSignalApp(listenOnNode, options);
}

const listenOnNode: Listen = ({ host, port, maxFrameBytes }, build) =>
  listenWithWebSocket({ host, port, maxPayloadBytes: maxFrameBytes }, ({ upgradeWebSocket }) => build(upgradeWebSocket, nodeAddress));
