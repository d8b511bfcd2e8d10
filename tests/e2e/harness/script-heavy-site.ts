/**
 * A script- and stylesheet-heavy page, as a docs or app site has: a large script bundle, two
 * stylesheets, a web font, an inline script that depends on the bundle, no images. Written into a
 * site folder for tests/e2e/first-visit.test.ts (which adds its other pages) and bench/first-visit.ts.
 * The bundle and stylesheets carry random base64 comments, so they do not compress: their sizes
 * are what they say.
 */
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { DEMO_SITE } from './site.ts';

/** The page, at the site's root. */
export const SCRIPT_HEAVY_PAGE = 'index.html';
/** The manifest assets the page names: bundle, stylesheets, font. */
export const SCRIPT_HEAVY_ASSETS: readonly string[] = ['js/bundle.js', 'css/site.css', 'css/theme.css', 'fonts/inter.woff2'];

/** A "bundle" that defines what the page's inline script uses. */
const bundle = (): string =>
  `window.App = { render: function () { return 'rendered by the bundle'; } };\n/* ${randomBytes(240_000).toString('base64')} */\n`;
const css = (rules: string): string => `${rules}\n/* ${randomBytes(45_000).toString('base64')} */\n`;

/** `sessionStorage.runs` counts how often the inline script ran; `#out` says whether the bundle was there. */
const heavyPage = `<!doctype html>
<html><head><meta charset="utf-8"><title>Docs</title>
<link rel="stylesheet" href="css/site.css"><link rel="stylesheet" href="css/theme.css">
<link rel="preload" as="font" type="font/woff2" href="fonts/inter.woff2" crossorigin>
<script src="js/bundle.js"></script></head>
<body><h1 id="title">Hello docs</h1><p id="out">static text</p>
<script>
sessionStorage.runs = String(Number(sessionStorage.runs || 0) + 1);
document.getElementById('out').textContent = window.App ? App.render() : 'no bundle';
</script></body></html>`;

/** Writes `body` at `path` inside the site folder `dir`, making its folders. */
export async function writeSiteFile(dir: string, path: string, body: string | Buffer): Promise<void> {
  await mkdir(dirname(join(dir, path)), { recursive: true });
  await writeFile(join(dir, path), body);
}

/** Writes index.html, js/bundle.js, css/site.css, css/theme.css and fonts/inter.woff2 (the demo site's Inter) into `dir`. */
export async function writeScriptHeavySite(dir: string): Promise<void> {
  await writeSiteFile(dir, SCRIPT_HEAVY_PAGE, heavyPage);
  await writeSiteFile(dir, 'js/bundle.js', bundle());
  await writeSiteFile(
    dir,
    'css/site.css',
    css(
      `@font-face { font-family: Inter; src: url(../fonts/inter.woff2) format('woff2'); }\nbody { font-family: Inter, sans-serif; color: rgb(10, 20, 30); }`,
    ),
  );
  await writeSiteFile(dir, 'css/theme.css', css('h1 { color: rgb(200, 0, 0); }'));
  await mkdir(join(dir, 'fonts'), { recursive: true });
  await copyFile(join(DEMO_SITE, 'fonts', 'inter-latin-400-normal.woff2'), join(dir, 'fonts', 'inter.woff2'));
}
