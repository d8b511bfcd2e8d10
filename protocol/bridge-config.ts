/** What the build bakes into the page bridge. */
export interface BridgeConfig {
  /** WebSocket URL of the signaling server; null = `/peer-connect/signal` on the page's origin. */
  signal: string | null;
  /** Swarm id; null = the page's host. */
  swarm: string | null;
  firstVisit: 'swap' | 'reload' | 'off';
  /** The worker's file name, next to the bridge script (the worker's scope is that folder). */
  workerFile: string;
  /** STUN/TURN servers for WebRTC. Empty = host candidates only (same network, or tests). */
  iceServers: Array<{ urls: string | string[]; username?: string; credential?: string }>;
  /** `auto`: no uploading with data-saver on or on cellular; `always`; `off`. */
  upload: 'auto' | 'always' | 'off';
}

export const WORKER_FILE = 'peer-connect-sw.js';
export const BRIDGE_FILE = 'peer-connect.js';
export const DEFAULT_SIGNAL_PATH = '/peer-connect/signal';
