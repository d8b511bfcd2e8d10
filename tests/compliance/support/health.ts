/** The server's health route, the one view into its state every runtime offers. */
import { isRecord } from '../../../protocol/result.ts';
import type { RuntimeServer } from '../../runtimes/types.ts';

export interface Counts {
  swarms: number;
  peers: number;
  connections: number;
}

/**
 * The signaling counts that cover `swarm`. A sharded runtime (workerd) keeps state per swarm and
 * answers for the shard named by `?swarm=`, if its config lists it (`healthSwarms`); the others
 * ignore the query and count everything.
 */
export async function swarmHealth(server: RuntimeServer, swarm: string): Promise<Counts> {
  const res = await fetch(`${server.healthUrl}?swarm=${encodeURIComponent(swarm)}`);
  if (res.status !== 200) throw new Error(`health answered ${res.status}`);
  const body: unknown = await res.json();
  if (!isRecord(body) || body.ok !== true || ![body.swarms, body.peers, body.connections].every((n) => typeof n === 'number')) {
    throw new Error(`unexpected health body ${JSON.stringify(body)}`);
  }
  return { swarms: Number(body.swarms), peers: Number(body.peers), connections: Number(body.connections) };
}
