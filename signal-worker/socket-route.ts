/**
 * One WebSocket route of the signaling app, whichever protocol it speaks: a request whose Origin
 * may not use it is refused before the upgrade (so a foreign page never gets an open socket at
 * all), a request that is not an upgrade gets 426, and each upgraded socket is mapped onto one
 * core connection through hono's neutral WebSocket events.
 */
import type { Context, Hono } from 'hono';
import type { UpgradeWebSocket, WSContext, WSEvents } from 'hono/ws';
import type { ClientConnection, ClientSocket } from './core/socket/client-socket.ts';

export interface SocketRoute<T> {
  path: string;
  upgradeWebSocket: UpgradeWebSocket<T>;
  /** The 403 body, in the route's protocol, for a request whose Origin may not use it; null lets it through. */
  originRefusal(origin: string | undefined): Record<string, string> | null;
  /**
   * The 503 body for a request the route's caps refuse before the upgrade (connections, per
   * address); null lets it through. `address`: see `clientAddress`.
   */
  capacityRefusal?(address: string | null): Record<string, string> | null;
  /** The client's address of a request, or null when unknown (see client-address.ts). */
  address?(c: Context): string | null;
  accept(socket: ClientSocket, address: string | null): ClientConnection;
  /** The 426 body for a request that is not a WebSocket upgrade. */
  notUpgraded: string;
}

export function mountSocketRoute<T>(app: Hono, route: SocketRoute<T>): void {
  app.get(
    route.path,
    async (c, next) => {
      const refusal = route.originRefusal(c.req.header('origin'));
      if (refusal) return c.json(refusal, 403);
      const full = route.capacityRefusal?.(route.address?.(c) ?? null);
      if (full) return c.json(full, 503, { 'Retry-After': '30' });
      await next();
    },
    route.upgradeWebSocket((c) => {
      const address = route.address?.(c) ?? null;
      return socketEvents<T>((socket) => route.accept(socket, address));
    }),
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
    if (!connection && !gone) connection = accept(new HonoClientSocket(ws));
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

/** A runtime's raw socket, as far as its queued bytes go. */
interface RawSocket {
  /** ws (Node), Deno and the WHATWG WebSocket. */
  bufferedAmount?: unknown;
  /** Bun's ServerWebSocket. */
  getBufferedAmount?: () => unknown;
}

/**
 * The core's socket on a hono one: methods on a class rather than closures per socket (tens of
 * thousands of them). Its queued bytes come from the runtime's own socket (`ws.raw`): ws and
 * Deno have `bufferedAmount`, Bun `getBufferedAmount()`; on a runtime with neither it reports 0,
 * so the core cannot see a client that stopped reading there (README "Signaling server limits").
 */
class HonoClientSocket<T> implements ClientSocket {
  private readonly raw: RawSocket | undefined;

  constructor(private readonly ws: WSContext<T>) {
    this.raw = ws.raw as RawSocket | undefined;
  }

  send(text: string): void {
    this.ws.send(text);
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }

  bufferedAmount(): number {
    const raw = this.raw;
    if (!raw) return 0;
    const queued = typeof raw.getBufferedAmount === 'function' ? raw.getBufferedAmount() : raw.bufferedAmount;
    return typeof queued === 'number' ? queued : 0;
  }
}
