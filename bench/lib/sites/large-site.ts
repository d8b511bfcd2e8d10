/**
 * A larger photo site, made at bench time: 8 album pages, 6 JPEGs each, 150-600 KB apiece
 * (~18 MB in all). Each JPEG is a demo photo padded with pseudo-random COM segments (see
 * jpeg-comment.ts): valid, cheap to decode, incompressible, and of its own hash, so no two files
 * are the same asset and nothing can be served from another file's pieces.
 * The sizes and bytes come from a fixed seed, so every run serves the same site.
 */
import { createCipheriv, createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_SITE } from '../../../tests/e2e/harness/site.ts';
import { padJpeg } from './jpeg-comment.ts';
import { seededRandom } from './seeded-random.ts';

export const ALBUMS = 8;
export const PHOTOS_PER_ALBUM = 6;
const MIN_BYTES = 150 * 1024;
const MAX_BYTES = 600 * 1024;
const SEED = 'peer-connect bench large site v1';

interface Base {
  file: string;
  width: number;
  height: number;
}
/** The first photo of each album is its hero, the largest on the page (the LCP image). */
const HERO: Base = { file: 'img/ridge-line-1400.jpg', width: 1400, height: 933 };
const GALLERY = ['dunes-evening', 'lighthouse-point', 'old-town-rooftops', 'pine-forest', 'river-bend', 'salt-flats'];
const LARGE_BASES: Base[] = GALLERY.map((n) => ({ file: `img/gallery/${n}.jpg`, width: 1200, height: 800 }));
const SMALL_BASES: Base[] = GALLERY.map((n) => ({ file: `img/thumbs/${n}.jpg`, width: 480, height: 320 }));

/** Deterministic incompressible bytes: an AES-CTR keystream, a different counter block per file. */
function keystream(fileIndex: number): (bytes: number) => Buffer {
  const key = createHash('sha256').update(SEED).digest().subarray(0, 16);
  const iv = Buffer.alloc(16);
  iv.writeUInt32BE(fileIndex, 0);
  return (bytes) => createCipheriv('aes-128-ctr', key, iv).update(Buffer.alloc(bytes));
}

export const albumPage = (n: number): string => `album-${n}.html`;

function pageHtml(album: number, photos: ReadonlyArray<{ src: string; base: Base }>): string {
  const nav = Array.from({ length: ALBUMS }, (_, i) => `<a href="${albumPage(i + 1)}">Album ${i + 1}</a>`).join(' ');
  const img = ({ src, base }: { src: string; base: Base }, i: number): string =>
    `<img src="${src}" width="${base.width}" height="${base.height}" alt="Photo ${i + 1} of album ${album}"${i === 0 ? '' : ' loading="lazy"'}>`;
  const [hero, ...rest] = photos;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Album ${album} — bench photo site</title>
<link rel="stylesheet" href="css/album.css">
</head>
<body>
<header><nav>${nav}</nav></header>
<main>
<h1>Album ${album}</h1>
<figure class="hero">${hero ? img(hero, 0) : ''}</figure>
<ul class="grid">
${rest.map((p, i) => `<li>${img(p, i + 1)}</li>`).join('\n')}
</ul>
</main>
</body>
</html>
`;
}

const CSS = `body{font:16px/1.5 system-ui,sans-serif;margin:0 auto;max-width:1200px;padding:1rem}
nav a{margin-right:1rem}img{max-width:100%;height:auto;display:block}
.grid{list-style:none;padding:0;display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:1rem}
`;

export interface GeneratedSite {
  dir: string;
  bytes: number;
  files: number;
  close(): Promise<void>;
}

export async function generateLargeSite(): Promise<GeneratedSite> {
  const dir = await mkdtemp(join(tmpdir(), 'pc-bench-large-site-'));
  try {
    const random = seededRandom(createHash('sha256').update(SEED).digest().readUInt32BE(0));
    const baseBytes = new Map<string, Buffer>();
    const load = async (b: Base): Promise<Buffer> => {
      const cached = baseBytes.get(b.file);
      if (cached) return cached;
      const bytes = await readFile(join(DEMO_SITE, b.file));
      baseBytes.set(b.file, bytes);
      return bytes;
    };
    await mkdir(join(dir, 'css'), { recursive: true });
    await writeFile(join(dir, 'css', 'album.css'), CSS);
    let total = 0;
    let fileIndex = 0;
    for (let album = 1; album <= ALBUMS; album++) {
      await mkdir(join(dir, 'img', `album-${album}`), { recursive: true });
      const photos: Array<{ src: string; base: Base }> = [];
      for (let i = 0; i < PHOTOS_PER_ALBUM; i++) {
        const target = Math.round(MIN_BYTES + random() * (MAX_BYTES - MIN_BYTES));
        // The largest base that still fits under the target, so small files stay valid too.
        const base =
          i === 0
            ? HERO
            : target >= 240 * 1024
              ? LARGE_BASES[fileIndex % LARGE_BASES.length]!
              : SMALL_BASES[fileIndex % SMALL_BASES.length]!;
        const src = `img/album-${album}/photo-${i + 1}.jpg`;
        const original = await load(base);
        const bytes = padJpeg(original, Math.max(target, original.length + 1024), keystream(fileIndex++));
        await writeFile(join(dir, src), bytes);
        total += bytes.length;
        photos.push({ src, base });
      }
      await writeFile(join(dir, albumPage(album)), pageHtml(album, photos));
    }
    return { dir, bytes: total, files: fileIndex, close: () => rm(dir, { recursive: true, force: true }) };
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}
