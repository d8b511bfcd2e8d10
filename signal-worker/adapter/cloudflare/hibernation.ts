/**
 * What both Durable Objects (SignalSwarm, TrackerSite) do with hibernatable sockets, the same
 * way: accept one under a fresh key, map it onto the core's socket contract, find its key again
 * from its attachment, list the sockets that stayed open while the object was away, and close
 * without throwing.
 */
import { CLOSE_INTERNAL_ERROR, type ClientSocket } from '../../core/socket/client-socket.ts';
import { decodeAttachment, type SocketAttachment } from './attachment.ts';
import type { SocketRows } from './socket-rows.ts';
import { type DurableObjectState, type HibernatableWebSocket, upgradeResponse, workersGlobals } from './workers-types.ts';

export interface Accepted {
  ws: HibernatableWebSocket;
  /** The key of the socket's storage row, carried in its attachment. */
  key: string;
  /** The 101 that hands the client its end. */
  response: Response;
}

export interface WokenSocket {
  ws: HibernatableWebSocket;
  attachment: SocketAttachment;
  /** The socket's storage row, if it has one. */
  row: string | undefined;
}

export function isUpgrade(request: Request): boolean {
  return request.headers.get('upgrade')?.toLowerCase() === 'websocket';
}

export function acceptHibernatable(ctx: Pick<DurableObjectState, 'acceptWebSocket'>): Accepted {
  const pair = new (workersGlobals().WebSocketPair)();
  ctx.acceptWebSocket(pair[1]);
  return { ws: pair[1], key: crypto.randomUUID(), response: upgradeResponse(pair[0]) };
}

/**
 * The core's socket on a hibernatable one; `lastHeardAt` where the runtime answers pings itself.
 *
 * Known workerd limit (measured on bare `workerd serve` 1.20260426.1 with compatibility dates
 * 2026-04-26 and 2024-01-01, on Miniflare 4.20260426.0 and under wrangler dev 4.86): when the
 * server closes a hibernatable socket whose client never sent a frame, the client gets our close
 * frame and answers it, the object gets `webSocketClose`, yet workerd keeps the TCP connection
 * open until it exits, so the client's close event waits for its own timeout. One frame from the
 * client (even a ping the runtime answers) avoids it; nothing the object can call does (a second
 * close, closing without sending first, closing from `webSocketMessage` instead of `alarm`). Only
 * sockets that stay silent from the start are affected: ours send `join` at once.
 */
export function clientSocket(ws: HibernatableWebSocket, lastHeardAt?: () => number | null): ClientSocket {
  const socket: ClientSocket = { send: (text) => ws.send(text), close: (code, reason) => ws.close(code, reason) };
  if (lastHeardAt) socket.lastHeardAt = lastHeardAt;
  // workerd documents no `bufferedAmount` on a server-side WebSocket; use it if a version has one.
  const raw = ws as HibernatableWebSocket & { bufferedAmount?: unknown };
  if (typeof raw.bufferedAmount === 'number') socket.bufferedAmount = () => Number(raw.bufferedAmount) || 0;
  return socket;
}

/** The key in a socket's attachment, or null (none, or one an older version wrote otherwise). */
export function keyOfSocket(ws: HibernatableWebSocket): string | null {
  return decodeAttachment(ws.deserializeAttachment())?.key ?? null;
}

/**
 * The sockets that stayed open while the object was away, with their attachments and rows (the
 * rows of sockets that are gone are pruned). A socket without a readable attachment has nothing
 * to be rebuilt from, so it is closed: its client reconnects, as after any close.
 */
export function wokenSockets(ctx: Pick<DurableObjectState, 'getWebSockets'>, rows: SocketRows): WokenSocket[] {
  const sockets = ctx.getWebSockets().map((ws) => ({ ws, attachment: decodeAttachment(ws.deserializeAttachment()) }));
  const stored = rows.loadAndPrune(new Set(sockets.flatMap((s) => (s.attachment ? [s.attachment.key] : []))));
  const woken: WokenSocket[] = [];
  for (const { ws, attachment } of sockets) {
    if (attachment) woken.push({ ws, attachment, row: stored.get(attachment.key) });
    else closeLost(ws);
  }
  return woken;
}

/** Closes a socket whose state is gone (no attachment, no row, no entry): the client reconnects. */
export function closeLost(ws: HibernatableWebSocket): void {
  closeQuietly(ws, CLOSE_INTERNAL_ERROR, 'state-lost');
}

/**
 * Answers a client's close frame. Measured under wrangler dev 4.86 with compatibility date
 * 2026-04-26: without this the client never gets our close frame and ends with 1006, although
 * web_socket_auto_reply_to_close is documented as the default from 2026-04-07.
 */
export function finishClose(ws: HibernatableWebSocket, code: number, reason: string): void {
  // 1005 (no code) and 1006 (no close frame) are reported to us but may not be sent.
  closeQuietly(ws, code === 1005 || code === 1006 ? 1000 : code, reason);
}

export function closeQuietly(ws: HibernatableWebSocket, code: number, reason: string): void {
  try {
    ws.close(code, reason);
  } catch {
    // Already closing.
  }
}
