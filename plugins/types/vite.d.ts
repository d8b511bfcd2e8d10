import type { Plugin } from 'vite';
import type { PeerConnectOptions } from './options.d.ts';

export type { PeerConnectOptions };
/** `peer-connect/vite`: after `vite build`, builds `build.outDir` into a PeerConnect site in place. */
export default function peerConnect(options?: PeerConnectOptions): Plugin;
export { peerConnect };
