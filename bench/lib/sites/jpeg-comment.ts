/**
 * Pads a JPEG with COM (comment) segments. Decoders skip COM segments, so the image stays valid
 * and decodes exactly as before, while the padding (whatever bytes we pass) makes the file as
 * large as we want and, with random bytes, incompressible and of a hash no other file has.
 */

/** A segment's 16-bit length field counts itself (2 bytes): at most 65533 bytes of payload. */
const MAX_COM_PAYLOAD = 0xffff - 2;
/** Marker (FF FE) plus the length field. */
const SEGMENT_OVERHEAD = 4;

/**
 * Returns `jpeg` grown to exactly `targetSize` bytes by COM segments, filled by `fill(n)`. They go
 * after SOI and the JFIF APP0 segment (JFIF wants APP0 first), before any table.
 */
export function padJpeg(jpeg: Buffer, targetSize: number, fill: (bytes: number) => Buffer): Buffer {
  if (jpeg[0] !== 0xff || jpeg[1] !== 0xd8) throw new Error('not a JPEG (no SOI marker)');
  const extra = targetSize - jpeg.length;
  if (extra < SEGMENT_OVERHEAD) throw new Error(`cannot pad a ${jpeg.length}-byte JPEG to ${targetSize} bytes`);
  // The fewest segments that can hold it; the payload is then split evenly, so the count is exact.
  const segments = Math.ceil(extra / (MAX_COM_PAYLOAD + SEGMENT_OVERHEAD));
  const payload = fill(extra - segments * SEGMENT_OVERHEAD);
  const at = jpeg[2] === 0xff && jpeg[3] === 0xe0 ? 4 + jpeg.readUInt16BE(4) : 2;
  const parts: Buffer[] = [jpeg.subarray(0, at)];
  for (let i = 0, off = 0; i < segments; i++) {
    const len = Math.floor(payload.length / segments) + (i < payload.length % segments ? 1 : 0);
    const header = Buffer.from([0xff, 0xfe, 0, 0]);
    header.writeUInt16BE(len + 2, 2);
    parts.push(header, payload.subarray(off, off + len));
    off += len;
  }
  parts.push(jpeg.subarray(at));
  return Buffer.concat(parts);
}
