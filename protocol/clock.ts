/**
 * Time as injected into the parts that wait (the signaling core's idle and sweep timers, the
 * worker's deadlines), so tests drive timers with a fake clock and no real waits.
 */
/** Whatever the runtime's setTimeout returns; only ever handed back to clearTimeout. */
export type TimerHandle = unknown;

export interface Clock {
  now(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The host's timers, as they are (browsers, and anything that must wait for them). */
export const timerClock: Clock = {
  now: () => Date.now(),
  setTimeout: (callback, ms) => globalThis.setTimeout(callback, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as Parameters<typeof globalThis.clearTimeout>[0]),
};

/**
 * The host's timers, unref'd where the runtime supports it (Node, Bun, Deno), for servers: an
 * idle-timeout timer never keeps a process alive on its own.
 */
export const unrefTimerClock: Clock = {
  now: () => Date.now(),
  setTimeout(callback, ms) {
    const handle: unknown = globalThis.setTimeout(callback, ms);
    const unref = (handle as { unref?: () => void } | null)?.unref;
    if (typeof unref === 'function') unref.call(handle);
    return handle;
  },
  clearTimeout(handle) {
    globalThis.clearTimeout(handle as Parameters<typeof globalThis.clearTimeout>[0]);
  },
};
