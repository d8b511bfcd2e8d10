/**
 * The site-generator plugins without a browser: their options are the CLI's flags one for one
 * and checked as the CLI checks them; the in-place build leaves the framework's output exactly as
 * it was when any step fails; each plugin runs only for a build that writes a static site.
 * The plugins on real projects, visited by browsers, are tests/e2e/plugins-*.test.ts.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type InlineConfig, build as viteBuild } from 'vite';
import { buildSite } from '../../build.ts';
import { BUILD_FLAGS } from '../../cli/main.ts';
import { default as astroPlugin, SERVER_OUTPUT_MESSAGE } from '../../plugins/astro.ts';
import { absoluteBase, siteAndBase } from '../../plugins/base-url.ts';
import { buildInPlace, type InPlaceDeps } from '../../plugins/build-in-place.ts';
import eleventyPlugin, { type EleventyAfterEvent } from '../../plugins/eleventy.ts';
import { OPTION_FLAGS, type PeerConnectOptions, toBuildOptions } from '../../plugins/options.ts';
import type * as PublicAstro from '../../plugins/types/astro.d.ts';
import type * as PublicEleventy from '../../plugins/types/eleventy.d.ts';
import type { PeerConnectOptions as PublicOptions } from '../../plugins/types/options.d.ts';
import type * as PublicVite from '../../plugins/types/vite.d.ts';
import vitePlugin from '../../plugins/vite.ts';
import { linkNodeModules, REPO as REPO_ROOT } from '../e2e/harness/framework-projects.ts';
import { writeFiles } from './build-helpers.ts';

/** True when each type is assignable to the other: the declared public types match the code's. */
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
// A drift between plugins/types/ (what users' TypeScript sees) and the code fails `tsc`, here.
const publicTypesMatch: [
  Same<PublicOptions, PeerConnectOptions>,
  Same<typeof PublicVite.default, typeof vitePlugin>,
  Same<typeof PublicAstro.default, typeof astroPlugin>,
  Same<typeof PublicEleventy.default, typeof eleventyPlugin>,
] = [true, true, true, true];

const SITE: Array<[string, string | Buffer]> = [
  ['index.html', '<!doctype html><title>t</title><img src="img/a.png">'],
  ['img/a.png', randomBytes(70_000)],
];

/** Every file under `dir` with its bytes, as a sorted list: the folder's whole state. */
async function snapshot(dir: string): Promise<Array<[string, string]>> {
  const out: Array<[string, string]> = [];
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) {
      const path = join(entry.parentPath, entry.name);
      out.push([path.slice(dir.length + 1), (await readFile(path)).toString('base64')]);
    }
  }
  return out.sort(([a], [b]) => a.localeCompare(b));
}

describe('plugin options', () => {
  it('are the CLI build flags one for one (but --out: the framework says where)', () => {
    const cli = Object.keys(BUILD_FLAGS).filter((f) => f !== 'out');
    assert.deepEqual([...Object.values(OPTION_FLAGS)].sort(), cli.sort());
  });

  it('pass through by name, sizes given as the CLI takes them or as numbers', () => {
    assert.deepEqual(toBuildOptions('p', undefined), {});
    assert.deepEqual(
      toBuildOptions('p', {
        signal: 'wss://s.example/peer-connect/signal',
        firstVisit: 'swap',
        torrentMinSize: '8MiB',
        storeQuota: 1024,
        exclude: ['a/**'],
      }),
      {
        signal: 'wss://s.example/peer-connect/signal',
        firstVisit: 'swap',
        torrentMinSize: 8 * 1024 * 1024,
        storeQuota: 1024,
        exclude: ['a/**'],
      },
    );
  });

  it('refuse an unknown option (a typo), naming the plugin and the known ones', () => {
    assert.throws(
      () => toBuildOptions('peer-connect/vite', { firstvisit: 'swap' } as never),
      /peer-connect\/vite: unknown option "firstvisit"; the options are signal, .*firstVisit/,
    );
    assert.throws(() => toBuildOptions('peer-connect/vite', 'swap' as never), /peer-connect\/vite: options must be an object/);
  });

  it("refuse a bad size with the CLI's message", () => {
    assert.throws(() => toBuildOptions('p', { torrentQuota: 'lots' }), /--torrent-quota must be a size in bytes/);
  });

  it('values the CLI checks are checked by buildSite itself, before anything is written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'pc-plugin-opts-'));
    try {
      await writeFiles(join(dir, 'site'), SITE);
      const out = join(dir, 'out');
      const bad = [
        [{ firstVisit: 'sometimes' }, /--first-visit must be one of auto, reload, swap, off, got "sometimes"/],
        [{ upload: 'never' }, /--upload must be one of auto, always, off/],
        [{ start: 'later' }, /--start must be one of auto, manual/],
        [{ torrents: 'all' }, /--torrents must be one of media, large, off/],
      ] as const;
      for (const [options, message] of bad) {
        await assert.rejects(buildSite({ siteDir: join(dir, 'site'), outDir: out, ...(options as object) }), message);
        assert.equal(existsSync(out), false);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('where the site is deployed, from the framework', () => {
  it("Vite's base is a baseUrl only when it is a full URL", () => {
    assert.equal(absoluteBase('https://cdn.example.com/app'), 'https://cdn.example.com/app/');
    assert.equal(absoluteBase('/app/'), null);
    assert.equal(absoluteBase('./'), null);
    assert.equal(absoluteBase(undefined), null);
  });

  it("Astro's site and base join into one", () => {
    assert.equal(siteAndBase('https://example.com', '/docs'), 'https://example.com/docs/');
    assert.equal(siteAndBase('https://example.com/', '/'), 'https://example.com/');
    assert.equal(siteAndBase(undefined, '/docs'), null);
  });
});

describe('buildInPlace', { timeout: 60_000 }, () => {
  let root = '';
  let dir = '';
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'pc-in-place-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const fresh = async (name: string): Promise<string> => {
    dir = join(root, name, 'dist');
    await writeFiles(dir, SITE);
    return dir;
  };
  const project = (): string => join(dir, '..');
  const siblings = async (): Promise<string[]> => (await readdir(join(dir, '..'))).filter((f) => f !== 'dist');

  it('leaves the PeerConnect build in the folder and nothing beside it', async () => {
    await fresh('ok');
    const result = await buildInPlace(dir, project(), {});
    assert.ok(existsSync(join(dir, 'peer-connect-sw.js')));
    assert.ok('img/a.png' in result.manifest.assets);
    assert.match(await readFile(join(dir, 'index.html'), 'utf8'), /peer-connect\.js\?v=/);
    assert.deepEqual(await siblings(), []);
    // Building it again (a framework that does not empty its output, like Eleventy) gives the same build.
    const again = await buildInPlace(dir, project(), {});
    assert.equal(again.manifest.build, result.manifest.build);
  });

  it("when the build fails: the folder is as it was, no staging folder is left, the error is the build's", async () => {
    await fresh('build-fails');
    const before = await snapshot(dir);
    await assert.rejects(buildInPlace(dir, project(), { torrents: 'all' as 'media' }), /--torrents must be one of/);
    assert.deepEqual(await snapshot(dir), before);
    assert.deepEqual(await siblings(), []);
    // A build that fails after writing part of its output (here: after the worker).
    const failLate: InPlaceDeps = {
      build: async (options) => {
        await buildSite(options);
        throw new Error('disk full');
      },
      rename: (await import('node:fs/promises')).rename,
    };
    await assert.rejects(buildInPlace(dir, project(), {}, failLate), /disk full/);
    assert.deepEqual(await snapshot(dir), before);
    assert.deepEqual(await siblings(), []);
  });

  it('when moving the build into place fails: the framework output is put back', async () => {
    await fresh('rename-fails');
    const before = await snapshot(dir);
    const { rename } = await import('node:fs/promises');
    let calls = 0;
    const secondFails: InPlaceDeps = {
      build: buildSite,
      rename: async (from, to) => {
        calls++;
        if (calls === 2) throw new Error('EXDEV');
        await rename(from, to);
      },
    };
    await assert.rejects(buildInPlace(dir, project(), {}, secondFails), /EXDEV/);
    assert.deepEqual(await snapshot(dir), before);
    assert.deepEqual(await siblings(), []);
    const firstFails: InPlaceDeps = { build: buildSite, rename: () => Promise.reject(new Error('EBUSY')) };
    await assert.rejects(buildInPlace(dir, project(), {}, firstFails), /EBUSY/);
    assert.deepEqual(await snapshot(dir), before);
    assert.deepEqual(await siblings(), []);
  });

  it('refuses a folder whose swap would lose something: the project itself, version control, symlinks', async () => {
    await fresh('refusals');
    const before = await snapshot(dir);
    await assert.rejects(
      buildInPlace(dir, join(dir, 'src'), {}),
      /contains the project .*src: building it in place would replace the project/,
    );
    await assert.rejects(buildInPlace(dir, dir, {}), /contains the project/);
    await writeFiles(dir, [['.git', 'gitdir: /elsewhere/.git/worktrees/gh-pages\n']]);
    await symlink(join(dir, 'index.html'), join(dir, 'img', 'link.html'));
    await assert.rejects(buildInPlace(dir, project(), {}), /holds "\.git", "img\/link\.html", which the build does not copy/);
    await rm(join(dir, '.git'));
    await rm(join(dir, 'img', 'link.html'));
    assert.deepEqual(await snapshot(dir), before);
    assert.deepEqual(await siblings(), []);
  });

  it('refuses a folder that does not exist', async () => {
    await assert.rejects(buildInPlace(join(root, 'nowhere'), root, {}), /does not exist/);
  });
});

describe('when each plugin runs', { timeout: 60_000 }, () => {
  let root = '';
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'pc-plugin-when-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('Vite: only in `vite build` of a site, not for an SSR bundle', async () => {
    assert.equal(vitePlugin().apply, 'build');
    const app = join(root, 'vite');
    await writeFiles(app, [
      ['index.html', '<!doctype html><title>t</title><script type="module" src="/main.js"></script>'],
      ['main.js', 'export const x = 1; console.log(x)'],
    ]);
    const quiet: InlineConfig = { root: app, configFile: false, logLevel: 'silent', plugins: [vitePlugin()] };
    await viteBuild({ ...quiet, build: { outDir: 'dist-ssr', ssr: 'main.js' } });
    assert.equal(existsSync(join(app, 'dist-ssr', 'peer-connect-sw.js')), false, 'built an SSR bundle');
    await viteBuild({ ...quiet, build: { outDir: 'dist' } });
    assert.ok(existsSync(join(app, 'dist', 'peer-connect-sw.js')), 'did not build the site');
  });

  it('Astro: refuses a build with on-demand pages before it starts, with what to do', async () => {
    const integration = astroPlugin();
    const { hooks } = integration;
    const configDone = hooks['astro:config:done'];
    const buildStart = hooks['astro:build:start'];
    assert.ok(configDone && buildStart);
    type ConfigDone = Parameters<typeof configDone>[0];
    type BuildStart = Parameters<typeof buildStart>[0];
    await configDone({
      config: { site: undefined, base: '/', root: new URL('file:///tmp/astro-project/') },
      buildOutput: 'server',
    } as unknown as ConfigDone);
    assert.throws(
      () => buildStart({} as BuildStart),
      (e: Error) => e.message === SERVER_OUTPUT_MESSAGE,
    );
    assert.match(SERVER_OUTPUT_MESSAGE, /output: 'static'/);
    await configDone({
      config: { site: undefined, base: '/', root: new URL('file:///tmp/astro-project/') },
      buildOutput: 'static',
    } as unknown as ConfigDone);
    await buildStart({} as BuildStart);
  });

  it('Eleventy: only for a build that writes files (not --serve, --watch or --to=json)', async () => {
    let handler: ((e: EleventyAfterEvent) => Promise<void>) | undefined;
    eleventyPlugin({ on: (_event, h) => (handler = h) }, {});
    assert.ok(handler);
    const out = join(root, '_site');
    await writeFiles(out, SITE);
    for (const [runMode, outputMode] of [
      ['serve', 'fs'],
      ['watch', 'fs'],
      ['build', 'json'],
    ] as const) {
      await handler({ directories: { output: out }, runMode, outputMode });
      assert.equal(existsSync(join(out, 'peer-connect-sw.js')), false, `${runMode}/${outputMode}`);
    }
    await handler({ directories: { output: out }, runMode: 'build', outputMode: 'fs' });
    assert.ok(existsSync(join(out, 'peer-connect-sw.js')));
  });
});

describe('the package as a user installs it', { timeout: 60_000 }, () => {
  it("a user's TypeScript resolves peer-connect/vite, /astro and /eleventy to their types, and they catch a typo", async () => {
    assert.deepEqual(publicTypesMatch, [true, true, true, true]);
    const dir = await mkdtemp(join(tmpdir(), 'pc-consumer-'));
    try {
      await linkNodeModules(dir);
      await writeFiles(dir, [
        ['package.json', JSON.stringify({ name: 'consumer', private: true, type: 'module' })],
        [
          'tsconfig.json',
          JSON.stringify({
            compilerOptions: {
              target: 'ES2022',
              module: 'NodeNext',
              moduleResolution: 'NodeNext',
              strict: true,
              noEmit: true,
              skipLibCheck: true,
              types: ['node'],
            },
            include: ['*.ts'],
          }),
        ],
        [
          'config.ts',
          `import vite from 'peer-connect/vite';
import astro from 'peer-connect/astro';
import eleventy, { type EleventyConfigLike, type PeerConnectOptions } from 'peer-connect/eleventy';
import type { Plugin } from 'vite';
import type { AstroIntegration } from 'astro';
const options: PeerConnectOptions = { signal: 'wss://signal.example/peer-connect/signal', torrentMinSize: '8MiB' };
export const plugin: Plugin = vite(options);
export const integration: AstroIntegration = astro({ firstVisit: 'swap' });
export default (config: EleventyConfigLike) => eleventy(config, { exclude: ['private/**'] });
// @ts-expect-error a misspelt option is a type error
vite({ firstvisit: 'swap' });
// @ts-expect-error a value the build refuses is a type error
astro({ firstVisit: 'sometimes' });
`,
        ],
      ]);
      const tsc = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
      const result = spawnSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8' });
      assert.equal(result.status, 0, `the consumer's tsc failed:\n${result.stdout}${result.stderr}`);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
