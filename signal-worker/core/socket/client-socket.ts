/**
 * The neutral socket contract between a runtime and the core, for both protocols (as hono's
 * `src/helper/websocket/` is for its adapters): what the core needs from a runtime's WebSocket,
 * and what the runtime drives on the core's side of it.
 */

/** The server's end of one client's WebSocket, as the core uses it. */
export interface ClientSocket {
  send(text: string): void;
  close(code: number, reason: string): void;
  /**
   * When the runtime last answered a frame on this socket by itself, never showing it to the
   * core (Cloudflare's WebSocket auto-response to `ping`); it keeps the connection from idling out.
   */
  lastHeardAt?(): number | null;
  /**
   * Bytes sent on this socket that the runtime still holds, not yet written to the network (the
   * client is not reading, or reads slowly). Absent where the runtime does not say (workerd): then
   * the core cannot bound that queue and relies on the runtime's own.
   */
  bufferedAmount?(): number;
}

/** One accepted socket on the core's side, whichever protocol it speaks. */
export interface ClientConnection {
  readonly isClosed: boolean;
  /** One frame from the client: a string for a text frame, anything else is a binary frame. */
  receive(data: unknown): void;
  /** The runtime reports the socket closed (or errored): forget everything it held. */
  socketClosed(): void;
  /** Server shutdown: close without blaming the client. */
  shutdown(): void;
}

/** RFC 6455 close codes the core uses. */
export const CLOSE_GOING_AWAY = 1001;
export const CLOSE_POLICY_VIOLATION = 1008;
export const CLOSE_INTERNAL_ERROR = 1011;
