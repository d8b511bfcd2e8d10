/** The server's health route, the one view into its state every runtime offers. */
import { isRecord } from '../../../protocol/result.ts';
import type { RuntimeServer } from '../../runtimes/types.ts';

export interface Counts {
  swarms: number;
  peers: number;
  connections: number;
}

export interface Health extends Counts {
  tracker: Counts;
}

export async function health(server: RuntimeServer): Promise<Health> {
  const res = await fetch(server.healthUrl);
  if (res.status !== 200) throw new Error(`health answered ${res.status}`);
  const body: unknown = await res.json();
  if (!isCounts(body) || !isRecord(body) || !isCounts(body.tracker)) throw new Error(`unexpected health body ${JSON.stringify(body)}`);
  return { swarms: body.swarms, peers: body.peers, connections: body.connections, tracker: body.tracker };
}

function isCounts(value: unknown): value is Counts {
  return isRecord(value) && [value.swarms, value.peers, value.connections].every((n) => typeof n === 'number');
}
