/**
 * Runs the signaling server on Bun:
 *   bun run signal-worker/adapter/bun/main.ts
 * Environment and output as in ../standalone.ts.
 */
import { EXIT_WITH_STDIN_ENV, listeningLine, readStandaloneOptions } from '../standalone.ts';
import { startBunSignalServer } from './index.ts';

const server = await startBunSignalServer(readStandaloneOptions((name) => process.env[name]));
console.log(listeningLine(server.origin));

const stop = (): void => {
  // A close that hangs on some client must not keep the process from exiting.
  void Promise.race([server.close(), new Promise((resolve) => setTimeout(resolve, 1000))]).then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
if (process.env[EXIT_WITH_STDIN_ENV] === '1') {
  process.stdin.on('end', stop).on('close', stop).resume();
}
