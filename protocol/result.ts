/**
 * Errors are values at boundaries: decoders (and the signaling server's core) return one of these
 * instead of throwing. `error` says what went wrong to a person (a log line, a message on the
 * wire). Where a caller acts on which failure it was, the failure also carries a `code` from the
 * caller's own list (`C`): `Result<T>` has none, `Result<T, C>` always has one.
 */
export type Result<T, C extends string = never> = Success<T> | ([C] extends [never] ? { ok: false; error: string } : Failure<C>);

export interface Success<T> {
  ok: true;
  value: T;
}

/** A failure with a code. */
export interface Failure<C extends string = string> {
  ok: false;
  error: string;
  code: C;
}

export const ok = <T>(value: T): Success<T> => ({ ok: true, value });

/** `fail(error)`: a failure without a code, as decoders return; `fail(error, code)`: with one. */
export function fail<T = never>(error: string): Result<T>;
export function fail<C extends string>(error: string, code: C): Failure<C>;
export function fail(error: string, code?: string): { ok: false; error: string; code?: string } {
  return code === undefined ? { ok: false, error } : { ok: false, error, code };
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** JSON.parse that returns a Result. */
export function parseJson(text: string): Result<unknown> {
  try {
    return ok(JSON.parse(text) as unknown);
  } catch {
    return fail('not JSON');
  }
}
