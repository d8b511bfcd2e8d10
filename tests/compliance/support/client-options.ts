/** How the suite's test clients open a WebSocket: an Origin header, and a loopback address to come from. */
import type WebSocket from 'ws';

/**
 * `origin`: the Origin header (none when absent); `localAddress`: a 127.x.y.z address to connect
 * from (all of 127/8 is loopback), so the server sees another client address.
 */
export function clientOptions(origin?: string, localAddress?: string): WebSocket.ClientOptions {
  const options: WebSocket.ClientOptions = {};
  if (origin !== undefined) options.origin = origin;
  if (localAddress !== undefined) options.localAddress = localAddress;
  return options;
}
