/**
 * Runs the signaling server on Bun:
 *   bun run signal-worker/adapter/bun/main.ts
 * Environment and output as in ../standalone.ts.
 */
import { stopOnProcessSignals } from '../process-lifecycle.ts';
import { listeningLine, readStandaloneOptions } from '../standalone.ts';
import { startSignalServer } from './index.ts';

const server = await startSignalServer(readStandaloneOptions((name) => process.env[name]));
console.log(listeningLine(server.origin));

stopOnProcessSignals(() => server.close());
