/**
 * How a standalone entry on a runtime with Node's `process` (Node, Bun) ends: on SIGINT/SIGTERM,
 * and when stdin closes if the launcher asked for it (so a dead launcher leaves no server behind).
 * Deno has its own signal and stdin APIs (deno/main.ts).
 */
import { EXIT_WITH_STDIN_ENV } from './standalone.ts';

/** A close that hangs on some client must not keep the process from exiting. */
const CLOSE_GRACE_MS = 1000;

export function stopOnProcessSignals(close: () => Promise<void>): void {
  const stop = (): void => {
    void Promise.race([close(), new Promise((resolve) => setTimeout(resolve, CLOSE_GRACE_MS))]).then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  if (process.env[EXIT_WITH_STDIN_ENV] === '1') {
    process.stdin.on('end', stop).on('close', stop).resume();
  }
}
