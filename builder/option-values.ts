/**
 * Checking the build's option values, shared by `peer-connect build` (its flags are strings) and
 * the site-generator plugins (plugins/), so each rule and its message has one home. Messages name
 * the CLI flag; the plugins' options carry the same names in camelCase (README "Options").
 */

/** `value` if it is one of `allowed`, undefined if absent; else throws `--<name> must be one of ...`. */
export function oneOf<T extends string>(value: unknown, allowed: readonly T[], name: string): T | undefined {
  if (value === undefined) return undefined;
  const found = allowed.find((a) => a === value);
  if (found !== undefined) return found;
  throw new Error(`--${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kib: 1024, m: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gib: 1024 ** 3 };

/**
 * A byte count: `8388608`, `8MiB`, `8M`, `512KiB`, `1.5GiB` (binary units, case-insensitive).
 * Throws `--<name> must be a size in bytes ...` for anything else or for less than 1 byte.
 */
export function parseSize(value: string, name: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  const unit = match ? SIZE_UNITS[(match[2] ?? '').toLowerCase()] : undefined;
  const bytes = match && unit ? Number(match[1]) * unit : NaN;
  if (!Number.isInteger(bytes) || bytes < 1) {
    throw new Error(
      `--${name} must be a size in bytes, or with KiB, MiB or GiB (e.g. 8MiB), at least 1 byte, got ${JSON.stringify(value)}`,
    );
  }
  return bytes;
}
