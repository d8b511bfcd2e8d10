/**
 * The few Cloudflare Workers and Durable Object APIs this adapter uses, typed by hand: the
 * project's tsconfig targets Node and the DOM, and @cloudflare/workers-types would replace those
 * globals wholesale. Shapes follow developers.cloudflare.com/durable-objects/api/ (state,
 * storage, alarms, WebSocket hibernation); only what is called here is declared.
 */

/** A server-side WebSocket accepted with `ctx.acceptWebSocket`, as the hibernation handlers get it. */
export interface HibernatableWebSocket {
  send(message: string): void;
  close(code?: number, reason?: string): void;
  /** Structured-clone copy kept across hibernation; at most 2,048 bytes serialized. */
  serializeAttachment(value: unknown): void;
  deserializeAttachment(): unknown;
}

export interface SqlCursor {
  toArray(): Array<Record<string, string | number | null | ArrayBuffer>>;
}

export interface SqlStorage {
  exec(query: string, ...bindings: Array<string | number | null>): SqlCursor;
}

export interface DurableObjectStorage {
  /** Present on SQLite-backed objects (`new_sqlite_classes`); synchronous. */
  sql: SqlStorage;
  setAlarm(scheduledTimeMs: number): Promise<void>;
  deleteAlarm(): Promise<void>;
}

export interface DurableObjectState {
  storage: DurableObjectStorage;
  acceptWebSocket(ws: HibernatableWebSocket, tags?: string[]): void;
  getWebSockets(tag?: string): HibernatableWebSocket[];
  setWebSocketAutoResponse(pair?: WebSocketRequestResponsePair): void;
  getWebSocketAutoResponseTimestamp(ws: HibernatableWebSocket): Date | null;
}

/** Opaque: made by the runtime's `WebSocketRequestResponsePair` constructor. */
export interface WebSocketRequestResponsePair {
  readonly request: string;
  readonly response: string;
}

export interface DurableObjectStub {
  fetch(request: Request): Promise<Response>;
}

export interface DurableObjectNamespace {
  idFromName(name: string): unknown;
  get(id: unknown): DurableObjectStub;
}

/** The globals workerd adds, reached through `workersGlobals()` so nothing else declares them. */
interface WorkersGlobals {
  WebSocketPair: new () => { 0: WebSocket; 1: HibernatableWebSocket };
  WebSocketRequestResponsePair: new (request: string, response: string) => WebSocketRequestResponsePair;
}

export function workersGlobals(): WorkersGlobals {
  return globalThis as unknown as WorkersGlobals;
}

/** `new Response(null, { status: 101, webSocket })`: the Workers way to finish an upgrade. */
export function upgradeResponse(client: WebSocket): Response {
  return new Response(null, { status: 101, webSocket: client } as ResponseInit);
}
