/**
 * Whether this page may start P2P by itself, and the visitor's stored opt-out. Pure: the storage
 * is passed in (the bridge passes `localStorage`, the tests a map).
 *
 * `peerConnect.stop()` writes OPT_OUT_KEY into the origin's localStorage; while it is there no
 * page of the origin starts P2P by itself, whatever the build's `--start`; `peerConnect.start()`
 * removes it. A site (or a visitor, in the browser's devtools) can read or clear the key directly.
 */
import type { StartMode } from '../protocol/bridge-config.ts';
import { OPT_OUT_KEY } from '../protocol/first-visit.ts';
import { fail, ok, type Result } from '../protocol/result.ts';

/** The localStorage key of the opt-out: present (any value) = opted out (its one home: protocol/first-visit.ts, the page script reads it too). */
export { OPT_OUT_KEY };
/** The value `stop()` writes: when, as an ISO date (for a person reading the storage). */
export const optOutValue = (now: Date): string => now.toISOString();

/** The part of the Web Storage API used here. */
export interface KeyValueStorage {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/**
 * `storage-unavailable`: no storage in this context (reading `localStorage` threw: cookies blocked,
 * a sandboxed frame); `storage-failed`: the read or write itself threw (quota, private mode).
 */
export type ConsentCode = 'storage-unavailable' | 'storage-failed';

/** Gets the storage; may throw (reading `window.localStorage` does when the browser blocks it). */
export type StorageGetter = () => KeyValueStorage | null;

function open(storage: StorageGetter): Result<KeyValueStorage, ConsentCode> {
  try {
    const s = storage();
    return s ? ok(s) : fail('no localStorage', 'storage-unavailable');
  } catch (error) {
    return fail(`localStorage unavailable: ${String(error)}`, 'storage-unavailable');
  }
}

/** Whether the visitor opted out in this origin. */
export function readOptOut(storage: StorageGetter): Result<boolean, ConsentCode> {
  const s = open(storage);
  if (!s.ok) return s;
  try {
    return ok(s.value.getItem(OPT_OUT_KEY) !== null);
  } catch (error) {
    return fail(`reading the opt-out failed: ${String(error)}`, 'storage-failed');
  }
}

/** Records (`optedOut` true) or clears the opt-out. */
export function writeOptOut(storage: StorageGetter, optedOut: boolean, now = new Date()): Result<void, ConsentCode> {
  const s = open(storage);
  if (!s.ok) return s;
  try {
    if (optedOut) s.value.setItem(OPT_OUT_KEY, optOutValue(now));
    else s.value.removeItem(OPT_OUT_KEY);
    return ok(undefined);
  } catch (error) {
    return fail(`${optedOut ? 'storing' : 'clearing'} the opt-out failed: ${String(error)}`, 'storage-failed');
  }
}

/**
 * What a page does when its bridge runs: `start` P2P now; `wait` for `peerConnect.start()`
 * (`--start manual`, or a start mode the config does not say properly); `opted-out`: the visitor
 * said stop, wait for `start()` too. An opt-out that cannot be read cannot be honoured, so the
 * bridge does not start by itself then either.
 */
export type StartDecision = 'start' | 'wait' | 'opted-out';

export function startDecision(mode: Result<StartMode, string>, optOut: Result<boolean, ConsentCode>): StartDecision {
  if (optOut.ok && optOut.value) return 'opted-out';
  if (!mode.ok || mode.value === 'manual' || !optOut.ok) return 'wait';
  return 'start';
}
