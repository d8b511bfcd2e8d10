/**
 * `peer-connect/eleventy`: an Eleventy plugin that, once a build has written its output
 * (`eleventy.after`), builds the output folder (`directories.output`, `_site` by default) into a
 * PeerConnect site in place (plugins/build-in-place.ts). Only for a build that writes files
 * (`runMode: 'build'`, `outputMode: 'fs'`): nothing with `--serve` or `--watch` (a development
 * server; a worker registered there would outlive the session) or `--to=json`.
 * The project folder is the working folder (Eleventy resolves its own paths against it).
 * Eleventy's `pathPrefix` needs no mapping: the build writes relative references only.
 */
import { resolve } from 'node:path';
import { buildReport } from '../cli/build-report.ts';
import { buildInPlace } from './build-in-place.ts';
import { type PeerConnectOptions, toBuildOptions } from './options.ts';

export type { PeerConnectOptions };

const NAME = 'peer-connect/eleventy';

/** What Eleventy 3 passes to `eleventy.after` that we read (Eleventy ships no types of its own). */
export interface EleventyAfterEvent {
  /** Normalised folders; `output` as configured, relative to the working folder (`./_site/`). */
  directories: { output: string };
  runMode: 'build' | 'watch' | 'serve';
  outputMode: 'fs' | 'json' | 'ndjson';
}

/** The part of Eleventy's config API the plugin uses. */
export interface EleventyConfigLike {
  on(event: 'eleventy.after', handler: (event: EleventyAfterEvent) => Promise<void>): unknown;
}

/** The plugin: `eleventyConfig.addPlugin(peerConnect, options)`. Options are checked when the config is loaded. */
export default function peerConnect(eleventyConfig: EleventyConfigLike, options?: PeerConnectOptions): void {
  const buildOptions = toBuildOptions(NAME, options);
  eleventyConfig.on('eleventy.after', async ({ directories, runMode, outputMode }) => {
    if (runMode !== 'build' || outputMode !== 'fs') return;
    const started = Date.now();
    const result = await buildInPlace(resolve(directories.output), process.cwd(), buildOptions);
    const report = buildReport(result, directories.output, Date.now() - started);
    for (const line of report.info) console.log(`[${NAME}] ${line}`);
    for (const line of report.warnings) console.warn(`[${NAME}] ${line}`);
  });
}

export { peerConnect };
