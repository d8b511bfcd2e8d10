/** Bounded waiting for the compliance cases (and the unit tests of real servers): every wait has a deadline and says what it waited for. */
import type { EventEmitter } from 'node:events';

/** Long enough for a loaded 2-core machine, short enough that a hang fails the case quickly. */
export const WAIT_MS = 5_000;

export function withTimeout<T>(promise: Promise<T>, what: string, ms = WAIT_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Polls `condition` until it holds: a server learns of a client's close a little after the client. */
export async function eventually(condition: () => Promise<boolean>, what: string, ms = WAIT_MS, intervalMs = 20): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`never true within ${ms} ms: ${what}`);
    await sleep(intervalMs);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The next `event` from `emitter` that `accept`s, or a rejection naming what did not happen. */
export function nextEvent<T>(
  emitter: EventEmitter,
  event: string,
  what: string,
  accept: (value: T) => boolean = () => true,
  ms = WAIT_MS,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      emitter.off(event, on);
      reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
    }, ms);
    const on = (value: T): void => {
      if (!accept(value)) return;
      clearTimeout(timer);
      emitter.off(event, on);
      resolve(value);
    };
    emitter.on(event, on);
  });
}
