/**
 * The middleware in front of every route of the site server (files, health, the WebSocket
 * upgrades): the Host check of host-policy.ts, and `X-Content-Type-Options: nosniff` on every
 * response, so a browser never runs an uploaded `.txt` or `.json` as a script or a page because
 * its bytes look like one (Fetch standard, "X-Content-Type-Options" header).
 */
import type { MiddlewareHandler } from 'hono';
import { refusedHostText } from './host-policy.ts';

const NOSNIFF = { 'X-Content-Type-Options': 'nosniff' } as const;

/** `hostAllowed` is createHostCheck's predicate; a refused request gets 421 (RFC 9110 §15.5.20). */
export function siteGuard(hostAllowed: (host: string | undefined) => boolean): MiddlewareHandler {
  return async (c, next) => {
    const host = c.req.header('host');
    if (!hostAllowed(host)) return c.text(refusedHostText(host), 421, NOSNIFF);
    await next();
    // A new Response rather than c.res.headers.set(): @hono/node-server 1.19 makes a HEAD response
    // from the init the GET response was created with, which misses headers set on it later.
    const res = c.res;
    const headers = new Headers(res.headers);
    for (const [name, value] of Object.entries(NOSNIFF)) headers.set(name, value);
    c.res = undefined; // else hono merges the old response's headers into the new one
    c.res = new Response(res.body, { status: res.status, statusText: res.statusText, headers });
  };
}
