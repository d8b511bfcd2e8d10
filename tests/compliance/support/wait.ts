/** Bounded waiting for the compliance cases: every wait has a deadline and says what it waited for. */

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
