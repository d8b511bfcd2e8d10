import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { BridgeConfig } from '../protocol/bridge-config.ts';
import type { WorkerManifest } from '../protocol/manifest.ts';
import type { WorkerConfig } from '../protocol/worker-config.ts';

const here = (p: string): string => fileURLToPath(new URL(p, import.meta.url));

/** Bundles a browser entry into one classic script (service workers and `async` scripts alike). */
async function bundle(entry: string, define: Record<string, string>, minify: boolean, format: 'iife' | 'esm' = 'iife'): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format,
    platform: 'browser',
    target: 'es2020',
    minify,
    legalComments: 'none',
    define: { ...define, global: 'globalThis', 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  });
  const file = result.outputFiles[0];
  if (!file) throw new Error(`esbuild produced nothing for ${entry}`);
  return file.text;
}

/**
 * The worker with its manifest (without the assets: builder/worker-manifest.ts) and its settings
 * inlined: both exactly as trusted as the worker script.
 */
export function bundleWorker(manifest: WorkerManifest, config: WorkerConfig, minify = true): Promise<string> {
  const define = { __PEER_CONNECT_MANIFEST__: JSON.stringify(manifest), __PEER_CONNECT_WORKER_CONFIG__: JSON.stringify(config) };
  return bundle(here('../sw/index.ts'), define, minify);
}

export function bundleBridge(config: BridgeConfig, minify = true): Promise<string> {
  return bundle(here('../page-bridge/index.ts'), { __PEER_CONNECT_CONFIG__: JSON.stringify(config) }, minify);
}

/**
 * The WebTorrent client and our IndexedDB chunk store, as an ES module the bridge imports when a
 * page first needs a torrent. WebTorrent's own browser build is used as shipped (it already
 * carries its polyfills), so this adds our store and glue only.
 */
export function bundleTorrentClient(minify = true): Promise<string> {
  return bundle(here('../page-bridge/torrent/client.ts'), {}, minify, 'esm');
}
