/**
 * Small sites in several versions, as a site owner redeploys them: every file changes from one
 * version to the next, some grow, some shrink, one changes only inside (same size), one goes from
 * empty to not. The page shows its version in its heading, and its stylesheet and image carry the
 * same version, so a test can tell from the rendered page whether HTML and assets match.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

export const KIB = 1024;

/** What a test may fetch, with each version's bytes. */
export interface VersionedFile {
  path: string;
  /** Bytes per version (index = version - 1). */
  versions: Uint8Array[];
}

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** A solid-colour PNG, `width` × 8 pixels: the width tells a test which version it shows. */
export function png(width: number, rgb: [number, number, number]): Uint8Array {
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => rgb).flat())]);
  const raw = Buffer.concat(Array.from({ length: 8 }, () => row));
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(8, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Heading colour of version `v`, as `getComputedStyle` reports it. */
export const titleColour = (v: number): string => `rgb(${v * 40}, 0, 0)`;
/** Width of the page image in version `v`. */
export const imageWidth = (v: number): number => 10 * v;

export interface VersionedSite {
  /** Folder of version `v` (1-based), ready to build. */
  dir(v: number): string;
  files: VersionedFile[];
  file(path: string): VersionedFile;
}

/**
 * Writes `count` versions of the test site into temporary folders.
 * - `whole.bin`, `partial.bin`: 256 KiB, new random bytes each version.
 * - `grow.bin`: 100 KiB, then 300 KiB; `shrink.bin`: 300 KiB, then 100 KiB (alternating after).
 * - `same.bin`: 640 KiB (10 pieces); each version flips one byte in piece 3 only.
 * - `keep.bin`: 128 KiB, the same in every version (it keeps its hash, its swarm and its pieces).
 * - `empty.txt`: empty in version 1, text after.
 * - `style.css`, `pic.png`, `index.html`: the visible page of that version.
 */
export async function writeVersionedSite(count: number): Promise<VersionedSite> {
  const root = await mkdtemp(join(tmpdir(), 'pc-e2e-versions-'));
  const same = new Uint8Array(randomBytes(640 * KIB));
  const keep = new Uint8Array(randomBytes(128 * KIB));
  const files: VersionedFile[] = [
    { path: 'whole.bin', versions: [] },
    { path: 'partial.bin', versions: [] },
    { path: 'grow.bin', versions: [] },
    { path: 'shrink.bin', versions: [] },
    { path: 'same.bin', versions: [] },
    { path: 'keep.bin', versions: [] },
    { path: 'empty.txt', versions: [] },
    { path: 'style.css', versions: [] },
    { path: 'pic.png', versions: [] },
  ];
  const byPath = new Map(files.map((f) => [f.path, f]));
  for (let v = 1; v <= count; v++) {
    const odd = v % 2 === 1;
    const sameV = same.slice();
    sameV[3 * 64 * KIB + 100] = v;
    const contents: Record<string, Uint8Array> = {
      'whole.bin': new Uint8Array(randomBytes(256 * KIB)),
      'partial.bin': new Uint8Array(randomBytes(256 * KIB)),
      'grow.bin': new Uint8Array(randomBytes((odd ? 100 : 300) * KIB)),
      'shrink.bin': new Uint8Array(randomBytes((odd ? 300 : 100) * KIB)),
      'same.bin': sameV,
      'keep.bin': keep,
      'empty.txt': v === 1 ? new Uint8Array(0) : Buffer.from(`version ${v}\n`),
      'style.css': Buffer.from(`#title { color: ${titleColour(v)}; }\n/* version ${v} */\n`),
      'pic.png': png(imageWidth(v), [v * 40, 90, 200]),
    };
    const dir = join(root, `v${v}`);
    await mkdir(dir, { recursive: true });
    for (const [path, bytes] of Object.entries(contents)) {
      await writeFile(join(dir, path), bytes);
      byPath.get(path)!.versions.push(bytes);
    }
    await writeFile(
      join(dir, 'index.html'),
      `<!doctype html><html><head><meta charset="utf-8"><title>version ${v}</title><link rel="stylesheet" href="style.css"></head>` +
        `<body><h1 id="title">version ${v}</h1><img id="pic" src="pic.png" alt=""></body></html>\n`,
    );
  }
  return {
    dir: (v) => join(root, `v${v}`),
    files,
    file: (path) => {
      const f = byPath.get(path);
      if (!f) throw new Error(`no file ${path}`);
      return f;
    },
  };
}
