/** A joined peer's stored row (`SignalSnapshot.peer`), checked on the way back in. */
import { CONN_ID_PATTERN, HASH_PATTERN, PEER_ID_PATTERN, SWARM_ID_PATTERN } from '../../../protocol/limits.ts';
import { isRecord, parseJson } from '../../../protocol/result.ts';
import type { ParkedOffer } from '../../../protocol/signal-messages.ts';
import type { SignalSnapshot } from '../../core/signal/signal-connection.ts';

export type PeerRow = NonNullable<SignalSnapshot['peer']>;

export function decodePeerRow(text: string): PeerRow | null {
  const parsed = parseJson(text);
  if (!parsed.ok) return null;
  const value = parsed.value;
  if (!isRecord(value) || typeof value.swarm !== 'string' || !SWARM_ID_PATTERN.test(value.swarm)) return null;
  if (typeof value.peerId !== 'string' || !PEER_ID_PATTERN.test(value.peerId)) return null;
  if (!Array.isArray(value.have) || !value.have.every((h): h is string => typeof h === 'string' && HASH_PATTERN.test(h))) return null;
  if (!Array.isArray(value.offers) || !value.offers.every(isOffer)) return null;
  return { swarm: value.swarm, peerId: value.peerId, have: value.have, offers: value.offers };
}

function isOffer(o: unknown): o is ParkedOffer {
  return (
    isRecord(o) &&
    typeof o.connId === 'string' &&
    CONN_ID_PATTERN.test(o.connId) &&
    isRecord(o.sdp) &&
    o.sdp.type === 'offer' &&
    typeof o.sdp.sdp === 'string'
  );
}
