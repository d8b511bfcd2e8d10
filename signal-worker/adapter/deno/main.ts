/**
 * Runs the signaling server on Deno:
 *   deno run --allow-net --allow-env signal-worker/adapter/deno/main.ts
 * Environment and output as in ../standalone.ts. The project's package.json makes Deno resolve
 * `hono` from node_modules (run `npm install` first); nothing is fetched.
 */
import { EXIT_WITH_STDIN_ENV, listeningLine, readStandaloneOptions } from '../standalone.ts';
import { denoApi } from './deno-api.ts';
import { startSignalServer } from './index.ts';

const deno = denoApi();
const server = await startSignalServer(readStandaloneOptions((name) => deno.env.get(name)));
console.log(listeningLine(server.origin));

const stop = (): void => {
  // A close that hangs on some client must not keep the process from exiting.
  void Promise.race([server.close(), new Promise((resolve) => setTimeout(resolve, 1000))]).then(() => deno.exit(0));
};
deno.addSignalListener('SIGINT', stop);
deno.addSignalListener('SIGTERM', stop);
if (deno.env.get(EXIT_WITH_STDIN_ENV) === '1') {
  void deno.stdin.readable.pipeTo(new WritableStream()).finally(stop);
}
