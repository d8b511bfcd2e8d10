/**
 * The few parts of Deno's global API the adapter uses, typed here because the project is
 * type-checked with Node's types only (no Deno lib in tsconfig). Mirrors lib.deno.ns.d.ts.
 */
export interface DenoNetAddr {
  hostname: string;
  port: number;
}

export interface DenoServeOptions {
  hostname: string;
  port: number;
  onListen?: (addr: DenoNetAddr) => void;
}

/** The second argument of a `Deno.serve` handler: who is on the other end. */
export interface DenoServeHandlerInfo {
  remoteAddr: DenoNetAddr & { transport: 'tcp' | 'udp' };
}

export interface DenoHttpServer {
  readonly addr: DenoNetAddr;
  readonly finished: Promise<void>;
  /** Stops accepting and waits for in-flight requests (not for upgraded WebSockets). */
  shutdown(): Promise<void>;
}

export interface DenoApi {
  serve(options: DenoServeOptions, handler: (request: Request, info: DenoServeHandlerInfo) => Response | Promise<Response>): DenoHttpServer;
  env: { get(name: string): string | undefined };
  stdin: { readable: ReadableStream<Uint8Array> };
  addSignalListener(signal: 'SIGINT' | 'SIGTERM', handler: () => void): void;
  exit(code?: number): never;
}

/** Deno's global, or a clear error when this module is loaded anywhere else. */
export function denoApi(): DenoApi {
  const api = (globalThis as { Deno?: DenoApi }).Deno;
  if (!api) throw new Error('signal-worker/adapter/deno runs on Deno only');
  return api;
}
