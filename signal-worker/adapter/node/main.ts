/**
 * Runs the signaling server on Node, under the same contract as the Deno and Bun entries:
 *   node --import tsx signal-worker/adapter/node/main.ts
 * Environment and output as in ../standalone.ts. (`peer-connect signal` is the CLI for people;
 * this entry is for launchers that treat every runtime alike.)
 */
import { stopOnProcessSignals } from '../process-lifecycle.ts';
import { listeningLine, readStandaloneOptions } from '../standalone.ts';
import { startSignalServer } from './index.ts';

const server = await startSignalServer(readStandaloneOptions((name) => process.env[name]));
console.log(listeningLine(server.origin));

stopOnProcessSignals(() => server.close());
