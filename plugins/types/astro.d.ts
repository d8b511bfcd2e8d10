import type { AstroIntegration } from 'astro';
import type { PeerConnectOptions } from './options.d.ts';

export type { PeerConnectOptions };
/** `peer-connect/astro`: after `astro build` (static output only), builds the output folder into a PeerConnect site in place. */
export default function peerConnect(options?: PeerConnectOptions): AstroIntegration;
export { peerConnect };
