import type { UploadCapConfig } from '../protocol/bridge-config.ts';

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

/** `--prefetch-budget`: `0` or `off` (never prefetch), else a size (parseSize). */
export function parsePrefetchBudget(value: string): number {
  const v = value.trim().toLowerCase();
  return v === '0' || v === 'off' ? 0 : parseSize(value, 'prefetch-budget');
}

/**
 * `--upload-cap <per page view>/<per day>`: each side a size (parseSize) or empty for no cap on
 * that side; one size alone caps the page view. `50MiB/500MiB`, `/1GiB`, `64MiB`.
 */
export function parseUploadCap(value: string): UploadCapConfig {
  const [page = '', day = '', ...rest] = value.split('/');
  if (rest.length > 0 || (page.trim() === '' && day.trim() === '')) {
    throw new Error(`--upload-cap must be <per page view>/<per day> (e.g. 50MiB/500MiB, or /1GiB), got ${JSON.stringify(value)}`);
  }
  return {
    perPageView: page.trim() === '' ? null : parseSize(page, 'upload-cap'),
    perDay: day.trim() === '' ? null : parseSize(day, 'upload-cap'),
  };
}
