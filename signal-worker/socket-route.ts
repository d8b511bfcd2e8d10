/**
 * One WebSocket route of the signaling app, whichever protocol it speaks: a request whose Origin
 * may not use it is refused before the upgrade (so a foreign page never gets an open socket at
 * all), a request that is not an upgrade gets 426, and each upgraded socket is mapped onto one
 * core connection through hono's neutral WebSocket events.
 */
import type { Hono } from 'hono';
import type { UpgradeWebSocket, WSContext, WSEvents } from 'hono/ws';
import type { ClientConnection, ClientSocket } from './core/socket/client-socket.ts';

export interface SocketRoute<T> {
  path: string;
  upgradeWebSocket: UpgradeWebSocket<T>;
  /** The 403 body, in the route's protocol, for a request whose Origin may not use it; null lets it through. */
  originRefusal(origin: string | undefined): Record<string, string> | null;
  accept(socket: ClientSocket): ClientConnection;
  /** The 426 body for a request that is not a WebSocket upgrade. */
  notUpgraded: string;
}

export function mountSocketRoute<T>(app: Hono, route: SocketRoute<T>): void {
  app.get(
    route.path,
    async (c, next) => {
      const refusal = route.originRefusal(c.req.header('origin'));
      if (refusal) return c.json(refusal, 403);
      await next();
    },
    route.upgradeWebSocket(() => socketEvents<T>(route.accept)),
    // Reached only when the request was not a WebSocket upgrade.
    (c) => c.text(route.notUpgraded, 426, { Upgrade: 'websocket' }),
  );
}

/** Maps one hono WebSocket onto one core connection. */
function socketEvents<T>(accept: (socket: ClientSocket) => ClientConnection): WSEvents<T> {
  let connection: ClientConnection | null = null;
  let gone = false;
  // Made on the first event, not only in onOpen: some runtimes (Cloudflare) never fire onOpen.
  const connect = (ws: WSContext<T>): ClientConnection | null => {
    if (!connection && !gone) connection = accept({ send: (text) => ws.send(text), close: (code, reason) => ws.close(code, reason) });
    return connection;
  };
  const disconnect = (): void => {
    gone = true;
    connection?.socketClosed();
  };
  return {
    onOpen: (_event, ws) => void connect(ws),
    onMessage: (event, ws) => connect(ws)?.receive(event.data),
    onClose: disconnect,
    onError: disconnect,
  };
}
