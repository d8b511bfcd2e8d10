/**
 * A file slice as a web ReadableStream, read on demand. Pull-based with a high-water mark of 0,
 * so nothing is opened until the body is actually read: a HEAD response (hono builds it from the
 * GET response and drops the body) never opens the file, and a slow client is never buffered for.
 */
import { type FileHandle, open } from 'node:fs/promises';

const CHUNK_BYTES = 64 * 1024;

/** Bytes [start, endInclusive] of the file at `path`. */
export function fileBody(path: string, start: number, endInclusive: number): ReadableStream<Uint8Array> {
  let handle: FileHandle | null = null;
  let position = start;
  const release = async (): Promise<void> => {
    const h = handle;
    handle = null;
    await h?.close().catch(() => {});
  };
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          handle ??= await open(path, 'r');
          const wanted = Math.min(CHUNK_BYTES, endInclusive + 1 - position);
          const { bytesRead, buffer } =
            wanted > 0 ? await handle.read(new Uint8Array(wanted), 0, wanted, position) : { bytesRead: 0, buffer: new Uint8Array(0) };
          position += bytesRead;
          // bytesRead 0 before the end means the file shrank under us: end short rather than hang.
          if (bytesRead > 0) controller.enqueue(buffer.subarray(0, bytesRead));
          if (bytesRead === 0 || position > endInclusive) {
            await release();
            controller.close();
          }
        } catch (err) {
          await release();
          controller.error(err);
        }
      },
      cancel: release,
    },
    { highWaterMark: 0 },
  );
}
