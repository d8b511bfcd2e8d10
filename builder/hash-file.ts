import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export interface FileHashes {
  hash: string;
  size: number;
  pieces: string[];
}

/**
 * SHA-256 of the whole file and of each `pieceSize` piece, in one streaming pass: memory stays
 * at one piece whatever the file size.
 */
export async function hashFile(path: string, pieceSize: number): Promise<FileHashes> {
  const whole = createHash('sha256');
  const pieces: string[] = [];
  let piece = createHash('sha256');
  let inPiece = 0;
  let size = 0;
  for await (const chunk of createReadStream(path, { highWaterMark: pieceSize }) as AsyncIterable<Buffer>) {
    whole.update(chunk);
    size += chunk.length;
    let offset = 0;
    while (offset < chunk.length) {
      const take = Math.min(pieceSize - inPiece, chunk.length - offset);
      piece.update(chunk.subarray(offset, offset + take));
      inPiece += take;
      offset += take;
      if (inPiece === pieceSize) {
        pieces.push(piece.digest('hex'));
        piece = createHash('sha256');
        inPiece = 0;
      }
    }
  }
  if (inPiece > 0) pieces.push(piece.digest('hex'));
  return { hash: whole.digest('hex'), size, pieces };
}
