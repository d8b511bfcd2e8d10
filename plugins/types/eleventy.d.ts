import type { PeerConnectOptions } from './options.d.ts';

export type { PeerConnectOptions };
/** The part of Eleventy's config API the plugin uses (Eleventy ships no types). */
export interface EleventyConfigLike {
  on(
    event: 'eleventy.after',
    handler: (event: {
      directories: { output: string };
      runMode: 'build' | 'watch' | 'serve';
      outputMode: 'fs' | 'json' | 'ndjson';
    }) => Promise<void>,
  ): unknown;
}
/** `peer-connect/eleventy`: `eleventyConfig.addPlugin(peerConnect, options)`; after a build, builds the output folder into a PeerConnect site in place. */
export default function peerConnect(eleventyConfig: EleventyConfigLike, options?: PeerConnectOptions): void;
export { peerConnect };
