/**
 * `peer-connect/astro`: an Astro integration that, once `astro build` is done (`astro:build:done`),
 * builds the output folder into a PeerConnect site in place (plugins/build-in-place.ts). Static
 * output only: a build with on-demand pages (`output: 'server'`, or any page with
 * `prerender = false`) is refused at `astro:build:start`, because its HTML is made per request by
 * a server the build never sees. Nothing in `astro dev`.
 */
import { fileURLToPath } from 'node:url';
import type { AstroIntegration } from 'astro';
import { buildReport } from '../cli/build-report.ts';
import { siteAndBase } from './base-url.ts';
import { buildInPlace } from './build-in-place.ts';
import { type PeerConnectOptions, toBuildOptions } from './options.ts';

export type { PeerConnectOptions };

const NAME = 'peer-connect/astro';

export const SERVER_OUTPUT_MESSAGE =
  `${NAME} builds static sites only, and this build has on-demand pages (output: 'server', or a page with prerender = false). ` +
  "Use output: 'static' with every page prerendered, or remove the integration.";

/** The integration. Options are checked here, when the config is loaded. */
export default function peerConnect(options?: PeerConnectOptions): AstroIntegration {
  const buildOptions = toBuildOptions(NAME, options);
  let buildOutput: 'static' | 'server' = 'static';
  let baseUrl: string | null = null;
  let project = process.cwd();
  return {
    name: NAME,
    hooks: {
      'astro:config:done': ({ config, buildOutput: output }) => {
        buildOutput = output;
        // `site` + `base` is exactly where the output's root is served.
        baseUrl = siteAndBase(config.site, config.base);
        project = fileURLToPath(config.root);
      },
      'astro:build:start': () => {
        if (buildOutput === 'server') throw new Error(SERVER_OUTPUT_MESSAGE);
      },
      'astro:build:done': async ({ dir, logger }) => {
        const outDir = fileURLToPath(dir);
        const started = Date.now();
        const result = await buildInPlace(outDir, project, { ...buildOptions, baseUrl: buildOptions.baseUrl ?? baseUrl });
        const report = buildReport(result, outDir, Date.now() - started);
        for (const line of report.info) logger.info(line);
        for (const line of report.warnings) logger.warn(line);
      },
    },
  };
}

export { peerConnect };
