/** The page API (`window.peerConnect`) as the tests see it. */
import type { PeerConnectStats } from '../../../page-bridge/stats.ts';

/** The bridge's counters: the product's own type, so a renamed counter breaks the tests' build. */
export type { PeerConnectStats };

/** What the tests read from `window.peerConnect`; declared once so page functions stay typed. */
export interface PeerConnectApi {
  ready: Promise<unknown>;
  stats(): PeerConnectStats;
}
export type PcWindow = Window & { peerConnect?: PeerConnectApi };
