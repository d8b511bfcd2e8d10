/**
 * The few parts of Bun's global API the adapter uses, typed here because the project is
 * type-checked with Node's types only (no bun-types). Mirrors bun-types' Serve options.
 */
import type { BunWebSocketData, BunWebSocketHandler } from 'hono/bun';

export interface BunServer {
  /** The bound port (the real one when 0 was asked for). */
  readonly port: number;
  /** `true` closes open connections (WebSockets included) instead of waiting for them. */
  stop(closeActiveConnections?: boolean): Promise<void>;
}

export interface BunServeOptions {
  hostname: string;
  port: number;
  fetch(request: Request, server: BunServer): Response | Promise<Response>;
  websocket: BunWebSocketHandler<BunWebSocketData> & {
    /** Largest incoming message in bytes; past it Bun closes the socket with 1009 unread. */
    maxPayloadLength?: number;
  };
}

export interface BunApi {
  serve(options: BunServeOptions): BunServer;
}

/** Bun's global, or a clear error when this module is loaded anywhere else. */
export function bunApi(): BunApi {
  const api = (globalThis as { Bun?: BunApi }).Bun;
  if (!api) throw new Error('signal-worker/adapter/bun runs on Bun only');
  return api;
}
