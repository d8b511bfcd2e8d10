/** A tracker socket's stored row (`TrackerSnapshot.memberships`), checked on the way back in. */
import { isRecord, parseJson } from '../../../protocol/result.ts';
import { isBinaryId } from '../../../protocol/tracker-messages.ts';
import type { TrackerMembership } from '../../core/tracker/tracker-index.ts';

export function decodeMembershipRow(text: string): TrackerMembership[] | null {
  const parsed = parseJson(text);
  if (!parsed.ok || !Array.isArray(parsed.value)) return null;
  const out: TrackerMembership[] = [];
  for (const m of parsed.value) {
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
