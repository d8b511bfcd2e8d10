/**
 * The dashboard's and metrics' token: read from a request, compared in constant time. Web Crypto
 * only (every runtime has it, workerd too): both strings are hashed with SHA-256 and the digests
 * compared byte by byte without an early exit, so the time taken says nothing about how much of a
 * guess was right, nor about the token's length.
 */
import type { Context } from 'hono';

/** A token shorter than this is refused at start: a guessable token is an open dashboard. */
export const MIN_DASHBOARD_TOKEN_CHARS = 16;

/** The environment variable (or Cloudflare secret) the token is read from. */
export const DASHBOARD_TOKEN_ENV = 'PEER_CONNECT_DASHBOARD_TOKEN';

/** Why a configured token is refused, or null when it is usable. */
export function dashboardTokenProblem(token: string): string | null {
  if (token.length < MIN_DASHBOARD_TOKEN_CHARS) return `the dashboard token must be at least ${MIN_DASHBOARD_TOKEN_CHARS} characters`;
  if (!/^[\x21-\x7e]+$/.test(token)) return 'the dashboard token must be printable ASCII without spaces';
  return null;
}

/**
 * The token a request carries: `Authorization: Bearer <token>` (Prometheus' `authorization`
 * setting, the dashboard's own polling), else `?token=` (the link a site owner opens).
 */
export function requestToken(c: Context): string | null {
  const header = c.req.header('authorization');
  const bearer = header ? /^Bearer\s+(\S+)$/i.exec(header)?.[1] : undefined;
  return bearer ?? c.req.query('token') ?? null;
}

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));
}

/** Whether `given` is `expected`, in time independent of where they differ. */
export async function tokenMatches(given: string | null, expected: string): Promise<boolean> {
  const [a, b] = await Promise.all([digest(given ?? ''), digest(expected)]);
  let diff = given === null ? 1 : 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}
