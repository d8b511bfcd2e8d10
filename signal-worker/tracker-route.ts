/**
 * Mounts the WebTorrent WebSocket tracker on the signaling app, at its own path. A separate
 * path rather than one socket dispatching on `action`: the two protocols differ in framing
 * (binary-string ids, `failure reason` vs typed errors), in limits and in who connects (Node and
 * desktop WebTorrent clients as well as pages), and WebTorrent connects to the announce URL as
 * written in the torrent, so a dedicated URL costs nothing and keeps each decoder strict.
 */
import type { Hono } from 'hono';
import type { UpgradeWebSocket, WSContext, WSEvents } from 'hono/ws';
import type { TrackerConnection } from './core/tracker/tracker-connection.ts';
import type { TrackerHub } from './core/tracker/tracker-hub.ts';

export const DEFAULT_TRACKER_PATH = '/peer-connect/announce';

export function mountTracker<T>(
  app: Hono,
  options: { upgradeWebSocket: UpgradeWebSocket<T>; hub: TrackerHub; originAllowed: (origin: string | undefined) => boolean; path: string },
): void {
  app.get(
    options.path,
    async (c, next) => {
      // A page on a foreign origin may not use this tracker through its visitors' browsers. No
      // Origin at all means a non-browser client (Node or desktop WebTorrent), which could send
      // any Origin it liked, so refusing it would stop only honest ones.
      const origin = c.req.header('origin');
      if (origin !== undefined && !options.originAllowed(origin)) {
        return c.json({ 'failure reason': 'this origin may not use this tracker' }, 403);
      }
      await next();
    },
    options.upgradeWebSocket(() => trackerEvents<T>(options.hub)),
    (c) => c.text('this route speaks WebSocket only (WebTorrent tracker)', 426, { Upgrade: 'websocket' }),
  );
}

/** Maps one hono WebSocket onto one tracker connection. */
function trackerEvents<T>(hub: TrackerHub): WSEvents<T> {
  let connection: TrackerConnection | null = null;
  let gone = false;
  // Created on the first event, not only in onOpen: some runtimes (Cloudflare) never fire onOpen.
  const connect = (ws: WSContext<T>): TrackerConnection | null => {
    if (!connection && !gone) {
      connection = hub.accept({ send: (text) => ws.send(text), close: (code, reason) => ws.close(code, reason) });
    }
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
