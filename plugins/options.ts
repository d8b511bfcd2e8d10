/**
 * The plugins' options: `peer-connect build`'s flags, one for one, named as `BuildOptions` names
 * them (camelCase), with `BuildOptions`' docs and the build's own checks (build.ts,
 * builder/option-values.ts), so nothing here restates a rule. Sizes also take the CLI's strings
 * (`'8MiB'`).
 */
import type { BuildOptions } from '../build.ts';
import { parsePrefetchBudget, parseSize, parseUploadCap } from '../builder/option-values.ts';
import type { UploadCapConfig } from '../protocol/bridge-config.ts';

type SizeKey = 'torrentMinSize' | 'torrentQuota' | 'storeQuota';

/** What a plugin accepts: every build option but the folders (the framework's) and `pieceSize` (no flag). */
export type PeerConnectOptions = Omit<BuildOptions, 'siteDir' | 'outDir' | 'pieceSize' | SizeKey | 'uploadCap' | 'prefetchBudget'> & {
  /** See BuildOptions: a number of bytes, or a size as the CLI takes it (`'8MiB'`, `'512KiB'`). */
  [K in SizeKey]?: number | string;
} & {
  /** See BuildOptions: `{perPageView, perDay}` in bytes, or the CLI's string (`'50MiB/500MiB'`). */
  uploadCap?: UploadCapConfig | string;
  /** See BuildOptions: bytes, or the CLI's string (`'8MiB'`, `'off'`). */
  prefetchBudget?: number | string;
};

/** Each option's CLI flag (cli/main.ts BUILD_FLAGS; tests/unit/plugins.test.ts holds them equal). */
export const OPTION_FLAGS = {
  signal: 'signal',
  swarm: 'swarm',
  firstVisit: 'first-visit',
  iceServers: 'stun',
  upload: 'upload',
  uploadCap: 'upload-cap',
  start: 'start',
  minify: 'no-minify',
  torrents: 'torrents',
  torrentMinSize: 'torrent-min-size',
  torrentQuota: 'torrent-quota',
  storeQuota: 'store-quota',
  prefetchBudget: 'prefetch-budget',
  tracker: 'tracker',
  baseUrl: 'base-url',
  exclude: 'exclude',
  siteWorker: 'site-worker',
  lcpFromOrigin: 'lcp-from-origin',
} as const satisfies Record<keyof PeerConnectOptions, string>;

const isOptionName = (key: string): key is keyof PeerConnectOptions => Object.hasOwn(OPTION_FLAGS, key);

/**
 * A plugin's options as build options (without the folders), sizes parsed. Throws, naming the
 * plugin, for options that are not an object, an unknown option (a typo would otherwise be
 * ignored without a word: configs are plain JS) or a size the CLI would refuse; every other value
 * is checked by `buildSite` itself.
 */
export function toBuildOptions(plugin: string, options: PeerConnectOptions | undefined): Omit<BuildOptions, 'siteDir' | 'outDir'> {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) throw new Error(`${plugin}: options must be an object`);
  const unknown = Object.keys(options).filter((key) => !isOptionName(key));
  if (unknown.length > 0) {
    const names = unknown.map((k) => JSON.stringify(k)).join(', ');
    throw new Error(`${plugin}: unknown option ${names}; the options are ${Object.keys(OPTION_FLAGS).join(', ')}`);
  }
  const { torrentMinSize, torrentQuota, storeQuota, uploadCap, prefetchBudget, ...rest } = options;
  return {
    ...rest,
    ...(prefetchBudget === undefined
      ? {}
      : { prefetchBudget: typeof prefetchBudget === 'string' ? parsePrefetchBudget(prefetchBudget) : prefetchBudget }),
    ...(uploadCap === undefined ? {} : { uploadCap: typeof uploadCap === 'string' ? parseUploadCap(uploadCap) : uploadCap }),
    ...size('torrentMinSize', torrentMinSize),
    ...size('torrentQuota', torrentQuota),
    ...size('storeQuota', storeQuota),
  };
}

function size(key: SizeKey, value: number | string | undefined): Partial<Record<SizeKey, number>> {
  if (value === undefined) return {};
  return { [key]: typeof value === 'string' ? parseSize(value, OPTION_FLAGS[key]) : value };
}
