/**
 * Runs the signaling server on Node, under the same contract as the Deno and Bun entries:
 *   node --import tsx signal-worker/adapter/node/main.ts
 * Environment and output as in ../standalone.ts. (`peer-connect signal` is the CLI for people;
 * this entry is for launchers that treat every runtime alike.)
 */
import { EXIT_WITH_STDIN_ENV, listeningLine, readStandaloneOptions } from '../standalone.ts';
import { startSignalServer } from './index.ts';

const options = readStandaloneOptions((name) => process.env[name]);
const server = await startSignalServer(options);
console.log(listeningLine(`http://${options.host}:${server.port}`));

const stop = (): void => {
  // A close that hangs on some client must not keep the process from exiting.
  void Promise.race([server.close(), new Promise((resolve) => setTimeout(resolve, 1000))]).then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
if (process.env[EXIT_WITH_STDIN_ENV] === '1') {
  process.stdin.on('end', stop).on('close', stop).resume();
}
