/**
 * Which address a signaling socket comes from, for the per-address caps. By default the address
 * the runtime saw (the TCP peer); behind a reverse proxy that is the proxy's, so the operator can
 * name the header the proxy writes, and only then is it read: a header from an untrusted client
 * is whatever the client wants it to be. On Cloudflare the platform sets `CF-Connecting-IP` and
 * no client can, so the Durable Object reads it whatever the config says.
 */
import type { Context } from 'hono';

export const TRUST_PROXY_VALUES = ['none', 'x-forwarded-for', 'cf-connecting-ip'] as const;
/**
 * `none` (default): the runtime's peer address. `x-forwarded-for`: the last entry of that header
 * (the hop our trusted proxy appended). `cf-connecting-ip`: that header, as Cloudflare sets it.
 */
export type TrustProxy = (typeof TRUST_PROXY_VALUES)[number];

/** The runtime's peer address of a request (hono's getConnInfo per adapter); null when unknown. */
export type RuntimeAddress = (c: Context) => string | null;

/** The client's address under `trust`; null when neither the header nor the runtime says. */
export function clientAddress(c: Context, trust: TrustProxy, runtime: RuntimeAddress | undefined): string | null {
  if (trust === 'x-forwarded-for') return lastForwardedHop(c.req.header('x-forwarded-for'));
  if (trust === 'cf-connecting-ip') return nonEmpty(c.req.header('cf-connecting-ip'));
  try {
    return runtime ? nonEmpty(runtime(c) ?? undefined) : null;
  } catch {
    // A runtime that cannot say (no socket info on this request): no per-address cap for it.
    return null;
  }
}

/** The last hop of an `X-Forwarded-For` list: the one the nearest (trusted) proxy appended. */
export function lastForwardedHop(header: string | undefined): string | null {
  if (header === undefined) return null;
  const hops = header.split(',');
  return nonEmpty(hops[hops.length - 1]?.trim());
}

function nonEmpty(value: string | undefined): string | null {
  return value === undefined || value === '' ? null : value;
}
