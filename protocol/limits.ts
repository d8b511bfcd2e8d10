/**
 * Every limit PeerConnect enforces, in one place, with the reason for its value.
 * The browser parts and the signaling server import these; options may lower them, never raise
 * them past what the protocol allows.
 *
 * Split by area under protocol/limits/; every part imports from this file, the one home.
 */

export * from './limits/links.ts';
export * from './limits/pieces.ts';
export * from './limits/prefetch.ts';
export * from './limits/signaling.ts';
export * from './limits/steering.ts';
export * from './limits/torrent.ts';
export * from './limits/tracker.ts';
export * from './limits/worker.ts';
