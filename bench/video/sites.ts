/**
 * The sites bench/video.ts plays a video on: the demo site as it is (`media.html`, a 400 KB,
 * 3 s WebM), and a copy of it whose `media.html` plays a larger video made here with ffmpeg.
 * The larger one is a short VP8 clip of noisy test pattern (noise, so the encoder really spends
 * its bitrate and the file is as large as a real HD clip of that length), repeated by stream
 * copy (no second encode, a few seconds of CPU in all): a real, seekable WebM that Chromium plays.
 */
import { execFile } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DEMO_SITE } from '../../tests/e2e/harness/site.ts';

const run = promisify(execFile);

export interface VideoSite {
  id: 'demo' | 'large';
  label: string;
  /** The unbuilt site: what the plain origin serves and what the build reads. */
  dir: string;
  /** The page with the video, and the video's path in the site (its manifest key). */
  page: string;
  video: string;
  bytes: number;
  seconds: number;
  close(): Promise<void>;
}

const PAGE = 'media.html';
const DEMO_VIDEO = 'media/test-pattern.webm';
const DEMO_SECONDS = 3;

export async function demoVideoSite(): Promise<VideoSite> {
  const bytes = (await stat(join(DEMO_SITE, DEMO_VIDEO))).size;
  return {
    id: 'demo',
    label: `demo video (${DEMO_VIDEO}, ${kib(bytes)}, ${DEMO_SECONDS} s)`,
    dir: DEMO_SITE,
    page: PAGE,
    video: DEMO_VIDEO,
    bytes,
    seconds: DEMO_SECONDS,
    close: async () => undefined,
  };
}

/** 4 × 2 s at 8 Mbit/s: ~8 MiB, 8 s, 1280×720 VP8; on the distant origin (10 Mbit/s) it downloads in ~7 s. */
const CHUNK_SECONDS = 2;
const CHUNKS = 4;
const BITRATE = '8M';
const LARGE_VIDEO = 'media/loop-720p.webm';
/** ffmpeg gets this long for each step; the encode takes ~3 s of one core. */
const FFMPEG_TIMEOUT_MS = 60_000;

/** `{ skipped }` with the reason when ffmpeg is missing or fails: the benchmark then runs the demo video only. */
export async function largeVideoSite(): Promise<VideoSite | { skipped: string }> {
  try {
    await run('ffmpeg', ['-version'], { timeout: 10_000 });
  } catch {
    return { skipped: 'no ffmpeg on this machine: only the demo video was measured' };
  }
  const dir = await mkdtemp(join(tmpdir(), 'pc-bench-video-'));
  const close = (): Promise<void> => rm(dir, { recursive: true, force: true });
  try {
    await cp(DEMO_SITE, dir, { recursive: true });
    const chunk = join(dir, 'chunk.webm');
    const list = join(dir, 'chunks.txt');
    await run(
      'ffmpeg',
      [
        '-hide_banner',
        '-loglevel',
        'error',
        '-y',
        '-f',
        'lavfi',
        '-i',
        `testsrc2=size=1280x720:rate=30:duration=${CHUNK_SECONDS},noise=alls=40:allf=t`,
        '-c:v',
        'libvpx',
        '-deadline',
        'realtime',
        '-cpu-used',
        '8',
        '-b:v',
        BITRATE,
        '-minrate',
        BITRATE,
        '-maxrate',
        BITRATE,
        '-bufsize',
        '2M',
        '-g',
        '30',
        '-an',
        chunk,
      ],
      { timeout: FFMPEG_TIMEOUT_MS },
    );
    await writeFile(list, `file '${chunk}'\n`.repeat(CHUNKS));
    const video = join(dir, LARGE_VIDEO);
    await run('ffmpeg', ['-hide_banner', '-loglevel', 'error', '-y', '-f', 'concat', '-safe', '0', '-i', list, '-c', 'copy', video], {
      timeout: FFMPEG_TIMEOUT_MS,
    });
    await rm(chunk);
    await rm(list);
    // The same page, pointing at the larger video (the build wraps it for first visits as usual).
    const html = await readFile(join(DEMO_SITE, PAGE), 'utf8');
    if (!html.includes(`src="${DEMO_VIDEO}"`)) throw new Error(`${PAGE} no longer has src="${DEMO_VIDEO}"`);
    await writeFile(join(dir, PAGE), html.replace(`src="${DEMO_VIDEO}"`, `src="${LARGE_VIDEO}"`));
    const bytes = (await stat(video)).size;
    const seconds = CHUNK_SECONDS * CHUNKS;
    return {
      id: 'large',
      label: `generated video (${LARGE_VIDEO}, ${kib(bytes)}, ${seconds} s, 1280×720 VP8 at ${BITRATE}bit/s)`,
      dir,
      page: PAGE,
      video: LARGE_VIDEO,
      bytes,
      seconds,
      close,
    };
  } catch (err) {
    await close();
    return {
      skipped: `the larger video could not be made (${String((err as Error).message ?? err).split('\n')[0]}): only the demo video was measured`,
    };
  }
}

const kib = (bytes: number): string => (bytes >= 2 ** 20 ? `${(bytes / 2 ** 20).toFixed(1)} MiB` : `${Math.round(bytes / 1024)} KB`);
