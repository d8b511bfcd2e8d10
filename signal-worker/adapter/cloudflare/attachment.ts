/**
 * What every socket carries in its attachment across hibernation: the key of its storage row,
 * its rate-limit bucket and when it was last heard. Serialized after each frame it sends (cheap:
 * attachments live in memory, not storage) and checked field by field on wake, since a
 * deploy may meet attachments an older version wrote.
 */
import { isRecord } from '../../../protocol/result.ts';
import type { TokenBucketState } from '../../core/socket/token-bucket.ts';

export interface SocketAttachment {
  key: string;
  lastSeen: number;
  bucket: TokenBucketState;
  /** Signaling only: the swarm named by the socket's URL (`?swarm=`), if any. */
  urlSwarm?: string;
  /** Signaling only: the socket's peer joined, so its row must exist. */
  joined?: boolean;
  /** The client's address (CF-Connecting-IP), for the per-address caps after a wake. */
  address?: string;
}

export function decodeAttachment(value: unknown): SocketAttachment | null {
  if (!isRecord(value) || typeof value.key !== 'string' || typeof value.lastSeen !== 'number') return null;
  const bucket = value.bucket;
  if (!isRecord(bucket) || typeof bucket.tokens !== 'number' || typeof bucket.last !== 'number') return null;
  const out: SocketAttachment = { key: value.key, lastSeen: value.lastSeen, bucket: { tokens: bucket.tokens, last: bucket.last } };
  if (typeof value.urlSwarm === 'string') out.urlSwarm = value.urlSwarm;
  if (value.joined === true) out.joined = true;
  // An IPv6 address is at most 45 characters; anything longer is not one of ours.
  if (typeof value.address === 'string' && value.address.length <= 64) out.address = value.address;
  return out;
}
