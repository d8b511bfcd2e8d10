/**
 * One resolver for both protocols' limits. Each protocol's defaults come from protocol/limits.ts;
 * an override may lower a limit but never raise it past the protocol's value, because clients are
 * built against those values (a raised limit would accept traffic a conforming client never
 * sends, which only helps abusers).
 */
import { fail, ok, type Result } from '../../../protocol/result.ts';

/** A protocol's limits: every field a number. */
export type LimitSet<L> = { readonly [K in keyof L]: number };

export type LimitErrorCode = 'limit-not-positive' | 'limit-raised';

/**
 * `overrides` merged onto `defaults`, or why one of them is refused. `name` ('signal',
 * 'tracker') says whose limit it is in the message.
 */
export function checkLimits<L extends LimitSet<L>>(
  name: string,
  defaults: Readonly<L>,
  overrides: Partial<L> = {},
): Result<L, LimitErrorCode> {
  const limits: Record<string, number> = { ...defaults };
  for (const key of Object.keys(defaults) as Array<keyof L & string>) {
    const value = overrides[key];
    if (value === undefined) continue;
    const max = defaults[key];
    if (!Number.isFinite(value) || value <= 0)
      return fail(`${name} limit ${key} must be a positive number, got ${value}`, 'limit-not-positive');
    if (value > max) return fail(`${name} limit ${key} may be lowered, not raised: ${value} > ${max}`, 'limit-raised');
    limits[key] = value;
  }
  return ok(limits as L);
}

/**
 * `checkLimits` for a hub's constructor. A refused override there is a configuration bug that
 * got past the config decoder (which uses `checkLimits`), so it throws at start-up rather than
 * being clamped silently.
 */
export function resolveLimits<L extends LimitSet<L>>(name: string, defaults: Readonly<L>, overrides: Partial<L> = {}): L {
  const checked = checkLimits(name, defaults, overrides);
  if (!checked.ok) throw new RangeError(checked.error);
  return checked.value;
}
