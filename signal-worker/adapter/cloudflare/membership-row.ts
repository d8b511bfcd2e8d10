/**
 * A tracker socket's stored row: its memberships (`TrackerSnapshot.memberships`) and its
 * new-peer-id bucket (`TrackerSnapshot.newPeerIds`), checked on the way back in. A row written
 * before the bucket was stored is a bare list of memberships; it is still read, with no bucket
 * (the connection then starts with a full one).
 */
import { isRecord, parseJson } from '../../../protocol/result.ts';
import { isBinaryId } from '../../../protocol/tracker-messages.ts';
import type { TokenBucketState } from '../../core/socket/token-bucket.ts';
import type { TrackerSnapshot } from '../../core/tracker/tracker-connection.ts';
import type { TrackerMembership } from '../../core/tracker/tracker-index.ts';

/** What a row holds: the part of a snapshot that is not in the socket's attachment. */
export type MembershipRow = Pick<TrackerSnapshot, 'memberships' | 'newPeerIds'>;

export function encodeMembershipRow(row: MembershipRow): string {
  return JSON.stringify(row);
}

export function decodeMembershipRow(text: string): MembershipRow | null {
  const parsed = parseJson(text);
  if (!parsed.ok) return null;
  const value = parsed.value;
  if (Array.isArray(value)) {
    const memberships = decodeMemberships(value);
    return memberships && { memberships };
  }
  if (!isRecord(value) || !Array.isArray(value.memberships)) return null;
  const memberships = decodeMemberships(value.memberships);
  if (!memberships) return null;
  if (value.newPeerIds === undefined) return { memberships };
  const newPeerIds = decodeBucket(value.newPeerIds);
  return newPeerIds && { memberships, newPeerIds };
}

function decodeMemberships(list: unknown[]): TrackerMembership[] | null {
  const out: TrackerMembership[] = [];
  for (const m of list) {
    if (
      !isRecord(m) ||
      !isBinaryId(m.infoHash) ||
      !isBinaryId(m.peerId) ||
      typeof m.complete !== 'boolean' ||
      typeof m.lastSeen !== 'number'
    )
      return null;
    out.push({ infoHash: m.infoHash, peerId: m.peerId, complete: m.complete, lastSeen: m.lastSeen });
  }
  return out;
}

function decodeBucket(value: unknown): TokenBucketState | null {
  if (!isRecord(value) || typeof value.tokens !== 'number' || typeof value.last !== 'number') return null;
  return { tokens: value.tokens, last: value.last };
}
