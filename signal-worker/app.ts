/**
 * The signaling server as a hono app: the WebSocket route, the WebTorrent tracker route
 * (tracker-route.ts) and a health route. It takes the
 * runtime's `upgradeWebSocket` (hono's neutral helper shape), so every runtime adapter builds the
 * same app and only maps its own socket type.
 */
import { Hono } from 'hono';
import type { UpgradeWebSocket, WSContext, WSEvents } from 'hono/ws';
import type { SignalConnection } from './core/signal/signal-connection.ts';
import type { SignalLimits } from './core/signal/signal-limits.ts';
import { SignalHub } from './core/signal/signal-hub.ts';
import { TrackerHub } from './core/tracker/tracker-hub.ts';
import type { TrackerLimits } from './core/tracker/tracker-limits.ts';
import { createOriginCheck, type AllowedOrigins } from './origin-policy.ts';
import { DEFAULT_TRACKER_PATH, mountTracker } from './tracker-route.ts';

export { DEFAULT_TRACKER_PATH } from './tracker-route.ts';

export const DEFAULT_SIGNAL_PATH = '/peer-connect/signal';
export const DEFAULT_HEALTH_PATH = '/peer-connect/health';

export interface SignalAppOptions<T> {
  upgradeWebSocket: UpgradeWebSocket<T>;
  /** `'*'` or the exact page origins allowed to connect (default `'*'`). */
  allowedOrigins?: AllowedOrigins;
  /** Share a hub (for stats or shutdown); otherwise one is made from `limits`. */
  hub?: SignalHub;
  limits?: Partial<SignalLimits>;
  path?: string;
  healthPath?: string;
  /** The WebTorrent tracker's hub (shared for stats or shutdown); `false` leaves the tracker out. */
  tracker?: TrackerHub | false;
  trackerLimits?: Partial<TrackerLimits>;
  trackerPath?: string;
}

export function createSignalApp<T>(options: SignalAppOptions<T>): Hono {
  const hub = options.hub ?? new SignalHub({ limits: options.limits ?? {} });
  const tracker = options.tracker === false ? null : (options.tracker ?? new TrackerHub({ limits: options.trackerLimits ?? {} }));
  const originAllowed = createOriginCheck(options.allowedOrigins ?? '*');
  const app = new Hono();

  app.get(options.healthPath ?? DEFAULT_HEALTH_PATH, (c) => {
    c.header('Cache-Control', 'no-store');
    return c.json({ ok: true, ...hub.stats(), ...(tracker ? { tracker: tracker.stats() } : {}) });
  });

  if (tracker) {
    mountTracker(app, { upgradeWebSocket: options.upgradeWebSocket, hub: tracker, originAllowed, path: options.trackerPath ?? DEFAULT_TRACKER_PATH });
  }

  app.get(
    options.path ?? DEFAULT_SIGNAL_PATH,
    async (c, next) => {
      // Refused before the upgrade, so a foreign page never gets an open socket at all.
      if (!originAllowed(c.req.header('origin'))) {
        return c.json({ type: 'error', code: 'origin-not-allowed', message: 'this origin may not use this signaling server' }, 403);
      }
      await next();
    },
    options.upgradeWebSocket(() => socketEvents<T>(hub)),
    // Reached only when the request was not a WebSocket upgrade.
    (c) => c.text('this route speaks WebSocket only', 426, { Upgrade: 'websocket' }),
  );

  return app;
}

/** Maps one hono WebSocket onto one core connection. */
function socketEvents<T>(hub: SignalHub): WSEvents<T> {
  let connection: SignalConnection | null = null;
  let gone = false;
  // Created on the first event, not only in onOpen: some runtimes (Cloudflare) never fire onOpen.
  const connect = (ws: WSContext<T>): SignalConnection | null => {
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
