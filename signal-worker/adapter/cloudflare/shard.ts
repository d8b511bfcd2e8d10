/**
 * Which Durable Object a request belongs to. The Worker must pick the object before any message
 * is read, so the swarm (signaling) or site (tracker) comes from the URL: `?swarm=<id>`. A URL
 * without one goes to one shared object per route, so clients that predate sharding still work
 * (unsharded, within one object's limits). `*` cannot be a swarm id, so it cannot collide.
 */
import { SWARM_ID_PATTERN } from '../../../protocol/limits.ts';
import { fail, ok, type Result } from '../../../protocol/result.ts';

export const UNSHARDED = '*';

/** The object name for a request URL, or why the URL is refused. */
export function shardOf(url: URL): Result<string> {
  const swarm = url.searchParams.get('swarm');
  if (swarm === null) return ok(UNSHARDED);
  if (!SWARM_ID_PATTERN.test(swarm)) return fail(`?swarm= must match ${SWARM_ID_PATTERN.source}`);
  return ok(swarm);
}
