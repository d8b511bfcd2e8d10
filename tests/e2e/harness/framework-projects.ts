/**
 * Small real projects for the site-generator plugins' tests, each made in a temporary folder:
 * a Vite app from create-vite's `vanilla` template, a minimal Astro site and a minimal Eleventy
 * site, each with the demo site's large photos so there is something to share, and each
 * importing `peer-connect/<framework>` by its package name, as a user's config does.
 *
 * No install (e2e runs without network): the project's `node_modules` is a folder of symlinks to
 * every package in this repo's `node_modules`, plus `peer-connect` itself, linked to this repo, so
 * the package's `exports` map is what resolves `peer-connect/vite`.
 */
import { cp, mkdir, readdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const DEMO_IMG = join(REPO, 'demo', 'site', 'img');
/** Photos of 0.68–1 MB: 11–16 pieces of 64 KiB each. */
export const PHOTOS = ['harbour-dawn.jpg', 'ridge-line.jpg', 'route-map.png'] as const;

/** `node_modules` for a project in `dir`: this repo's packages and `peer-connect` (this repo). */
export async function linkNodeModules(dir: string): Promise<void> {
  const from = join(REPO, 'node_modules');
  const to = join(dir, 'node_modules');
  await mkdir(to, { recursive: true });
  for (const name of await readdir(from)) await symlink(join(from, name), join(to, name));
  await symlink(REPO, join(to, 'peer-connect'));
}

/** The plugin's options in the project's config (JSON: what a config file can say). */
export type ProjectOptions = Record<string, unknown>;

const pluginOptions = (options: ProjectOptions): string => JSON.stringify(options);

/**
 * create-vite's `vanilla` template as `npm create vite -- --template vanilla` writes it (`_gitignore`
 * renamed to `.gitignore`, as create-vite's `renameFiles` does), plus two photos imported by the
 * app's script (so Vite fingerprints them into `assets/`) and one in `public/`.
 */
export async function makeViteProject(dir: string, options: ProjectOptions): Promise<void> {
  await cp(join(REPO, 'node_modules', 'create-vite', 'template-vanilla'), dir, { recursive: true });
  await rename(join(dir, '_gitignore'), join(dir, '.gitignore'));
  await cp(join(DEMO_IMG, PHOTOS[0]), join(dir, 'src', 'assets', PHOTOS[0]));
  await cp(join(DEMO_IMG, PHOTOS[1]), join(dir, 'src', 'assets', PHOTOS[1]));
  await mkdir(join(dir, 'public', 'img'), { recursive: true });
  await cp(join(DEMO_IMG, PHOTOS[2]), join(dir, 'public', 'img', PHOTOS[2]));
  const main = join(dir, 'src', 'main.js');
  await writeFile(
    main,
    `${await readFile(main, 'utf8')}
import harbour from './assets/${PHOTOS[0]}'
import ridge from './assets/${PHOTOS[1]}'

document.querySelector('#spacer').insertAdjacentHTML(
  'beforeend',
  \`<img src="\${harbour}" alt="Harbour at dawn"><img src="\${ridge}" alt="Ridge line"><img src="/img/${PHOTOS[2]}" alt="Route map">\`,
)
`,
  );
  await writeFile(
    join(dir, 'vite.config.js'),
    `import { defineConfig } from 'vite'
import peerConnect from 'peer-connect/vite'

export default defineConfig({
  plugins: [peerConnect(${pluginOptions(options)})],
})
`,
  );
  await linkNodeModules(dir);
}

/**
 * A minimal Astro site: one page with two photos from `public/` and one through Astro's image
 * pipeline (`astro:assets` `<Image>`, which Astro optimises with sharp into `_astro/`).
 */
export async function makeAstroProject(dir: string, options: ProjectOptions): Promise<void> {
  await mkdir(join(dir, 'src', 'pages'), { recursive: true });
  await mkdir(join(dir, 'src', 'assets'), { recursive: true });
  await mkdir(join(dir, 'public', 'img'), { recursive: true });
  await cp(join(DEMO_IMG, PHOTOS[0]), join(dir, 'public', 'img', PHOTOS[0]));
  await cp(join(DEMO_IMG, PHOTOS[2]), join(dir, 'public', 'img', PHOTOS[2]));
  await cp(join(DEMO_IMG, PHOTOS[1]), join(dir, 'src', 'assets', PHOTOS[1]));
  await writeFile(join(dir, 'package.json'), `${JSON.stringify({ name: 'astro-site', private: true, type: 'module' }, null, 2)}\n`);
  await writeFile(
    join(dir, 'astro.config.mjs'),
    `import { defineConfig } from 'astro/config'
import peerConnect from 'peer-connect/astro'

export default defineConfig({
  integrations: [peerConnect(${pluginOptions(options)})],
})
`,
  );
  await writeFile(
    join(dir, 'src', 'pages', 'index.astro'),
    `---
import { Image } from 'astro:assets'
import ridge from '../assets/${PHOTOS[1]}'
---
<html lang="en">
  <head><meta charset="utf-8" /><title>Astro with PeerConnect</title></head>
  <body>
    <h1>Photos</h1>
    <img src="/img/${PHOTOS[0]}" alt="Harbour at dawn" width="1600" height="1067" />
    <img src="/img/${PHOTOS[2]}" alt="Route map" />
    <Image src={ridge} alt="Ridge line" width={1200} quality={95} />
  </body>
</html>
`,
  );
  await linkNodeModules(dir);
}

/**
 * A minimal Eleventy site: `src/index.md` (a layout-free page naming the three photos), the photos
 * copied through from `src/img`, output to `_site`. Build it with Eleventy's CLI in `dir`.
 */
export async function makeEleventyProject(dir: string, options: ProjectOptions): Promise<void> {
  await mkdir(join(dir, 'src', 'img'), { recursive: true });
  for (const photo of PHOTOS) await cp(join(DEMO_IMG, photo), join(dir, 'src', 'img', photo));
  await writeFile(join(dir, 'package.json'), `${JSON.stringify({ name: 'eleventy-site', private: true, type: 'module' }, null, 2)}\n`);
  await writeFile(
    join(dir, 'eleventy.config.js'),
    `import peerConnect from 'peer-connect/eleventy'

export default function (eleventyConfig) {
  eleventyConfig.addPassthroughCopy('src/img')
  eleventyConfig.addPlugin(peerConnect, ${pluginOptions(options)})
}

export const config = { dir: { input: 'src' } }
`,
  );
  await writeFile(
    join(dir, 'src', 'index.md'),
    `---
title: Eleventy with PeerConnect
---
<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body>
<h1>{{ title }}</h1>
${PHOTOS.map((p) => `<img src="/img/${p}" alt="${p}">`).join('\n')}
</body></html>
`,
  );
  await linkNodeModules(dir);
}
