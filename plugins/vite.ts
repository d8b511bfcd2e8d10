/**
 * `peer-connect/vite`: after `vite build` has written the bundle, builds the output folder
 * (`build.outDir`) into a PeerConnect site in place (plugins/build-in-place.ts). Nothing in
 * `vite dev` or `vite preview` (`apply: 'build'`), nor for a build that is not a site: an SSR
 * bundle, library mode, or `build.write: false`.
 */
import { resolve } from 'node:path';
import type { Plugin } from 'vite';
import { buildReport } from '../cli/build-report.ts';
import { absoluteBase } from './base-url.ts';
import { buildInPlace } from './build-in-place.ts';
import { type PeerConnectOptions, toBuildOptions } from './options.ts';

export type { PeerConnectOptions };

const NAME = 'peer-connect/vite';

/** The plugin. Options are checked here, when the config is loaded, so a typo fails before Vite bundles anything. */
export default function peerConnect(options?: PeerConnectOptions): Plugin {
  const buildOptions = toBuildOptions(NAME, options);
  return {
    name: NAME,
    apply: 'build',
    // After every other plugin's closeBundle (a plugin may still write files into the output).
    enforce: 'post',
    closeBundle: {
      order: 'post',
      sequential: true,
      async handler(error?: Error) {
        if (error) return;
        // Per environment (Vite 6+): an app built with `vite build --app` has a client and an SSR one.
        const { config } = this.environment;
        const { build } = config;
        if (config.consumer !== 'client' || build.ssr || build.lib || !build.write) return;
        const outDir = resolve(config.root, build.outDir);
        const baseUrl = buildOptions.baseUrl ?? absoluteBase(config.base);
        const started = Date.now();
        const result = await buildInPlace(outDir, config.root, { ...buildOptions, baseUrl });
        const report = buildReport(result, build.outDir, Date.now() - started);
        for (const line of report.info) config.logger.info(`[peer-connect] ${line}`);
        for (const line of report.warnings) config.logger.warn(`[peer-connect] ${line}`);
      },
    },
  };
}

export { peerConnect };
